package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the run reads what the server stored
)

// cluster is a PostgreSQL cluster of the run's own: initdb into a temporary
// directory, pg_ctl on a free port. Restarting the shared server would cut
// everyone else's tests.
type cluster struct {
	bin     string // the directory of initdb, pg_ctl and postgres
	dir     string // owns data/ and the server's log and socket
	port    int
	cred    *syscall.Credential // the postgres user's, when we run as root
	restart time.Duration       // how long the last restart took
}

// missingError is a tool the run needs that is not installed: outside CI
// the run is skipped.
type missingError struct{ what string }

func (e missingError) Error() string { return e.what }

// postgresBin finds initdb and pg_ctl: on PATH, else in Debian's
// /usr/lib/postgresql/<version>/bin, the highest version.
func postgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", missingError{"PostgreSQL's initdb and pg_ctl are not installed (not on PATH, not in /usr/lib/postgresql/*/bin)"}
}

// versionOf is the major version in /usr/lib/postgresql/<v>/bin, or 0.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// startCluster runs initdb and starts the server on a free port with trust
// authentication for the postgres superuser, then creates the database
// portico. initdb refuses to run as root: then everything runs as the
// postgres user, which owns the directory.
func startCluster(ctx context.Context, logf func(string, ...any)) (*cluster, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	if c.dir, err = os.MkdirTemp("", "portico-chaos-pg-"); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return c, fmt.Errorf("running as root, and initdb refuses root: there is no postgres user to run the cluster as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return c, err
		}
	}
	if c.port, err = freePort(); err != nil {
		return c, err
	}
	logf("postgres: initdb in %s (%s)", c.dir, bin)
	// --no-sync: the cluster lives as long as the run; a restart (fast
	// shutdown) writes everything out whatever fsync says.
	if err := c.run(ctx, "initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return c, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", c.port, c.dir)
	if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.data(), "-l", c.logFile(), "-o", opts); err != nil {
		return c, err
	}
	db, err := sql.Open("postgres", c.url("postgres"))
	if err != nil {
		return c, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE portico"); err != nil {
		return c, fmt.Errorf("create the database: %w", err)
	}
	logf("postgres: listening on 127.0.0.1:%d", c.port)
	return c, nil
}

func (c *cluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// url is the URL of database name, as the superuser.
func (c *cluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// restartFast is `pg_ctl restart -m fast`: every session is ended, the
// server checkpoints, stops and starts again.
func (c *cluster) restartFast(ctx context.Context) error {
	start := time.Now()
	// -l again: without it the new server would write to our pipe, and
	// the wait for pg_ctl's output would last as long as the server.
	err := c.run(ctx, "pg_ctl", "restart", "-m", "fast", "-w", "-t", "60", "-D", c.data(), "-l", c.logFile())
	c.restart = time.Since(start)
	return err
}

// stop shuts the cluster down and removes its directory.
func (c *cluster) stop() error {
	var err error
	if _, statErr := os.Stat(filepath.Join(c.data(), "postmaster.pid")); statErr == nil {
		// Not the run's context: the cluster must go even after an interrupt.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err = c.run(ctx, "pg_ctl", "stop", "-m", "immediate", "-w", "-D", c.data())
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs one of the cluster's programs, as the postgres user when we are
// root, and returns its output with the error.
func (c *cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir // the postgres user may not enter our working directory
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(c.logFile())
		return fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args[:1], " "), err, out, tail(log, 2000))
	}
	return nil
}

// tail is the end of b, at most n bytes.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
