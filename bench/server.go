package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/lib/pq"  // creates and drops the benchmark database
	_ "modernc.org/sqlite" // reads the job queue's depth, as the server's own driver

	"github.com/portico/portico/bench/internal/harness"
)

const (
	// hugeLimit keeps the widget rate limits out of the measurement: every
	// request comes from 127.0.0.1.
	hugeLimit = "1000000000/1h"
	// replyDomain is the host of mailFrom, and so the server's reply
	// domain: the domain of its Message-IDs, which inbound replies quote.
	replyDomain = "bench.test"
	mailFrom    = "Support <support@" + replyDomain + ">"
)

// unavailableError is a database that cannot be reached, as opposed to one
// that failed while in use: outside CI its figures are skipped.
type unavailableError struct{ err error }

func (e unavailableError) Error() string { return e.err.Error() }
func (e unavailableError) Unwrap() error { return e.err }

// runLocal builds the server of each side and runs every scenario on each
// database, then the in-process ones.
func runLocal(ctx context.Context, rep *report, logf func(string, ...any)) {
	o := rep.o
	fail := func(what string, err error) {
		logf("%s: %v", what, err)
		rep.notes = append(rep.notes, fmt.Sprintf("FAIL %s: %v", what, err))
		rep.failed = true
	}
	dir, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		fail("setup", err)
		return
	}
	defer os.RemoveAll(dir)

	sides, cleanup, err := prepareSides(ctx, o, dir, logf)
	defer func() {
		if err := cleanup(); err != nil {
			fail("cleanup", err)
		}
	}()
	rep.sides = sides
	if err != nil {
		fail("build", err)
		return
	}
	for _, name := range o.databases {
		rows, notes, err := runDatabase(ctx, name, sides, dir, o, logf)
		rep.rows = append(rep.rows, rows...)
		rep.notes = append(rep.notes, notes...)
		var unavailable unavailableError
		switch {
		case errors.As(err, &unavailable) && os.Getenv("CI") != "true":
			logf("%s: %v", name, err)
			rep.notes = append(rep.notes, fmt.Sprintf("SKIPPED the %s figures: %v (with CI=true this is a failure)", name, err))
		case err != nil:
			fail(name, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	runInProcess(ctx, rep, logf)
}

// runDatabase starts the server of every side, each on a fresh database
// of the named kind with its own SMTP sink, runs the scenarios on them in
// turn, then stops the servers and removes the databases. Both servers
// stay up throughout, so that each idles alike while the other is loaded.
// The notes say how much mail each sink received in all.
func runDatabase(ctx context.Context, name string, sides []side, dir string, o options, logf func(string, ...any)) (rows []row, notes []string, err error) {
	var targets []*target
	defer func() {
		for _, t := range targets {
			// Each ticket, the setups' included, queues a confirmation mail.
			notes = append(notes, fmt.Sprintf("note %s: the SMTP sink received %d mails in all; %d tickets were filed (warm-up and setups included)",
				t.label(), t.sink.Received(), t.mailsExpected()))
			err = errors.Join(err, t.stop())
		}
	}()
	for _, s := range sides {
		t, err := startInstance(ctx, name, s, dir, o, logf)
		if err != nil {
			return nil, nil, err
		}
		t.compared = len(sides) > 1
		targets = append(targets, t)
	}
	rows, err = runScenarios(ctx, targets, o, serverScenarios(o.scenarios), logf)
	return rows, nil, err
}

// startInstance starts the server of side s on a fresh database of the
// named kind, with its own SMTP sink. The target's stop undoes it all.
func startInstance(ctx context.Context, name string, s side, dir string, o options, logf func(string, ...any)) (t *target, err error) {
	var undo []func() error
	stop := func() error {
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i]())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, stop())
		}
	}()

	var dbURL string
	switch name {
	case "sqlite":
		dbDir, err := os.MkdirTemp(dir, "sqlite-")
		if err != nil {
			return nil, err
		}
		dbURL = "sqlite://" + filepath.Join(dbDir, "portico.db")
		undo = append(undo, func() error { return os.RemoveAll(dbDir) })
	case "postgres":
		var drop func() error
		if dbURL, drop, err = createPostgres(ctx); err != nil {
			return nil, err
		}
		undo = append(undo, func() error {
			if err := drop(); err != nil {
				return fmt.Errorf("remove the database: %w", err)
			}
			return nil
		})
	}

	sink, err := harness.StartMailSink()
	if err != nil {
		return nil, fmt.Errorf("mail sink: %w", err)
	}
	undo = append(undo, func() error { sink.Close(); return nil })

	logf("%s: starting the %s server", name, s.name)
	srv, err := startServer(ctx, s.bin, dir, dbURL, sink.URL())
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", s.name, err)
	}
	undo = append(undo, srv.stop)
	t = newTarget(srv.Base, srv.adminToken, o.concurrency)
	undo = append(undo, func() error { t.client.CloseIdleConnections(); return nil })
	t.database, t.side = name, s.name
	t.pid, t.sink, t.inboundSecret, t.replyDomain = srv.Pid(), sink, srv.inboundSecret, replyDomain
	t.postgres = name == "postgres"
	if t.queue, err = openQueueProbe(name, dbURL); err != nil {
		return nil, err
	}
	undo = append(undo, t.queue.Close)
	t.stop = stop
	return t, nil
}

// postgresAdminURL is the server the benchmark database is created on.
func postgresAdminURL() string {
	if u := os.Getenv("PORTICO_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// createPostgres creates a database with a random name, so that runs never
// see each other's data, and returns its URL and a func that drops it.
func createPostgres(ctx context.Context) (dbURL string, drop func() error, err error) {
	adminURL := postgresAdminURL()
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("PORTICO_TEST_POSTGRES_URL: %w", err)
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", nil, unavailableError{err}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		admin.Close()
		return "", nil, unavailableError{fmt.Errorf("PostgreSQL at %s is not reachable: %w", u.Redacted(), err)}
	}
	name := "portico_bench_" + harness.RandomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() error {
		defer admin.Close()
		// Not ctx: the database must go even after an interrupt. FORCE ends
		// connections a server that was killed may have left behind.
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := admin.ExecContext(dropCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// openQueueProbe opens the server's database for the one query the
// benchmark makes of it: how many jobs are waiting or running.
func openQueueProbe(dialect, dbURL string) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch dialect {
	case "sqlite":
		path := strings.TrimPrefix(dbURL, "sqlite://")
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	default:
		db, err = sql.Open("postgres", dbURL)
	}
	if err != nil {
		return nil, fmt.Errorf("open the database to watch the job queue: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// queueDepth is the number of River jobs that are due or running.
func queueDepth(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE state IN ('available', 'running')").Scan(&n)
	return n, err
}

// server is a portico process started by the benchmark.
type server struct {
	*harness.Server
	adminToken    string
	inboundSecret string
	log           *harness.LogFilter
}

// startServer runs bin on a free loopback port and waits until it is ready.
func startServer(ctx context.Context, bin, dir, dbURL, mailURL string) (*server, error) {
	addr, err := harness.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{adminToken: harness.RandomHex(16), inboundSecret: harness.RandomHex(16)}
	env := []string{
		"PORTICO_BASE_URL=http://" + addr,
		"PORTICO_DATABASE_URL=" + dbURL,
		"PORTICO_MAIL_URL=" + mailURL,
		"PORTICO_WIDGET_LIMIT_PER_EMAIL=" + hugeLimit,
		"PORTICO_WIDGET_LIMIT_PER_IP=" + hugeLimit,
		"PORTICO_MAIL_LIMIT_PER_RECIPIENT=" + hugeLimit,
		"PORTICO_LOG_LEVEL=warn",
		"PORTICO_ADMIN_API_TOKEN=" + s.adminToken,
		"PORTICO_MAIL_FROM=" + mailFrom,
		"PORTICO_INBOUND_SECRET=" + s.inboundSecret,
	}
	// Profiling under load: the one setting passed on from the shell.
	if v := os.Getenv("PORTICO_PPROF_ADDR"); v != "" {
		env = append(env, "PORTICO_PPROF_ADDR="+v)
	}
	// Warnings and errors go with our progress lines, not into the table;
	// a warning logged on every request is shown a few times, then counted.
	s.log = harness.NewLogFilter(os.Stderr, "bench: ")
	s.Server, err = harness.StartServer(ctx, harness.ServerOptions{Bin: bin, Dir: dir, Addr: addr, Env: env, Output: s.log})
	if err != nil {
		s.log.Close()
		return nil, err
	}
	return s, nil
}

// stop stops the server, then reports what its log filter held back.
func (s *server) stop() error {
	err := s.Stop()
	s.log.Close()
	return err
}
