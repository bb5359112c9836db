package app_test

// Crash safety (issue 9): the real binary is killed with SIGKILL under a
// submission load and started again on the same database.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

// buildPortico builds the command at the repository root into dir.
func buildPortico(t *testing.T, dir string) string {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("go.mod not found above the test directory")
		}
		root = parent
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(dir, "portico")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// child is one run of the binary.
type child struct {
	cmd  *exec.Cmd
	base string
	log  *logBuffer
	done chan struct{}
}

// startChild runs bin with the PORTICO_ variables of vars (and none of the
// test's own) on a free port, and waits until it answers /healthz.
func startChild(t *testing.T, bin string, vars map[string]string) *child {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTICO_") {
			environ = append(environ, kv)
		}
	}
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	environ = append(environ, "PORTICO_ADDR="+addr, "PORTICO_LOG_LEVEL=warn")
	c := &child{cmd: exec.Command(bin), base: "http://" + addr, log: &logBuffer{}, done: make(chan struct{})}
	c.cmd.Env = environ
	c.cmd.Dir = t.TempDir() // no ./portico.yaml, no ./data
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("portico output:\n%s", c.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(c.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return c
			}
		}
		select {
		case <-c.done:
			t.Fatalf("portico exited at start:\n%s", c.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("portico did not answer /healthz:\n%s", c.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM (a graceful stop) and waits.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Fatal("portico did not stop on SIGTERM")
	}
}

// openDB opens the test database directly (for checks the admin API does
// not offer: mail status, River's jobs).
func openDB(t *testing.T, d store.Dialect, vars map[string]string, readOnly bool) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if d == store.SQLite {
		path := strings.TrimPrefix(vars["PORTICO_DATABASE_URL"], "sqlite://")
		q := "?_pragma=busy_timeout(10000)"
		if readOnly {
			q = "?mode=ro"
		}
		db, err = sql.Open("sqlite", "file:"+path+q)
	} else {
		db, err = sql.Open("postgres", vars["PORTICO_DATABASE_URL"])
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type mailRow struct {
	ticketID  int64
	messageID string
	status    string
}

func mailRows(t *testing.T, db *sql.DB) []mailRow {
	t.Helper()
	rows, err := db.Query(`SELECT ticket_id, email_message_id, status FROM outbound_mails ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []mailRow
	for rows.Next() {
		var r mailRow
		if err := rows.Scan(&r.ticketID, &r.messageID, &r.status); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// load posts tickets from a few goroutines until stop closes, and returns
// the references that were answered 201.
func load(base string, workers int, stop <-chan struct{}) (created []string, cut int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := ticketBody(fmt.Sprintf("crash-%d-%d@example.com", w, i))
				res, err := client.Post(base+"/support/widget/tickets", "application/json", strings.NewReader(body))
				if err != nil {
					mu.Lock()
					cut++
					mu.Unlock()
					return // the server is gone
				}
				var out struct{ Reference string }
				_ = json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				if res.StatusCode == 201 {
					mu.Lock()
					created = append(created, out.Reference)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return created, cut
}

// TestCrashSafety kills portico with SIGKILL while it takes submissions and
// sends their confirmations, then starts it again on the same database:
// every 201 is in the database, every confirmation goes out exactly once
// (a second copy only where the crash fell between the SMTP server's
// acceptance and the "sent" mark, which the test sees in the database), and
// the SQLite file passes PRAGMA integrity_check.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs the crash test: drop -short")
		}
		t.Skip("builds and runs the binary")
	}
	bin := buildPortico(t, t.TempDir())
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		mt := mailtest.Start(t)
		vars := env(t, d)
		delete(vars, "PORTICO_CONFIG")
		vars["PORTICO_MAIL_URL"] = mt.URL()
		vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
		vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "1000000/1h"

		first := startChild(t, bin, vars)
		stop := make(chan struct{})
		var created []string
		var cut int
		loaded := make(chan struct{})
		go func() { created, cut = load(first.base, 3, stop); close(loaded) }()
		time.Sleep(time.Second)
		first.kill()
		close(stop)
		<-loaded
		before := mt.Received() // everything the SMTP server took before the crash
		if len(created) == 0 {
			t.Fatalf("no submission succeeded before the kill:\n%s", first.log.String())
		}

		if d == store.SQLite {
			integrityOK(t, d, vars, "after SIGKILL")
		}
		db := openDB(t, d, vars, false)
		defer db.Close()
		// The at-least-once window: mails the SMTP server accepted before
		// the crash while their row still says pending.
		window := map[string]bool{}
		got := map[string]bool{}
		for _, m := range before {
			got[m.Envelope(t).Root.Header.Get("Message-Id")] = true
		}
		for _, r := range mailRows(t, db) {
			if r.status == "pending" && got[r.messageID] {
				window[r.messageID] = true
			}
		}
		// Jobs that were running when the process died stay "running" until
		// River's rescuer hands them out again (RescueStuckJobsAfter, 5
		// minutes in server/jobs); do here what it will do then.
		res, err := db.Exec(`UPDATE river_job SET state = 'available' WHERE state = 'running'`)
		if err != nil {
			t.Fatal(err)
		}
		stuck, _ := res.RowsAffected()

		second := startChild(t, bin, vars)
		deadline := time.Now().Add(15 * time.Second)
		for {
			pending := 0
			for _, r := range mailRows(t, db) {
				if r.status != "sent" {
					pending++
				}
			}
			if pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d mails still not sent after the restart", pending)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // room for a late duplicate

		// Every 201 is in the database.
		inDB := map[string]bool{}
		for page := 1; ; page++ {
			r := second.call(t, "GET", fmt.Sprintf("/support/admin/tickets?page=%d", page), bearer())
			rows := r.json(t)["tickets"].([]any)
			for _, row := range rows {
				inDB[row.(map[string]any)["reference"].(string)] = true
			}
			if len(rows) == 0 {
				break
			}
		}
		for _, ref := range created {
			if !inDB[ref] {
				t.Errorf("%s was answered 201 but is not in the database", ref)
			}
		}

		// Every ticket's confirmation arrived exactly once, except in the
		// window shown above (then twice at most).
		copies := map[string]int{}
		for _, m := range mt.Received() {
			copies[m.Envelope(t).Root.Header.Get("Message-Id")]++
		}
		rows := mailRows(t, db)
		if len(rows) != len(inDB) {
			t.Errorf("%d queued mails for %d tickets", len(rows), len(inDB))
		}
		dups := 0
		for _, r := range rows {
			switch n := copies[r.messageID]; {
			case n == 1:
			case n == 2 && window[r.messageID]:
				dups++
			default:
				t.Errorf("%s (ticket %d) delivered %d times", r.messageID, r.ticketID, n)
			}
		}
		if len(copies) != len(rows) {
			t.Errorf("%d distinct Message-IDs delivered for %d queued mails", len(copies), len(rows))
		}
		t.Logf("%s: %d tickets answered 201, %d in the database (%d requests cut by the kill); %d jobs running at the kill; %d mails in the at-least-once window, %d delivered twice",
			d, len(created), len(inDB), cut, stuck, len(window), dups)

		second.stop(t)
		if d == store.SQLite {
			integrityOK(t, d, vars, "after the restart")
		}
	})
}

// call is a request to a running child.
func (c *child) call(t *testing.T, method, path string, header map[string]string) response {
	t.Helper()
	return instance{base: c.base}.call(t, method, path, "", header)
}

// integrityOK opens the SQLite file read-only and runs PRAGMA
// integrity_check and foreign_key_check.
func integrityOK(t *testing.T, d store.Dialect, vars map[string]string, when string) {
	t.Helper()
	db := openDB(t, d, vars, true)
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check %s: %q, %v", when, res, err)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatalf("foreign_key_check %s: %v", when, err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Errorf("foreign_key_check %s: violations", when)
	}
}

// TestReadyzFollowsDatabase: while the PostgreSQL database refuses
// connections, /readyz answers 503 (and the widget a JSON error, never a
// hang); once it accepts them again the same process is ready, without a
// restart.
func TestReadyzFollowsDatabase(t *testing.T) {
	t.Parallel()
	vars := env(t, store.Postgres)
	a := newApp(t, vars, app.Deps{})
	u, err := url.Parse(vars["PORTICO_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("postgres", dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if r := do(t, a, req{method: "GET", path: "/readyz"}); r.Status != 200 {
		t.Fatalf("readyz before the outage: %d", r.Status)
	}
	if r := fileTicket(t, a, ticketBody("before@example.com")); r.Status != 201 {
		t.Fatalf("file before the outage: %d", r.Status)
	}

	// The outage: no new connections, and every open one cut.
	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`)
	t.Cleanup(func() { _, _ = admin.Exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`) })
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`)
	start := time.Now()
	if r := do(t, a, req{method: "GET", path: "/readyz"}); r.Status != 503 || !json.Valid(r.Body) {
		t.Errorf("readyz during the outage: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "GET", path: "/healthz"}); r.Status != 200 {
		t.Errorf("healthz during the outage: %d (the process is alive)", r.Status)
	}
	r := fileTicket(t, a, ticketBody("during@example.com"))
	if r.Status < 500 || !json.Valid(r.Body) || strings.Contains(string(r.Body), "pq:") {
		t.Errorf("submission during the outage: %d %s", r.Status, r.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answers during the outage took %v", d)
	}

	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`)
	waitFor(t, "readyz back to 200", 10*time.Second, func() bool {
		return do(t, a, req{method: "GET", path: "/readyz"}).Status == 200
	})
	if r := fileTicket(t, a, ticketBody("after@example.com")); r.Status != 201 {
		t.Errorf("submission after the outage: %d %s", r.Status, r.Body)
	}
	if n, _ := inventory(t, a); n != 2 {
		t.Errorf("%d tickets, want the 2 filed outside the outage", n)
	}
}
