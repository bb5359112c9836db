package store

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"
)

func TestLoadQueries(t *testing.T) {
	fsys := fstest.MapFS{
		"queries/a.sql": {Data: []byte(`-- About the file; belongs to no query.

-- name: one
-- pool: read
-- Why one is written so.
SELECT {{linkCols}}
FROM portal_links

-- name: two
-- pool: write
SELECT {{linkCols l}} FROM portal_links l
-- name: two
-- pool: write
-- dialect: postgres
SELECT 2
`)},
	}
	for dialect, two := range map[Dialect]string{
		SQLite:   "SELECT l.id, l.ticket_id, l.email, l.revoked_at, l.created_at FROM portal_links l",
		Postgres: "SELECT 2",
	} {
		reg, err := loadQueries(fsys, dialect)
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		if len(reg) != 2 || reg["one"].pool != poolRead || reg["one"].text != "SELECT "+columns["linkCols"]+"\nFROM portal_links" {
			t.Errorf("%s: one = %+v", dialect, reg["one"])
		}
		if reg["two"].text != two || reg["two"].pool != poolWrite {
			t.Errorf("%s: two = %+v", dialect, reg["two"])
		}
	}

	for name, text := range map[string]string{
		"no pool":           "-- name: x\nSELECT 1",
		"bad pool":          "-- name: x\n-- pool: both\nSELECT 1",
		"bad dialect":       "-- name: x\n-- pool: read\n-- dialect: mysql\nSELECT 1",
		"no SQL":            "-- name: x\n-- pool: read\n",
		"no name":           "-- name:\n-- pool: read\nSELECT 1",
		"SQL before a name": "SELECT 1\n-- name: x\n-- pool: read\nSELECT 1",
		"marker before":     "-- pool: read\n-- name: x\n-- pool: read\nSELECT 1",
		"unknown columns":   "-- name: x\n-- pool: read\nSELECT {{nothingCols}}",
		"written twice":     "-- name: x\n-- pool: read\nSELECT 1\n-- name: x\n-- pool: read\nSELECT 2",
	} {
		_, err := loadQueries(fstest.MapFS{"queries/bad.sql": {Data: []byte(text)}}, SQLite)
		if err == nil || !strings.Contains(err.Error(), "bad.sql:") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestPrepareQueries(t *testing.T) {
	db, err := sqlx.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Store{dialect: SQLite, read: db, write: db}
	ctx := context.Background()
	reg := map[string]query{
		"one": {name: "one", pool: poolRead, text: "SELECT 1"},
		"two": {name: "two", pool: poolWrite, text: "SELECT ?"},
	}

	var ok struct {
		One *sqlx.Stmt `query:"one"`
		Two string     `query:"two"`
	}
	if err := s.prepareQueries(ctx, reg, &ok); err != nil {
		t.Fatal(err)
	}
	if ok.One == nil || ok.Two != "SELECT ?" {
		t.Errorf("filled = %+v", ok)
	}
	if err := closeQueries(&ok); err != nil {
		t.Error(err)
	}

	var unused struct {
		One *sqlx.Stmt `query:"one"`
	}
	if err := s.prepareQueries(ctx, reg, &unused); err == nil || !strings.Contains(err.Error(), "query two") {
		t.Errorf("a query no field uses: %v", err)
	}
	var missing struct {
		One   *sqlx.Stmt `query:"one"`
		Two   *sqlx.Stmt `query:"two"`
		Three *sqlx.Stmt `query:"three"`
	}
	if err := s.prepareQueries(ctx, reg, &missing); err == nil || !strings.Contains(err.Error(), `no query "three"`) {
		t.Errorf("a field with no query: %v", err)
	}
	var untagged struct {
		One *sqlx.Stmt `query:"one"`
		Two *sqlx.Stmt `query:"two"`
		Odd *sqlx.Stmt
	}
	if err := s.prepareQueries(ctx, reg, &untagged); err == nil || !strings.Contains(err.Error(), "Odd has no query tag") {
		t.Errorf("a field without a tag: %v", err)
	}
	typo := map[string]query{"one": {name: "one", pool: poolRead, text: "SELEC 1"}, "two": reg["two"]}
	var both struct {
		One *sqlx.Stmt `query:"one"`
		Two string     `query:"two"`
	}
	if err := s.prepareQueries(ctx, typo, &both); err == nil || !strings.Contains(err.Error(), "prepare one") {
		t.Errorf("a typo: %v", err)
	}
}
