package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

const testMetricsToken = "test-metrics-token-0123456789"

// served is an app answering on a real TCP listener at 127.0.0.1.
type served struct {
	*app.App
	url string
}

func serveApp(t *testing.T, vars map[string]string, deps app.Deps) served {
	t.Helper()
	a := newApp(t, vars, deps)
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return served{App: a, url: "http://" + ln.Addr().String()}
}

// call makes a real HTTP request; header values are added in order, so a
// key given twice becomes two header lines.
func call(t *testing.T, base, method, path, body string, header ...[2]string) response {
	t.Helper()
	r, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, h := range header {
		r.Header.Add(h[0], h[1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func xff(v string) [2]string { return [2]string{"X-Forwarded-For", v} }

// One client behind nginx ($proxy_add_x_forwarded_for appends the address
// nginx saw to whatever the client sent) forges a new prefix on every wrong
// password: the limit still counts the one real address, and the access log
// names it, not the forged text.
func TestClientIPBehindProxy(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		logs := &logBuffer{}
		vars := env(t, d)
		vars["PORTICO_TRUSTED_PROXIES"] = "127.0.0.1, 10.0.0.0/8"
		vars["PORTICO_ADMIN_LOGIN_LIMIT_PER_IP"] = "5/1h"
		vars["PORTICO_ADMIN_LOGIN_LIMIT_PER_ACCOUNT"] = "100/1h"
		s := serveApp(t, vars, app.Deps{Logger: logs.logger()})
		var statuses []int
		for i := range 15 {
			forged := fmt.Sprintf("6.6.%d.%d", i, i)
			if i%3 == 1 {
				forged = "<script>x</script>, unknown" // junk left of the real client is never read
			}
			body := fmt.Sprintf(`{"email":"guess%d@example.com","password":"wrong"}`, i)
			// Client → nginx (appends 198.51.100.7) → a load balancer at
			// 10.0.0.2 → portico at 127.0.0.1.
			r := call(t, s.url, "POST", "/support/admin/api/session", body, xff(forged+", 198.51.100.7, 10.0.0.2"))
			statuses = append(statuses, r.Status)
		}
		for i, st := range statuses {
			want := 401
			if i >= 5 {
				want = 429
			}
			if st != want {
				t.Fatalf("sign-in %d with a forged prefix: %d, want %d (all: %v)", i+1, st, want, statuses)
			}
		}
		log := logs.String()
		if !strings.Contains(log, "ip=198.51.100.7") || strings.Contains(log, "6.6.") || strings.Contains(log, "script") {
			t.Errorf("access log does not carry the validated address only:\n%s", log)
		}

		// The header counts only from a trusted peer: the same forged header
		// sent straight from a client that is not a proxy is ignored.
		vars2 := env(t, d)
		vars2["PORTICO_TRUSTED_PROXIES"] = "10.0.0.0/8"
		logs2 := &logBuffer{}
		s2 := serveApp(t, vars2, app.Deps{Logger: logs2.logger()})
		call(t, s2.url, "GET", "/healthz", "", xff("198.51.100.7"))
		if l := logs2.String(); !strings.Contains(l, "ip=127.0.0.1") || strings.Contains(l, "198.51.100.7") {
			t.Errorf("untrusted peer's header was believed:\n%s", l)
		}
	})
}

// IPv6 clients share a widget budget per /64; another /64 has its own.
// Several header lines are one list, read in order.
func TestIPv6ClientsLimitedPer64(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		vars["PORTICO_TRUSTED_PROXIES"] = "127.0.0.1"
		vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "2/1h"
		s := serveApp(t, vars, app.Deps{})
		for i, c := range []struct {
			header [][2]string
			want   int
		}{
			{[][2]string{xff("2001:db8:1:2::1")}, 201},
			{[][2]string{xff("1.2.3.4"), xff("[2001:db8:1:2::2]:4431")}, 201},
			{[][2]string{xff("[2001:db8:1:2:ffff:ffff:ffff:3]")}, 429},
			{[][2]string{xff("2001:db8:1:3::1")}, 201},
			{[][2]string{xff("::ffff:203.0.113.5")}, 201},
		} {
			r := call(t, s.url, "POST", "/support/widget/tickets", ticketBody(fmt.Sprintf("v6-%d@example.com", i)), c.header...)
			if r.Status != c.want {
				t.Errorf("submission %d from %v: %d %s, want %d", i, c.header, r.Status, r.Body, c.want)
			}
		}
	})
}

// Many addresses do not buy many guesses at one account; an unknown account
// is refused the same way, so the 429 does not tell whether it exists.
func TestAdminLoginLimitedPerAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		vars["PORTICO_TRUSTED_PROXIES"] = "127.0.0.1"
		vars["PORTICO_ADMIN_LOGIN_LIMIT_PER_IP"] = "100/1h"
		vars["PORTICO_ADMIN_LOGIN_LIMIT_PER_ACCOUNT"] = "3/1h"
		s := serveApp(t, vars, app.Deps{})
		ip := 0
		login := func(email, password string) response {
			ip++
			return call(t, s.url, "POST", "/support/admin/api/session",
				fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), xff(fmt.Sprintf("203.0.113.%d", ip)))
		}
		var refusals []response
		for _, email := range []string{"root@example.com", "ghost@example.com"} {
			for i := range 3 {
				if r := login(email, "wrong"); r.Status != 401 {
					t.Fatalf("%s attempt %d from a fresh IP: %d %s", email, i+1, r.Status, r.Body)
				}
			}
			// Same account, spelled differently, from yet another IP.
			r := login("  "+strings.ToUpper(email)+" ", "wrong")
			if r.Status != 429 || r.Header.Get("Retry-After") == "" {
				t.Fatalf("%s: 4th attempt from a 4th IP: %d %s, want 429 with Retry-After", email, r.Status, r.Body)
			}
			refusals = append(refusals, r)
		}
		if string(refusals[0].Body) != string(refusals[1].Body) {
			t.Errorf("429 differs between a real and an unknown account: %s vs %s", refusals[0].Body, refusals[1].Body)
		}
		// The budget is the account's: the right password waits too, and
		// another account is not affected.
		if r := login("root@example.com", "correct-horse-battery"); r.Status != 429 {
			t.Errorf("right password on a locked account: %d", r.Status)
		}
		if r := login("someone@example.com", "wrong"); r.Status != 401 {
			t.Errorf("another account: %d", r.Status)
		}
	})
}

// Each route reads at most its own limit before any handler runs.
func TestBodyLimitsPerRoute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := inboundEnv(t, d)
		vars["PORTICO_ADMIN_LOGIN_LIMIT_PER_IP"] = "1/1h"
		s := serveApp(t, vars, app.Deps{})
		a := s.App
		over := strings.Repeat("x", 65<<10)
		for _, c := range []struct{ name, method, path, body string }{
			{"widget", "POST", "/support/widget/tickets", `{"email":"big@example.com","subject":"s","description":"` + over + `"}`},
			{"sign-in", "POST", "/support/admin/api/session", `{"email":"root@example.com","password":"` + over + `"}`},
			{"admin JSON", "PUT", "/support/admin/settings/portal", `{"x":"` + over + `"}`},
			{"unknown route", "POST", "/nowhere", over},
		} {
			r := do(t, a, req{method: c.method, path: c.path, body: c.body, header: bearer()})
			if r.Status != 413 || !strings.Contains(string(r.Body), "at most 64 KiB") {
				t.Errorf("%s with 65 KiB: %d %.200s, want 413 naming 64 KiB", c.name, r.Status, r.Body)
			}
		}

		// 40 MB of valid credentials JSON: refused before the handler, which
		// would have charged the one sign-in this IP may make.
		huge := `{"email":"root@example.com","password":"` + strings.Repeat("p", 40_000_000) + `"}`
		for range 3 {
			r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: huge})
			if r.Status != 413 {
				t.Fatalf("40 MB sign-in: %d %.200s, want 413", r.Status, r.Body)
			}
		}
		// Chunked, no Content-Length (over a real connection): read up to
		// the limit, then refused.
		// The server answers and closes while the body is still coming, so
		// the body is written beside reading the answer (http.Post would
		// report the reset instead of the answer).
		res, body := postChunkedRaw(t, s.url, "/support/admin/api/session", huge[:1<<20])
		if res.StatusCode != 413 || !strings.Contains(string(body), "at most 64 KiB") {
			t.Errorf("chunked 1 MiB sign-in: %d %s", res.StatusCode, body)
		}
		// Compressed bodies could expand past any limit.
		r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: "x", header: map[string]string{"Content-Encoding": "gzip"}})
		if r.Status != 415 || !strings.Contains(string(r.Body), "uncompressed") {
			t.Errorf("gzip body: %d %s", r.Status, r.Body)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"correct-horse-battery"}`}); r.Status != 200 {
			t.Errorf("sign-in after the refused bodies: %d %s; the handler ran for them", r.Status, r.Body)
		}

		// Inbound keeps its own, larger limit: a 2 MB mail is filed.
		if r := postmark(t, a, pm{From: "big@example.com", To: "help@acme.test", Subject: "Logs", Text: strings.Repeat("log line\n", 2<<20/9)}); r.Status != 200 {
			t.Errorf("2 MB inbound mail: %d %.200s", r.Status, r.Body)
		}
	})
}

func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	t.Run("default: local clients only", func(t *testing.T) {
		t.Parallel()
		vars := env(t, store.SQLite)
		vars["PORTICO_TRUSTED_PROXIES"] = "127.0.0.1"
		s := serveApp(t, vars, app.Deps{})
		if r := call(t, s.url, "GET", "/metrics", ""); r.Status != 200 || !strings.Contains(string(r.Body), "go_goroutines") {
			t.Errorf("from loopback: %d", r.Status)
		}
		// A local proxy relaying a client from the internet is not local.
		if r := call(t, s.url, "GET", "/metrics", "", xff("203.0.113.9")); r.Status != 403 || !strings.Contains(string(r.Body), "PORTICO_METRICS_TOKEN") {
			t.Errorf("relayed by a trusted local proxy: %d %s", r.Status, r.Body)
		}
		if r := call(t, s.url, "GET", "/metrics", "", xff("127.0.0.1")); r.Status != 403 {
			t.Errorf("forwarded, claiming loopback: %d", r.Status)
		}
		// In-memory requests come from 0.0.0.0: not loopback.
		if r := do(t, s.App, req{method: "GET", path: "/metrics"}); r.Status != 403 {
			t.Errorf("from a non-loopback peer: %d", r.Status)
		}
	})
	t.Run("untrusted local proxy", func(t *testing.T) {
		t.Parallel()
		s := serveApp(t, env(t, store.SQLite), app.Deps{})
		if r := call(t, s.url, "GET", "/metrics", "", [2]string{"X-Real-IP", "203.0.113.9"}); r.Status != 403 {
			t.Errorf("forwarded through a proxy not listed as trusted: %d", r.Status)
		}
	})
	t.Run("token", func(t *testing.T) {
		t.Parallel()
		vars := env(t, store.SQLite)
		vars["PORTICO_METRICS_TOKEN"] = testMetricsToken
		a := newApp(t, vars, app.Deps{})
		for _, h := range []string{"", "Bearer wrong", "Bearer " + testMetricsToken + "x", testMetricsToken} {
			if r := do(t, a, req{method: "GET", path: "/metrics", header: map[string]string{"Authorization": h}}); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("Authorization %q: %d", h, r.Status)
			}
		}
		if r := do(t, a, req{method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer " + testMetricsToken}}); r.Status != 200 {
			t.Errorf("right token: %d", r.Status)
		}
	})
	t.Run("own listener", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		vars := env(t, store.SQLite)
		vars["PORTICO_METRICS_ADDR"] = addr
		s := serveApp(t, vars, app.Deps{})
		if r := call(t, s.url, "GET", "/metrics", ""); r.Status != 404 {
			t.Errorf("main listener with PORTICO_METRICS_ADDR set: %d", r.Status)
		}
		var r response
		for range 50 { // the listener starts with Serve
			if r = call(t, "http://"+addr, "GET", "/metrics", ""); r.Status == 200 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r.Status != 200 || !strings.Contains(string(r.Body), "portico_http_requests_total") {
			t.Errorf("metrics listener: %d", r.Status)
		}
	})
}

func TestHSTS(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"https://support.example.com", "http://support.example.com"} {
		vars := env(t, store.SQLite)
		vars["PORTICO_BASE_URL"] = base
		a := newApp(t, vars, app.Deps{})
		for _, p := range []string{"/healthz", "/nowhere", "/support/widget/config", "/support/admin/tickets"} {
			got := do(t, a, req{method: "GET", path: p}).Header.Get("Strict-Transport-Security")
			want := ""
			if strings.HasPrefix(base, "https") {
				want = "max-age=31536000; includeSubDomains"
			}
			if got != want {
				t.Errorf("%s %s: Strict-Transport-Security %q, want %q", base, p, got, want)
			}
		}
	}
}

func TestLogMailerWarnsAtStart(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	newApp(t, env(t, store.SQLite), app.Deps{Logger: logs.logger()})
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "written to stdout") || !strings.Contains(l, "set PORTICO_MAIL_URL") {
		t.Errorf("no warning for log://:\n%s", l)
	}
	quiet := &logBuffer{}
	vars := env(t, store.SQLite)
	vars["PORTICO_MAIL_URL"] = "smtp://127.0.0.1:2525"
	newApp(t, vars, app.Deps{Logger: quiet.logger()})
	if strings.Contains(quiet.String(), "written to stdout") {
		t.Errorf("warning with an SMTP mailer:\n%s", quiet.String())
	}
}

// postChunkedRaw sends body chunked (no Content-Length) over a connection of
// its own while reading the answer, which may come before the body ends.
func postChunkedRaw(t *testing.T, baseURL, path, body string) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", path, u.Host)
		for rest := body; rest != ""; {
			n := min(len(rest), 32<<10)
			fmt.Fprintf(w, "%x\r\n%s\r\n", n, rest[:n])
			if w.Flush() != nil {
				return // the server closed: it answered already
			}
			rest = rest[n:]
		}
		fmt.Fprint(w, "0\r\n\r\n")
		_ = w.Flush()
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}
