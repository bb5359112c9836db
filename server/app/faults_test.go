package app_test

// Faults (issue 9): the parts portico depends on fail, and it degrades the
// way docs/RELIABILITY.md says: SMTP refusing, Turnstile unreachable, Redis
// down.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// refusingSMTP is an SMTP server that answers delivery attempt n (counted
// at MAIL FROM, from 1) with reply(n) at one stage of the transaction ("mail",
// "rcpt" or "data"); a nil reply accepts. It records what it accepted.
type refusingSMTP struct {
	addr  string
	stage string
	reply func(attempt int) *smtp.SMTPError

	mu       sync.Mutex
	attempts int
	accepted [][]byte
}

func startRefusingSMTP(t *testing.T, stage string, reply func(attempt int) *smtp.SMTPError) *refusingSMTP {
	t.Helper()
	r := &refusingSMTP{stage: stage, reply: reply}
	ln := listen(t)
	r.addr = ln.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &refusingSession{r: r}, nil }))
	srv.Domain = "refusing.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *refusingSMTP) url() string { return "smtp://" + r.addr + "?tls=none" }

func (r *refusingSMTP) counts() (attempts, accepted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, len(r.accepted)
}

type refusingSession struct {
	r       *refusingSMTP
	attempt int
}

func (s *refusingSession) refuse(stage string) error {
	if s.r.stage != stage {
		return nil
	}
	if e := s.r.reply(s.attempt); e != nil {
		return e
	}
	return nil
}

func (s *refusingSession) Mail(string, *smtp.MailOptions) error {
	s.r.mu.Lock()
	s.r.attempts++
	s.attempt = s.r.attempts
	s.r.mu.Unlock()
	return s.refuse("mail")
}

func (s *refusingSession) Rcpt(string, *smtp.RcptOptions) error { return s.refuse("rcpt") }

func (s *refusingSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.refuse("data"); err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.accepted = append(s.r.accepted, raw)
	s.r.mu.Unlock()
	return nil
}

func (s *refusingSession) Reset()        {}
func (s *refusingSession) Logout() error { return nil }

func smtpErr(code int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: msg}
}

// mailStatus opens the app's database a second time and returns the
// ticket's queued mails (status, attempts, last error).
func mailStatus(t *testing.T, d store.Dialect, vars map[string]string, ticketID int64) []model.OutboundMail {
	t.Helper()
	s := dbStore(t, d, vars)
	mails, err := s.OutboundMails(context.Background(), ticketID)
	if err != nil {
		t.Fatal(err)
	}
	return mails
}

var dbStores sync.Map // DSN → *store.Store, one per test database

func dbStore(t *testing.T, d store.Dialect, vars map[string]string) *store.Store {
	t.Helper()
	dsn := strings.TrimPrefix(vars["PORTICO_DATABASE_URL"], "sqlite://")
	if s, ok := dbStores.Load(dsn); ok {
		return s.(*store.Store)
	}
	s := dbtest.OpenDSN(t, d, dsn, nil)
	dbStores.Store(dsn, s)
	t.Cleanup(func() { dbStores.Delete(dsn) })
	return s
}

// waitFor polls cond every 20 ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveMail starts an app that delivers to smtpURL with fast retries.
func serveMail(t *testing.T, vars map[string]string, smtpURL string, deps app.Deps) *app.App {
	t.Helper()
	vars["PORTICO_MAIL_URL"] = smtpURL
	vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
	deps.JobRetryPolicy = fastRetry{}
	a := newApp(t, vars, deps)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, listen(t)) }()
	t.Cleanup(func() { cancel(); <-served })
	return a
}

// A permanent refusal (5xx) at any stage marks the mail failed after one
// attempt, and it is never tried again; the ticket itself stands.
func TestFaultSMTPPermanentRefusal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		stage string
		code  int
		d     store.Dialect
	}{
		{"rcpt", 550, store.SQLite},
		{"rcpt", 550, store.Postgres},
		{"mail", 553, store.SQLite},
		{"data", 554, store.SQLite},
	} {
		t.Run(fmt.Sprintf("%s %d %s", c.stage, c.code, c.d), func(t *testing.T) {
			t.Parallel()
			srv := startRefusingSMTP(t, c.stage, func(int) *smtp.SMTPError { return smtpErr(c.code, "no such mailbox here") })
			vars := env(t, c.d)
			a := serveMail(t, vars, srv.url(), app.Deps{})
			r := fileTicket(t, a, ticketBody("nobody@example.com"))
			if r.Status != 201 {
				t.Fatalf("file: %d %s", r.Status, r.Body)
			}
			id := ticketIDOf(t, r.json(t)["reference"].(string))
			var m model.OutboundMail
			waitFor(t, "the mail marked failed", 10*time.Second, func() bool {
				m = mailStatus(t, c.d, vars, id)[0]
				return m.Status == model.MailFailed
			})
			time.Sleep(500 * time.Millisecond) // five retry intervals of fastRetry
			attempts, accepted := srv.counts()
			if attempts != 1 || accepted != 0 {
				t.Errorf("SMTP saw %d attempts, accepted %d; want 1 attempt, nothing accepted", attempts, accepted)
			}
			m = mailStatus(t, c.d, vars, id)[0]
			if m.Status != model.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, fmt.Sprint(c.code)) || m.SentAt != nil {
				t.Errorf("mail = status %s, attempts %d, last error %q", m.Status, m.Attempts, m.LastError)
			}
			if n, _ := inventory(t, a); n != 1 {
				t.Errorf("%d tickets, want 1", n)
			}
		})
	}
}

// A temporary refusal (4xx) is retried until the server takes the mail,
// which then arrives exactly once.
func TestFaultSMTPTemporaryRefusal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		srv := startRefusingSMTP(t, "rcpt", func(n int) *smtp.SMTPError {
			if n <= 2 {
				return smtpErr(451, "greylisted, try again later")
			}
			return nil
		})
		vars := env(t, d)
		a := serveMail(t, vars, srv.url(), app.Deps{})
		r := fileTicket(t, a, ticketBody("grey@example.com"))
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		id := ticketIDOf(t, r.json(t)["reference"].(string))
		waitFor(t, "the mail accepted", 10*time.Second, func() bool { _, n := srv.counts(); return n >= 1 })
		time.Sleep(500 * time.Millisecond) // room for a duplicate
		if attempts, accepted := srv.counts(); attempts != 3 || accepted != 1 {
			t.Errorf("SMTP saw %d attempts and accepted %d; want 3 and 1", attempts, accepted)
		}
		m := mailStatus(t, d, vars, id)[0]
		if m.Status != model.MailSent || m.Attempts != 3 || m.SentAt == nil {
			t.Errorf("mail = status %s, attempts %d, last error %q", m.Status, m.Attempts, m.LastError)
		}
	})
}

// TestFaultTurnstileUnreachable: whatever way siteverify fails (refused,
// hanging past the client timeout, 5xx, nonsense), a portal reply is
// refused with 503, a clear message and the text kept; a widget submission
// gets 503 JSON with Retry-After; nothing is stored. When siteverify is back
// both go through.
func TestFaultTurnstileUnreachable(t *testing.T) {
	t.Parallel()
	var mode atomic.Value // "ok", "500", "garbage", "hang"
	mode.Store("ok")
	verify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "500":
			http.Error(w, "upstream trouble", http.StatusInternalServerError)
		case "garbage":
			fmt.Fprint(w, "<html>captive portal</html>")
		case "hang":
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second): // well past the client's 300ms
			}
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"success": true})
		}
	}))
	t.Cleanup(verify.Close)
	refused := listen(t) // a port that accepts nothing once closed
	refusedURL := "http://" + refused.Addr().String() + "/siteverify"
	refused.Close()

	vars := env(t, store.SQLite)
	vars["PORTICO_TURNSTILE_SECRET_KEY"] = "ts-secret"
	vars["PORTICO_TURNSTILE_SITE_KEY"] = "ts-site"
	vars["PORTICO_TURNSTILE_VERIFY_URL"] = verify.URL
	ma := startMailApp(t, store.SQLite, vars, app.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	ticket := func(email string) string {
		b, _ := json.Marshal(map[string]string{"email": email, "subject": "s", "description": "d", "cf-turnstile-response": "tok"})
		return string(b)
	}
	if r := fileTicket(t, ma.App, ticket("ts@example.com")); r.Status != 201 {
		t.Fatalf("file with siteverify up: %d %s", r.Status, r.Body)
	}
	path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	_, before := inventory(t, ma.App)

	// The refused case needs its own app: the verify URL is configuration.
	varsDown := env(t, store.SQLite)
	for k, v := range vars {
		if strings.HasPrefix(k, "PORTICO_TURNSTILE") {
			varsDown[k] = v
		}
	}
	varsDown["PORTICO_TURNSTILE_VERIFY_URL"] = refusedURL
	down := newApp(t, varsDown, app.Deps{})
	if r := fileTicket(t, down, ticket("down@example.com")); r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("widget, siteverify refusing connections: %d %s", r.Status, r.Body)
	} else {
		explains(t, "widget, siteverify refusing connections", r, "try again")
	}
	if n, _ := inventory(t, down); n != 0 {
		t.Errorf("%d tickets filed while siteverify was unreachable", n)
	}

	for _, m := range []string{"500", "garbage", "hang"} {
		mode.Store(m)
		start := time.Now()
		draft := "My reply while siteverify is " + m
		r := form(t, ma.App, path+"/replies", url.Values{"body": {draft}, "cf-turnstile-response": {"tok"}})
		if r.Status != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("portal reply, siteverify %s: %d", m, r.Status)
		}
		explains(t, "portal reply, siteverify "+m, r, "We could not check your reply just now")
		if !strings.Contains(string(r.Body), draft) {
			t.Errorf("portal reply, siteverify %s: the text was not kept", m)
		}
		w := fileTicket(t, ma.App, ticket("w-"+m+"@example.com"))
		if w.Status != 503 || w.Header.Get("Retry-After") == "" {
			t.Errorf("widget, siteverify %s: %d %s", m, w.Status, w.Body)
		} else {
			explains(t, "widget, siteverify "+m, w, "try again")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("siteverify %s: answers took %v (the client timeout is 300ms)", m, d)
		}
	}
	if n, after := inventory(t, ma.App); n != 1 || after != before {
		t.Errorf("stored while siteverify was down: %d tickets, messages %d → %d", n, before, after)
	}
	mode.Store("ok")
	if r := form(t, ma.App, path+"/replies", url.Values{"body": {"back"}, "cf-turnstile-response": {"tok"}}); r.Status != 303 {
		t.Errorf("portal reply with siteverify back: %d", r.Status)
	}
	if r := fileTicket(t, ma.App, ticket("back@example.com")); r.Status != 201 {
		t.Errorf("widget with siteverify back: %d", r.Status)
	}
}

// logBuffer is a goroutine-safe sink for the app's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// closedPort is a local address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFaultRedisDownAtStart: PORTICO_REDIS_URL points at a closed port. The
// app starts anyway, limits hold per instance, nothing answers 5xx, and the
// outage is logged (once per minute, not per request).
func TestFaultRedisDownAtStart(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	vars := env(t, store.SQLite)
	vars["PORTICO_REDIS_URL"] = "redis://" + closedPort(t) + "/0"
	vars["PORTICO_WIDGET_LIMIT_PER_EMAIL"] = "3/1h"
	a := newApp(t, vars, app.Deps{Logger: logs.logger()})
	if !strings.Contains(logs.String(), "redis unreachable at start-up") {
		t.Errorf("start-up did not log the outage:\n%s", logs.String())
	}
	for i, want := range []int{201, 201, 201, 429, 429} {
		if r := fileTicket(t, a, ticketBody("redis-down@example.com")); r.Status != want {
			t.Fatalf("submission %d: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
	}
	login := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"correct-horse-battery"}`})
	if login.Status != 200 {
		t.Errorf("sign-in with Redis down: %d %s", login.Status, login.Body)
	}
	if n := strings.Count(logs.String(), "rate limiter unavailable"); n != 1 {
		t.Errorf("%d outage warnings, want 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}

// tcpProxy forwards to target until Stop, which closes the listener and
// every connection: Redis going away under a running app.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{ln: listen(t), target: target}
	go func() {
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) Stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestFaultRedisLostWhileRunning: Redis goes away under a running app. The
// budget spent in Redis is not known to the fallback (a fresh per-instance
// budget starts), but requests keep being answered, never with a 5xx.
func TestFaultRedisLostWhileRunning(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.Addr()
	var logs logBuffer
	vars := env(t, store.SQLite)
	vars["PORTICO_REDIS_URL"] = u.String()
	vars["PORTICO_WIDGET_LIMIT_PER_EMAIL"] = "2/1h"
	vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "1000000/1h" // Redis outlives the test
	a := newApp(t, vars, app.Deps{Logger: logs.logger()})
	email := "lost-" + dbtest.Name() + "@example.com"
	for i, want := range []int{201, 201, 429} {
		if r := fileTicket(t, a, ticketBody(email)); r.Status != want {
			t.Fatalf("with Redis, submission %d: %d, want %d", i+1, r.Status, want)
		}
	}
	proxy.Stop()
	for i, want := range []int{201, 201, 429} {
		if r := fileTicket(t, a, ticketBody(email)); r.Status != want {
			t.Fatalf("Redis gone, submission %d: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
	}
	if n := strings.Count(logs.String(), "rate limiter unavailable"); n != 1 {
		t.Errorf("%d outage warnings, want 1:\n%s", n, logs.String())
	}
}
