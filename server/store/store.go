// Package store is the only package that speaks SQL. It opens the database
// (SQLite or PostgreSQL), runs the embedded migrations and exposes typed
// methods; it knows nothing of HTTP.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/portico/portico/server/model"
)

// Dialect names the SQL database behind the store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options configures Open.
type Options struct {
	Dialect Dialect
	// DSN is a file path for SQLite, a postgres:// URL for PostgreSQL.
	DSN string
	// Migrations holds migrations/postgres and migrations/sqlite.
	Migrations fs.FS
	// Now is the clock used for created_at and friends.
	Now func() time.Time
	// MaxOpenConns bounds the PostgreSQL pool (default 20).
	MaxOpenConns int
}

// Store is the database. On SQLite it holds two pools: one connection for
// writes (SQLite has one writer; queueing in Go beats SQLITE_BUSY retries) and
// a read pool. On PostgreSQL both are the same pool.
type Store struct {
	dialect Dialect
	dsn     string // for the settings listener's own connection
	write   *sqlx.DB
	read    *sqlx.DB
	now     func() time.Time
	q       *queries
	notify  settingsNotify
	// group batches SQLite's write transactions (groupcommit.go); nil on
	// PostgreSQL.
	group *committer
}

// Open connects, migrates and prepares every query; a typo in a query fails
// here rather than on the first request that needs it.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{dialect: opts.Dialect, dsn: opts.DSN, now: func() time.Time { return opts.Now().UTC() }}
	var err error
	switch opts.Dialect {
	case SQLite:
		err = s.openSQLite(opts.DSN)
	case Postgres:
		err = s.openPostgres(opts.DSN, opts.MaxOpenConns)
	default:
		return nil, fmt.Errorf("store: unknown dialect %q", opts.Dialect)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, opts.Migrations); err != nil {
		s.Close()
		return nil, err
	}
	registry, err := loadQueries(queryFiles, s.dialect)
	if err != nil {
		s.Close()
		return nil, err
	}
	q := &queries{}
	if err := s.prepareQueries(ctx, registry, q); err != nil {
		s.Close()
		return nil, err
	}
	s.q = q
	if s.dialect == SQLite {
		s.group = newCommitter(s)
	}
	return s, nil
}

func (s *Store) openSQLite(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("store: create database directory: %w", err)
		}
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	registerSQLiteDriver()
	write, err := sqlx.Open(sqliteDriver, "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sqlx.Open(sqliteDriver, "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	// Kept open: each connection holds its prepared statements.
	read.SetMaxIdleConns(8)
	s.write, s.read = write, read
	if err := write.Ping(); err != nil {
		s.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return nil
}

func (s *Store) openPostgres(dsn string, maxOpen int) error {
	// pgx's database/sql driver prepares and keeps every query text per
	// connection, the job queue's (River's) unprepared ones included; lib/pq
	// had the server parse those on every call.
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	if maxOpen <= 0 {
		maxOpen = 20
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.Ping(); err != nil {
		db.Close()
		return fmt.Errorf("store: connect to postgres %s: %w", redactDSN(dsn), err)
	}
	s.write, s.read = db, db
	return nil
}

// redactDSN drops the password from a URL for error messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (s *Store) migrate(ctx context.Context, migrations fs.FS) error {
	dir := "migrations/" + string(s.dialect)
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	dialect := goose.DialectPostgres
	if s.dialect == SQLite {
		dialect = goose.DialectSQLite3
	}
	provider, err := goose.NewProvider(dialect, s.write.DB, sub)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Dialect reports which database is behind the store.
func (s *Store) Dialect() Dialect { return s.dialect }

// WriteDB is the pool that transactions and the job queue use. It is exposed
// for the job queue's driver, which must share the write pool on SQLite.
func (s *Store) WriteDB() *sql.DB { return s.write.DB }

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both pools.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	var errs []error
	if s.q != nil {
		errs = append(errs, closeQueries(s.q))
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	return errors.Join(errs...)
}

// Tx is a write transaction. Services compose several writes and the job that
// follows from them inside one Tx.
type Tx struct {
	tx  *sqlx.Tx
	s   *Store
	now time.Time
	// savepoints counts the nested RunInTx calls open on this transaction,
	// naming each one's savepoint.
	savepoints int
	// settingsWritten: the commit runs the settings commit hooks.
	settingsWritten bool
}

// SQL exposes the transaction for the job queue, whose jobs must commit or
// roll back with the change that caused them.
func (tx *Tx) SQL() *sql.Tx { return tx.tx.Tx }

// Now is the time this transaction stamps on rows.
func (tx *Tx) Now() time.Time { return tx.now }

type txKey struct{}

// RunInTx runs fn in a write transaction and commits if fn returns nil. The
// context fn gets carries the transaction: a service method called with it
// that writes (through RunInTx or InTx) joins this transaction instead of
// opening its own, so callers compose changes (a ticket's close and the
// workflow step that asked for it) into one commit. A joined call runs
// inside a savepoint: when it fails, its writes are undone and the error
// comes back to the caller, whose transaction can go on (or fail whole).
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if outer, ok := ctx.Value(txKey{}).(*Tx); ok && outer.s == s {
		return outer.nested(ctx, fn)
	}
	if s.group != nil {
		return s.group.do(ctx, fn)
	}
	sqltx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqltx, s: s, now: s.now()}
	if err := fn(context.WithValue(ctx, txKey{}, tx), tx); err != nil {
		if rbErr := sqltx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rbErr))
		}
		return err
	}
	err = sqltx.Commit()
	if tx.settingsWritten {
		// Also after a failed commit: it may have committed all the same,
		// and a cache dropped needlessly only costs a read.
		s.settingsCommitted()
	}
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// InTx is RunInTx for a change that calls no other service: fn gets only
// the transaction. It joins a transaction that ctx carries, as RunInTx does.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	return s.RunInTx(ctx, func(_ context.Context, tx *Tx) error { return fn(tx) })
}

// errTxLost: the database ended the transaction under a failing statement
// (SQLite does on some errors), so its savepoint is gone too.
var errTxLost = errors.New("the transaction was lost")

// nested runs fn inside a savepoint of tx.
func (tx *Tx) nested(ctx context.Context, fn func(context.Context, *Tx) error) error {
	tx.savepoints++
	name := "portico_sp" + strconv.Itoa(tx.savepoints)
	defer func() { tx.savepoints-- }()
	if _, err := tx.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		if _, rbErr := tx.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rbErr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w: %w", errTxLost, rbErr))
		}
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

func (tx *Tx) stmt(ctx context.Context, st *sqlx.Stmt) *sqlx.Stmt { return tx.tx.StmtxContext(ctx, st) }

// notFound maps sql.ErrNoRows onto model.ErrNotFound, wrapping with what was
// looked for.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, model.ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// likePattern escapes a user's search text for LIKE ... ESCAPE '\'.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(q)) + "%"
}
