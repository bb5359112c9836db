package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

const setupPath = "/support/admin/api/setup"

var setupLink = regexp.MustCompile(`(\S+)/admin/setup\?token=([0-9a-f]{64})\b`)

// firstRunEnv is a fresh installation: no PORTICO_ADMIN_* variables.
func firstRunEnv(t *testing.T, d store.Dialect) map[string]string {
	t.Helper()
	vars := env(t, d)
	delete(vars, "PORTICO_ADMIN_EMAIL")
	delete(vars, "PORTICO_ADMIN_PASSWORD")
	return vars
}

// startFirstRun starts an app and returns it with the set-up token it
// printed on the console ("" if none) and its log.
func startFirstRun(t *testing.T, vars map[string]string) (*app.App, string, *logBuffer) {
	t.Helper()
	var console logBuffer
	logs := &logBuffer{}
	a := newApp(t, vars, app.Deps{Console: &console, Logger: logs.logger()})
	m := setupLink.FindStringSubmatch(console.String())
	if m == nil {
		if console.String() != "" {
			t.Fatalf("console without a set-up link:\n%s", console.String())
		}
		return a, "", logs
	}
	if m[1] != testOrigin {
		t.Errorf("set-up link on %s, want the base URL %s", m[1], testOrigin)
	}
	return a, m[2], logs
}

func setupBody(token, email, password string) string {
	return fmt.Sprintf(`{"token":%q,"email":%q,"password":%q}`, token, email, password)
}

// TestFirstRunSetupOverHTTP: with no admin the start prints a one-time link
// (the log masks its token); the link's token creates the admin, who is
// signed in at once; afterwards the endpoint answers 410 and a restart
// prints nothing.
func TestFirstRunSetupOverHTTP(t *testing.T) {
	t.Parallel()
	vars := firstRunEnv(t, store.SQLite)
	a, token, logs := startFirstRun(t, vars)
	if token == "" {
		t.Fatal("no set-up link printed without an admin")
	}
	if l := logs.String(); strings.Contains(l, token) || !strings.Contains(l, "/admin/setup?token=[token]") {
		t.Errorf("the log must name the link with its token masked:\n%s", l)
	}
	if r := do(t, a, req{method: "GET", path: setupPath}); r.Status != 200 || r.json(t)["required"] != true {
		t.Errorf("GET set-up status: %d %s", r.Status, r.Body)
	}
	// Sign-in has nobody to let in.
	if r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"x@example.com","password":"whatever1"}`}); r.Status != 401 {
		t.Errorf("sign-in without admins: %d", r.Status)
	}
	cases := []struct {
		name   string
		body   string
		header map[string]string
		status int
	}{
		{"missing token", setupBody("", "ada@example.com", "correct horse"), nil, 401},
		{"wrong token", setupBody(strings.Repeat("0", 64), "ada@example.com", "correct horse"), nil, 401},
		{"token in upper case", setupBody(strings.ToUpper(token), "ada@example.com", "correct horse"), nil, 401},
		{"not JSON", `{"token":`, nil, 400},
		{"foreign origin", setupBody(token, "ada@example.com", "correct horse"), map[string]string{"Origin": "https://evil.example"}, 403},
		{"null origin", setupBody(token, "ada@example.com", "correct horse"), map[string]string{"Origin": "null"}, 403},
		{"bad fields", setupBody(token, "ada", "short"), nil, 422},
	}
	for _, c := range cases {
		r := do(t, a, req{method: "POST", path: setupPath, body: c.body, header: c.header})
		if r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
		if c.status == 422 {
			errs, _ := r.json(t)["errors"].(map[string]any)
			if errs["email"] == nil || errs["password"] == nil {
				t.Errorf("%s: %s", c.name, r.Body)
			}
		}
	}
	// Sent to 127.0.0.1 while the base URL says portico.test: the request's
	// own origin is accepted.
	own := map[string]string{"Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:8080"}
	r := do(t, a, req{method: "POST", path: setupPath, body: setupBody(token, " Ada@Example.com ", "correct horse"), header: own})
	if r.Status != 200 || r.json(t)["email"] != "ada@example.com" {
		t.Fatalf("set-up: %d %s", r.Status, r.Body)
	}
	cookie := r.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "portico_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(strings.ToLower(cookie), "samesite=strict") {
		t.Errorf("set-up cookie = %q", cookie)
	}
	session := strings.SplitN(cookie, ";", 2)[0]
	if r := do(t, a, req{method: "GET", path: "/support/admin/api/session", header: map[string]string{"Cookie": session}}); r.Status != 200 || r.json(t)["email"] != "ada@example.com" {
		t.Errorf("signed in after set-up: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "POST", path: setupPath, body: setupBody(token, "eve@example.com", "correct horse")}); r.Status != 410 {
		t.Errorf("token used again: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "GET", path: setupPath}); r.Status != 410 {
		t.Errorf("GET set-up status with an admin: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"ada@example.com","password":"correct horse"}`}); r.Status != 200 {
		t.Errorf("sign-in with the chosen password: %d %s", r.Status, r.Body)
	}
	if _, again, _ := startFirstRun(t, vars); again != "" {
		t.Error("a restart with an admin printed a set-up link")
	}
}

// TestFirstRunRestartNewLink: a restart with still no admin prints a new
// link; the earlier one is dead.
func TestFirstRunRestartNewLink(t *testing.T) {
	t.Parallel()
	vars := firstRunEnv(t, store.SQLite)
	_, old, _ := startFirstRun(t, vars)
	a, token, _ := startFirstRun(t, vars)
	if old == "" || token == "" || old == token {
		t.Fatalf("tokens %q then %q", old, token)
	}
	if r := do(t, a, req{method: "POST", path: setupPath, body: setupBody(old, "ada@example.com", "correct horse")}); r.Status != 401 {
		t.Errorf("the earlier start's link: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "POST", path: setupPath, body: setupBody(token, "ada@example.com", "correct horse")}); r.Status != 200 {
		t.Errorf("the newest link: %d %s", r.Status, r.Body)
	}
}

// TestFirstRunNoLinkWithEnvAdmin: PORTICO_ADMIN_EMAIL/_PASSWORD create the
// admin, so no link is printed and the endpoint refuses.
func TestFirstRunNoLinkWithEnvAdmin(t *testing.T) {
	t.Parallel()
	a, token, _ := startFirstRun(t, env(t, store.SQLite))
	if token != "" {
		t.Error("set-up link printed although the environment named an admin")
	}
	if r := do(t, a, req{method: "POST", path: setupPath, body: setupBody(strings.Repeat("ab", 32), "eve@example.com", "correct horse")}); r.Status != 410 {
		t.Errorf("set-up with an admin: %d %s", r.Status, r.Body)
	}
}

// TestFirstRunConcurrentSetup: the same link used by several requests at
// once creates exactly one admin.
func TestFirstRunConcurrentSetup(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a, token, _ := startFirstRun(t, firstRunEnv(t, d))
		const n = 5
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i] = do(t, a, req{method: "POST", path: setupPath,
					body: setupBody(token, fmt.Sprintf("admin%d@example.com", i), "correct horse")}).Status
			})
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case 200:
				created++
			case 401, 410:
			default:
				t.Errorf("status %d", s)
			}
		}
		signedIn := 0
		for i := range n {
			body := fmt.Sprintf(`{"email":"admin%d@example.com","password":"correct horse"}`, i)
			if do(t, a, req{method: "POST", path: "/support/admin/api/session", body: body}).Status == 200 {
				signedIn++
			}
		}
		if created != 1 || signedIn != 1 {
			t.Errorf("%d set-ups succeeded and %d admins can sign in (statuses %v); want 1 and 1", created, signedIn, statuses)
		}
	})
}

// TestSignInOrigin: sign-in accepts the configured base URL's origin and
// the origin the request was sent to (Host with the request's scheme);
// another host, another scheme or "null" is refused, and so is a
// cookie-authenticated write from them.
func TestSignInOrigin(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	body := `{"email":"root@example.com","password":"correct-horse-battery"}`
	cases := []struct {
		name, host, origin string
		status             int
	}{
		{"configured base URL", "127.0.0.1:8080", testOrigin, 200},
		{"request's own origin", "127.0.0.1:8080", "http://127.0.0.1:8080", 200},
		{"localhost", "localhost:8080", "http://localhost:8080", 200},
		{"no Origin (not a browser)", "127.0.0.1:8080", "", 200},
		{"foreign host", "127.0.0.1:8080", "http://evil.example", 403},
		{"other port", "127.0.0.1:8080", "http://127.0.0.1:8081", 403},
		{"other loopback name", "localhost:8080", "http://127.0.0.1:8080", 403},
		{"other scheme", "127.0.0.1:8080", "https://127.0.0.1:8080", 403},
		{"null", "127.0.0.1:8080", "null", 403},
	}
	var session string
	for _, c := range cases {
		h := map[string]string{"Host": c.host}
		if c.origin != "" {
			h["Origin"] = c.origin
		}
		r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: body, header: h})
		if r.Status != c.status {
			t.Errorf("%s: sign-in %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
		if r.Status == 200 && session == "" {
			session = strings.SplitN(r.Header.Get("Set-Cookie"), ";", 2)[0]
		}
	}
	if r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: body,
		header: map[string]string{"Host": "127.0.0.1:8080", "Origin": "http://evil.example"}}); !strings.Contains(string(r.Body), "cross-site sign-in refused") {
		t.Errorf("foreign origin: %s", r.Body)
	}
	path := "/support/admin/settings/public-tickets"
	put := `{"guest_policy_mode":"guest_user","guest_policy_user_id":3}`
	for _, c := range cases {
		if c.origin == "" {
			continue // a cookie write without Origin is refused: TestAdminAuth
		}
		r := do(t, a, req{method: "PUT", path: path, body: put, header: map[string]string{"Cookie": session, "Host": c.host, "Origin": c.origin}})
		if r.Status != c.status {
			t.Errorf("%s: cookie PUT %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
	}
}
