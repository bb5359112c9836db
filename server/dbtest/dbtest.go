// Package dbtest gives tests a fresh database of each dialect: a temporary
// SQLite file, or a PostgreSQL database with a random name that is dropped
// when the test ends (CI reuses one server across runs). With CI=true a
// PostgreSQL that cannot be reached fails the test instead of skipping it.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // postgres driver for creating databases

	"github.com/portico/portico/server/jobs"
	"github.com/portico/portico/server/store"
)

// Dialects lists the databases every storage test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// AdminURL is the PostgreSQL server tests create their databases on;
// PORTICO_TEST_POSTGRES_URL overrides it.
func AdminURL() string {
	if u := os.Getenv("PORTICO_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Migrations is the repository's migrations directory.
func Migrations(t testing.TB) fs.FS {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.DirFS(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("dbtest: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Unavailable skips the test, or fails it under CI=true, where a missing
// service is a broken machine rather than a reason to test less.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	t.Skipf("%s not reachable (%v); set CI=true to make this a failure", what, err)
}

// DSN returns a database of the dialect for the test: a SQLite file path or
// the URL of a new PostgreSQL database, removed at cleanup.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	switch d {
	case store.SQLite:
		return filepath.Join(t.TempDir(), "portico.db")
	case store.Postgres:
		return newPostgresDB(t)
	}
	t.Fatalf("dbtest: unknown dialect %q", d)
	return ""
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

func newPostgresDB(t testing.TB) string {
	t.Helper()
	adminOnce.Do(func() {
		adminDB, adminErr = sql.Open("postgres", AdminURL())
		if adminErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			adminErr = adminDB.PingContext(ctx)
		}
	})
	if adminErr != nil {
		Unavailable(t, "PostgreSQL at "+AdminURL(), adminErr)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "portico_test_" + hex.EncodeToString(b[:])
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends connections a failed test may have left open.
		if _, err := adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TerminatePostgres ends the connections to the PostgreSQL database at dsn
// that go by application_name name, waits until they are gone, and returns
// how many it ended: a test cuts a listener's connection with it.
func TerminatePostgres(t testing.TB, dsn, name string) int {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, name).Scan(&n)
	if err != nil {
		t.Fatalf("dbtest: terminate %s: %v", name, err)
	}
	return n
}

// Open returns a migrated store (with River's tables) on a fresh database.
func Open(t testing.TB, d store.Dialect, now func() time.Time) *store.Store {
	t.Helper()
	return OpenDSN(t, d, DSN(t, d), now)
}

// OpenDSN opens a migrated store on an existing database; tests use it to
// "restart" on the same data.
func OpenDSN(t testing.TB, d store.Dialect, dsn string, now func() time.Time) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{Dialect: d, DSN: dsn, Migrations: Migrations(t), Now: now, MaxOpenConns: 5})
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := jobs.Migrate(ctx, s.WriteDB(), string(d), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("dbtest: river migrations: %v", err)
	}
	return s
}

// Each runs f as a parallel subtest per dialect.
func Each(t *testing.T, f func(t *testing.T, d store.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// Name is a short random suffix for test data.
func Name() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
