package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"sync"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
)

// sqliteDriver is the name the store opens SQLite under: modernc's driver
// with a cache of prepared statements per connection.
//
// Why: modernc's driver parses the SQL of every query that was not prepared
// beforehand, and the job queue's (River's) queries never are. Under widget
// load, parsing River's job insert alone took a quarter of the server's CPU
// (docs/PERFORMANCE.md, "Where the time goes"). With the cache each
// distinct query text is parsed once per connection and then reused, as a
// prepared statement would be.
const sqliteDriver = "portico-sqlite"

// stmtCacheSize bounds the statements kept per connection; past it, a new
// query text runs unprepared as before. The store's and River's queries are
// a few hundred texts at most.
const stmtCacheSize = 512

var registerSQLite sync.Once

func registerSQLiteDriver() {
	registerSQLite.Do(func() {
		sql.Register(sqliteDriver, cachingDriver{inner: &sqlite.Driver{}})
		sqlx.BindDriver(sqliteDriver, sqlx.QUESTION)
	})
}

type cachingDriver struct{ inner driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: c, stmts: map[string]*cachedStmt{}}, nil
}

// innerConn is what modernc's connection offers beyond driver.Conn; the
// cache needs all of it.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

// cachingConn runs ExecContext and QueryContext through a statement prepared
// once per query text. database/sql uses a connection from one goroutine at
// a time, so the map needs no lock; a statement whose rows are still open is
// busy, and the same text meanwhile runs unprepared.
type cachingConn struct {
	driver.Conn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

func (c *cachingConn) inner() (innerConn, error) {
	ic, ok := c.Conn.(innerConn)
	if !ok {
		return nil, errors.New("store: the SQLite driver lacks the context methods the statement cache needs")
	}
	return ic, nil
}

// cached returns the idle statement for query, preparing it on first use; nil
// when the statement is busy or the cache is full.
func (c *cachingConn) cached(ctx context.Context, ic innerConn, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		return nil, nil
	}
	st, err := ic.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	full, ok := st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = st.Close()
		return nil, nil
	}
	cs := &cachedStmt{stmt: full}
	c.stmts[query] = cs
	return cs, nil
}

// lookup returns the connection and, unless the text must run unprepared
// this time, its cached statement.
func (c *cachingConn) lookup(ctx context.Context, query string) (innerConn, *cachedStmt, error) {
	ic, err := c.inner()
	if err != nil {
		return nil, nil, err
	}
	cs, err := c.cached(ctx, ic, query)
	return ic, cs, err
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ic, cs, err := c.lookup(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case cs == nil:
		return ic.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ic, cs, err := c.lookup(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case cs == nil:
		return ic.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	ic, err := c.inner()
	if err != nil {
		return nil, err
	}
	return ic.PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	ic, err := c.inner()
	if err != nil {
		return nil, err
	}
	return ic.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.Conn.Close())...)
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}

// The column type methods of modernc's rows, passed through so that
// sql.Rows.ColumnTypes says what it said without the cache.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
