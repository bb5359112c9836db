package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// The cache parses each query text once per connection, and a statement
// whose rows are still being read is not reused under them.
func TestStatementCache(t *testing.T) {
	registerSQLiteDriver()
	db, err := sql.Open(sqliteDriver, "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cached := func() (n int) {
		_ = conn.Raw(func(dc any) error { n = len(dc.(*cachingConn).stmts); return nil })
		return n
	}
	// A script of several statements still runs whole.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, "row"+string(rune('a'+i%26))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO u (x) SELECT id FROM t`); err != nil {
		t.Fatal(err)
	}
	before := cached()
	for range 20 {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE v <> ?`, "x").Scan(&n); err != nil || n != 50 {
			t.Fatalf("count = %d, %v", n, err)
		}
	}
	if got := cached(); got != before+1 {
		t.Errorf("20 runs of one query text cached %d statements, want 1", got-before)
	}
	// The same text queried while its rows are open runs unprepared beside
	// them, and both read every row.
	const q = `SELECT id FROM t ORDER BY id`
	outer, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	rows, inner := 0, 0
	for outer.Next() {
		rows++
		if rows == 3 {
			in, err := conn.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for in.Next() {
				inner++
			}
			if err := in.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := outer.Close(); err != nil || rows != 50 || inner != 50 {
		t.Errorf("outer %d rows, inner %d rows, %v; want 50 and 50", rows, inner, err)
	}
	// A cached statement with arguments of another type and a failing
	// statement leave the cache usable.
	if _, err := conn.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 1, "dup"); err == nil {
		t.Error("duplicate id accepted")
	}
	var v string
	if err := conn.QueryRowContext(ctx, `SELECT v FROM t WHERE id = ?`, int64(2)).Scan(&v); err != nil || v != "rowb" {
		t.Errorf("after an error: %q, %v", v, err)
	}
}
