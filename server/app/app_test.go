package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/store"
)

const (
	testSecret = "test-secret-key-0123456789abcdef0123456789"
	// testRequesterKey is PORTICO_REQUESTER_SIGNING_KEY: what host apps
	// sign requester ids with (never the secret key).
	testRequesterKey = "test-requester-key-0123456789abcdef0123"
	testAPIToken     = "test-admin-api-token-0123456789"
	testOrigin       = "http://portico.test"
)

// env is the environment a test app starts with; tests add to it.
func env(t *testing.T, d store.Dialect) map[string]string {
	t.Helper()
	dsn := dbtest.DSN(t, d)
	if d == store.SQLite {
		dsn = "sqlite://" + dsn
	}
	return map[string]string{
		"PORTICO_DATABASE_URL":          dsn,
		"PORTICO_BASE_URL":              testOrigin,
		"PORTICO_SECRET_KEY":            testSecret,
		"PORTICO_REQUESTER_SIGNING_KEY": testRequesterKey,
		"PORTICO_ADMIN_API_TOKEN":       testAPIToken,
		"PORTICO_ADMIN_EMAIL":           "root@example.com",
		"PORTICO_ADMIN_PASSWORD":        "correct-horse-battery",
		"PORTICO_CONFIG":                "",
	}
}

func newApp(t *testing.T, vars map[string]string, deps app.Deps) *app.App {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
		if os.Getenv("PORTICO_TEST_LOG") != "" {
			deps.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	}
	deps.Migrations = dbtest.Migrations(t)
	if deps.JobPollInterval == 0 {
		deps.JobPollInterval = 20 * time.Millisecond
	}
	if deps.MailLog == nil {
		deps.MailLog = io.Discard
	}
	if deps.Console == nil {
		deps.Console = io.Discard
	}
	a, err := app.New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %q", r.Status, r.Body)
	}
	return m
}

type req struct {
	method, path, body string
	header             map[string]string
}

func do(t *testing.T, a *app.App, r req) response {
	t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if strings.EqualFold(k, "Host") {
			hr.Host = v // the address the request was sent to
			continue
		}
		hr.Header.Set(k, v)
	}
	res, err := a.HTTP().Test(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

func bearer() map[string]string { return map[string]string{"Authorization": "Bearer " + testAPIToken} }

func ticketBody(email string) string {
	return fmt.Sprintf(`{"email":%q,"name":"Ada Lovelace","subject":"Cannot log in","description":"The button does nothing.","priority":"high"}`, email)
}

func fileTicket(t *testing.T, a *app.App, body string) response {
	t.Helper()
	return do(t, a, req{method: "POST", path: "/support/widget/tickets", body: body})
}

// sign is what a host app sends as requester_signature.
func sign(id string) string {
	mac := hmac.New(sha256.New, []byte(testRequesterKey))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestWidgetIntake walks every answer of POST /support/widget/tickets.
func TestWidgetIntake(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		long := func(n int) string { return strings.Repeat("é", n) }
		cases := []struct {
			name   string
			body   string
			header map[string]string
			status int
			check  func(t *testing.T, r response)
		}{
			{"created", ticketBody("  Ada@Example.COM "), nil, 201, func(t *testing.T, r response) {
				m := r.json(t)
				if !strings.HasPrefix(m["reference"].(string), "TK-") || m["status"] != "open" {
					t.Errorf("body = %v", m)
				}
				if strings.Contains(string(r.Body), "portal") {
					t.Error("the response leaks a portal link")
				}
			}},
			{"no priority uses the default", `{"email":"p@example.com","subject":"s","description":"d"}`, nil, 201, nil},
			{"invalid JSON", `{"email":`, nil, 400, nil},
			{"not an object", `[1,2]`, nil, 400, nil},
			{"wrong type", `{"email":"a@example.com","subject":5,"description":"d"}`, nil, 400, func(t *testing.T, r response) {
				if !strings.Contains(r.json(t)["error"].(string), "subject") {
					t.Errorf("error does not name the field: %s", r.Body)
				}
			}},
			{"neither email nor requester", `{"subject":"s","description":"d"}`, nil, 400, nil},
			{"blank email", `{"email":"  ","subject":"s","description":"d"}`, nil, 400, nil},
			{"unsigned requester", `{"requester_id":7,"subject":"s","description":"d"}`, nil, 401, nil},
			{"forged requester", `{"requester_id":7,"requester_signature":"` + sign("8") + `","subject":"s","description":"d"}`, nil, 401, nil},
			{"signature not hex", `{"requester_id":7,"requester_signature":"zz","subject":"s","description":"d"}`, nil, 401, nil},
			{"signed requester", `{"requester_id":7,"requester_signature":"` + sign("7") + `","subject":"s","description":"d"}`, nil, 201, nil},
			{"signed requester as string", `{"requester_id":"7","requester_signature":"` + strings.ToUpper(sign("7")) + `","subject":"s","description":"d"}`, nil, 201, nil},
			{"requester id not a number", `{"requester_id":"x","requester_signature":"aa","subject":"s","description":"d"}`, nil, 422, nil},
			{"field errors", `{"email":"not-an-email","name":"` + long(256) + `","subject":"","description":"` + long(10001) + `","priority":"someday"}`, nil, 422, func(t *testing.T, r response) {
				errs, _ := r.json(t)["errors"].(map[string]any)
				for _, f := range []string{"email", "name", "subject", "description", "priority"} {
					if _, ok := errs[f]; !ok {
						t.Errorf("no error for %s: %s", f, r.Body)
					}
				}
			}},
			{"limits are in characters", `{"email":"l@example.com","name":"` + long(255) + `","subject":"` + long(500) + `","description":"` + long(10000) + `"}`, nil, 201, nil},
			{"subject too long", `{"email":"l@example.com","subject":"` + long(501) + `","description":"d"}`, nil, 422, nil},
			{"email too long", `{"email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 250) + `.com","subject":"s","description":"d"}`, nil, 422, nil},
			{"body over 64 KiB", `{"email":"big@example.com","subject":"s","description":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, nil},
			{"allowed origin is echoed", ticketBody("o@example.com"), map[string]string{"Origin": "https://www.example.com"}, 201, func(t *testing.T, r response) {
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://www.example.com" {
					t.Errorf("Access-Control-Allow-Origin = %q", got)
				}
			}},
		}
		for _, c := range cases {
			r := do(t, a, req{method: "POST", path: "/support/widget/tickets", body: c.body, header: c.header})
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if c.status >= 400 && !json.Valid(r.Body) {
				t.Errorf("%s: error body is not JSON: %q", c.name, r.Body)
			}
			if c.check != nil {
				c.check(t, r)
			}
		}

		// The signed ticket carries the host app's user id; the guest one is normalized.
		list := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=ada@example.com", header: bearer()}).json(t)
		if list["total"].(float64) != 1 {
			t.Fatalf("tickets for ada@example.com: %v", list)
		}
		ref := list["tickets"].([]any)[0].(map[string]any)["reference"].(string)
		detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		contact := detail["contact"].(map[string]any)
		msgs := detail["messages"].([]any)
		if contact["email"] != "ada@example.com" || contact["name"] != "Ada Lovelace" || detail["priority"] != "high" ||
			detail["channel"] != "widget" || len(msgs) != 1 || msgs[0].(map[string]any)["source"] != "widget" {
			t.Errorf("detail = %v", detail)
		}
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	pre := do(t, a, req{method: "OPTIONS", path: "/support/widget/tickets", header: map[string]string{
		"Origin": "https://shop.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight = %d %v", pre.Status, pre.Header)
	}
	put := do(t, a, req{method: "PUT", path: "/support/admin/settings/widget", header: bearer(),
		body: `{"allowed_origins":["https://shop.example"]}`})
	if put.Status != 200 {
		t.Fatalf("PUT widget = %d %s", put.Status, put.Body)
	}
	other := map[string]string{"Origin": "https://evil.example"}
	if r := do(t, a, req{method: "OPTIONS", path: "/support/widget/tickets", header: other}); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin = %d %v", r.Status, r.Header)
	}
	if r := do(t, a, req{method: "POST", path: "/support/widget/tickets", body: ticketBody("e@example.com"), header: other}); r.Status != 403 {
		t.Errorf("POST from a foreign origin = %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: "/support/widget/config", header: map[string]string{"Origin": "https://shop.example"}}); r.Status != 200 ||
		r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("config from the allowed origin = %d %v", r.Status, r.Header)
	}
}

// The 11th submission within the hour from one address is refused, whatever
// its case, and creates nothing.
func TestPerEmailLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		for i := range 10 {
			email := "limit@example.com"
			if i%2 == 1 {
				email = "LIMIT@Example.com"
			}
			if r := fileTicket(t, a, ticketBody(email)); r.Status != 201 {
				t.Fatalf("submission %d: %d %s", i+1, r.Status, r.Body)
			}
		}
		r := fileTicket(t, a, ticketBody("Limit@example.COM"))
		if r.Status != 429 {
			t.Fatalf("11th submission: %d %s", r.Status, r.Body)
		}
		if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		list := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=limit@example.com", header: bearer()}).json(t)
		if list["total"].(float64) != 10 {
			t.Errorf("tickets after the refused one: %v, want 10", list["total"])
		}
		// Another address is unaffected; invalid submissions do not spend the budget.
		if r := fileTicket(t, a, ticketBody("other@example.com")); r.Status != 201 {
			t.Errorf("other address: %d", r.Status)
		}
	})
}

func TestPerIPLimit(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "3/1h"
	a := newApp(t, vars, app.Deps{})
	for i := range 3 {
		if r := fileTicket(t, a, ticketBody(fmt.Sprintf("ip%d@example.com", i))); r.Status != 201 {
			t.Fatalf("submission %d: %d", i, r.Status)
		}
	}
	if r := fileTicket(t, a, ticketBody("ip9@example.com")); r.Status != 429 {
		t.Fatalf("4th submission from one IP: %d", r.Status)
	}
}

// Two instances with one Redis share one budget per email.
func TestSharedLimitAcrossInstances(t *testing.T) {
	t.Parallel()
	// The app starts without Redis (it falls back to per-instance limits),
	// so Redis is probed directly (scaleout_test.go).
	redisURL := testRedisURL(t)
	vars := env(t, store.Postgres)
	vars["PORTICO_REDIS_URL"] = redisURL
	// Redis outlives the test run: keep the shared per-IP budget out of the way.
	vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "1000000/1h"

	one := newApp(t, vars, app.Deps{})
	two := newApp(t, vars, app.Deps{})
	email := "shared-" + dbtest.Name() + "@example.com"
	for i := range 10 {
		a := one
		if i%2 == 1 {
			a = two
		}
		if r := fileTicket(t, a, ticketBody(email)); r.Status != 201 {
			t.Fatalf("submission %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	for _, a := range []*app.App{one, two} {
		if r := fileTicket(t, a, ticketBody(email)); r.Status != 429 {
			t.Fatalf("11th submission: %d", r.Status)
		}
	}
}

// Concurrent first submissions from one address make one contact.
func TestConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		vars["PORTICO_WIDGET_LIMIT_PER_EMAIL"] = "1000/1h"
		a := newApp(t, vars, app.Deps{})
		const n = 16
		var wg sync.WaitGroup
		statuses := make(chan int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := "same@example.com"
				if i%2 == 0 {
					email = "Same@Example.com"
				}
				statuses <- fileTicket(t, a, ticketBody(email)).Status
			}()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != 201 {
				t.Fatalf("status %d", s)
			}
		}
		list := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=same@example.com", header: bearer()}).json(t)
		contacts := map[float64]bool{}
		for _, tk := range list["tickets"].([]any) {
			contacts[tk.(map[string]any)["contact_id"].(float64)] = true
		}
		if list["total"].(float64) != n || len(contacts) != 1 {
			t.Fatalf("%v tickets over %d contacts; want %d over 1", list["total"], len(contacts), n)
		}
	})
}

// The guest policy is read from the runtime setting on every submission.
func TestGuestPolicyModes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		requesterOf := func(email string) float64 {
			t.Helper()
			r := fileTicket(t, a, ticketBody(email))
			if r.Status != 201 {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + r.json(t)["reference"].(string), header: bearer()}).json(t)
			return detail["requester_id"].(float64)
		}
		setMode := func(body string) {
			t.Helper()
			if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/public-tickets", body: body, header: bearer()}); r.Status != 200 {
				t.Fatalf("PUT policy: %d %s", r.Status, r.Body)
			}
		}
		if got := requesterOf("g1@example.com"); got != 0 {
			t.Errorf("default (unassigned): requester %v", got)
		}
		setMode(`{"guest_policy_mode":"guest_user","guest_policy_user_id":42}`)
		if got := requesterOf("g2@example.com"); got != 42 {
			t.Errorf("guest_user: requester %v, want 42", got)
		}
		setMode(`{"guest_policy_mode":"prompt_signup","guest_policy_signup_url_template":"https://app.example/signup?t={token}"}`)
		if got := requesterOf("g3@example.com"); got != 0 {
			t.Errorf("prompt_signup: requester %v, want 0", got)
		}
		setMode(`{"guest_policy_mode":"unassigned"}`)
		if got := requesterOf("g4@example.com"); got != 0 {
			t.Errorf("unassigned: requester %v", got)
		}
	})
}

// TestGuestPolicySettings checks every coercion rule of the settings API.
func TestGuestPolicySettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		long := strings.Repeat("ü", 600)
		cases := []struct {
			name, body string
			want       map[string]any
		}{
			{"default", "", map[string]any{"guest_policy_mode": "unassigned", "guest_policy_user_id": nil, "guest_policy_signup_url_template": nil}},
			{"guest user", `{"guest_policy_mode":"guest_user","guest_policy_user_id":42,"guest_policy_signup_url_template":"x"}`,
				map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": 42.0, "guest_policy_signup_url_template": nil}},
			{"user id as string", `{"guest_policy_mode":"guest_user","guest_policy_user_id":"17"}`,
				map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": 17.0}},
			{"user id zero", `{"guest_policy_mode":"guest_user","guest_policy_user_id":0}`,
				map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": nil}},
			{"user id negative", `{"guest_policy_mode":"guest_user","guest_policy_user_id":-3}`,
				map[string]any{"guest_policy_user_id": nil}},
			{"user id not numeric", `{"guest_policy_mode":"guest_user","guest_policy_user_id":"abc"}`,
				map[string]any{"guest_policy_user_id": nil}},
			{"user id fractional", `{"guest_policy_mode":"guest_user","guest_policy_user_id":1.5}`,
				map[string]any{"guest_policy_user_id": nil}},
			{"prompt signup clears the user", `{"guest_policy_mode":"prompt_signup","guest_policy_user_id":42,"guest_policy_signup_url_template":"  https://x.example/s?t={token}  "}`,
				map[string]any{"guest_policy_mode": "prompt_signup", "guest_policy_user_id": nil, "guest_policy_signup_url_template": "https://x.example/s?t={token}"}},
			{"template cut at 500 characters", `{"guest_policy_mode":"prompt_signup","guest_policy_signup_url_template":"` + long + `"}`,
				map[string]any{"guest_policy_signup_url_template": strings.Repeat("ü", 500)}},
			{"unknown mode", `{"guest_policy_mode":"everyone","guest_policy_user_id":5,"guest_policy_signup_url_template":"t"}`,
				map[string]any{"guest_policy_mode": "unassigned", "guest_policy_user_id": nil, "guest_policy_signup_url_template": nil}},
			{"mode of the wrong type", `{"guest_policy_mode":7}`, map[string]any{"guest_policy_mode": "unassigned"}},
		}
		for _, c := range cases {
			if c.body != "" {
				r := do(t, a, req{method: "PUT", path: "/support/admin/settings/public-tickets", body: c.body, header: bearer()})
				if r.Status != 200 {
					t.Errorf("%s: PUT %d %s", c.name, r.Status, r.Body)
					continue
				}
			}
			got := do(t, a, req{method: "GET", path: "/support/admin/settings/public-tickets", header: bearer()}).json(t)
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s: %s = %#v, want %#v", c.name, k, got[k], want)
				}
			}
		}
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/public-tickets", body: `{"guest_policy_mode":`, header: bearer()}); r.Status != 400 {
			t.Errorf("invalid JSON: %d", r.Status)
		}
	})
}

func TestPortalAndWidgetSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	get := func(path string) map[string]any {
		return do(t, a, req{method: "GET", path: path, header: bearer()}).json(t)
	}
	if p := get("/support/admin/settings/portal"); p["enabled"] != true || p["allow_reply"] != true || p["retention_after_close"] != "30d" {
		t.Errorf("portal defaults = %v", p)
	}
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/support/admin/settings/portal", `{"retention_after_close":"2h","allow_reply":false}`, 200},
		{"/support/admin/settings/portal", `{"retention_after_close":"soon"}`, 422},
		{"/support/admin/settings/portal", `{"retention_after_close":"10s"}`, 422},
		{"/support/admin/settings/portal", `{"enabled":"yes"}`, 400},
		{"/support/admin/settings/widget", `{"color":"#123abc","position":"bottom-left","priorities":["p1","p2"]}`, 200},
		{"/support/admin/settings/widget", `{"color":"blue"}`, 422},
		{"/support/admin/settings/widget", `{"position":"top"}`, 422},
		{"/support/admin/settings/widget", `{"priorities":[]}`, 422},
		{"/support/admin/settings/widget", `{"allowed_origins":["ftp://x"]}`, 422},
		{"/support/admin/settings/widget", `{"title":""}`, 422},
	} {
		if r := do(t, a, req{method: "PUT", path: c.path, body: c.body, header: bearer()}); r.Status != c.status {
			t.Errorf("PUT %s %s = %d %s, want %d", c.path, c.body, r.Status, r.Body, c.status)
		}
	}
	if p := get("/support/admin/settings/portal"); p["allow_reply"] != false || p["retention_after_close"] != "2h" || p["enabled"] != true {
		t.Errorf("portal after PUT = %v (a refused PUT must change nothing)", p)
	}
	// The default language of pages and mails: one portico speaks, or a
	// 422 naming the field, and nothing saved (not even the valid field
	// sent with it).
	if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"default_language":"de"}`, header: bearer()}); r.Status != 200 {
		t.Fatalf("default_language de: %d %s", r.Status, r.Body)
	}
	for _, body := range []string{`{"default_language":"xx"}`, `{"default_language":"","allow_reply":true}`, `{"default_language":"de-DE"}`, `{"default_language":"ja","status_mails":false}`} {
		r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: body, header: bearer()})
		errs, _ := r.json(t)["errors"].(map[string]any)
		if r.Status != 422 || errs["default_language"] == nil {
			t.Errorf("PUT portal %s = %d %s, want 422 naming default_language", body, r.Status, r.Body)
		}
	}
	if p := get("/support/admin/settings/portal"); p["default_language"] != "de" || p["allow_reply"] != false || p["status_mails"] != true {
		t.Errorf("portal after refused default_language = %v", p)
	}
	// The admin page asks the server what a period means instead of parsing it.
	for _, c := range []struct {
		value, want string
		status      int
	}{
		{"14d", `{"description":"2 weeks","seconds":1209600,"value":"2w"}`, 200},
		{"%2090m%20", `{"description":"90 minutes","seconds":5400,"value":"90m"}`, 200},
		{"1h", `{"description":"1 hour","seconds":3600,"value":"1h"}`, 200},
		{"3%20days", `{"errors":{"value":"use a number followed by m, h, d or w, e.g. 30d"}}`, 422},
		{"0d", `{"errors":{"value":"must be at least 1m"}}`, 422},
		{"", `{"errors":{"value":"use a number followed by m, h, d or w, e.g. 30d"}}`, 422},
	} {
		r := do(t, a, req{method: "GET", path: "/support/admin/settings/period?value=" + c.value, header: bearer()})
		if r.Status != c.status || strings.TrimSpace(string(r.Body)) != c.want {
			t.Errorf("period %q = %d %s, want %d %s", c.value, r.Status, r.Body, c.status, c.want)
		}
	}
	if r := do(t, a, req{method: "GET", path: "/support/admin/settings/period?value=1d"}); r.Status != 401 {
		t.Errorf("period check signed out: %d", r.Status)
	}
	cfg := do(t, a, req{method: "GET", path: "/support/widget/config"}).json(t)
	if cfg["color"] != "#123ABC" || cfg["position"] != "bottom-left" || fmt.Sprint(cfg["priorities"]) != "[p1 p2]" {
		t.Errorf("widget config = %v", cfg)
	}
	if r := fileTicket(t, a, ticketBody("x@example.com")); r.Status != 422 {
		t.Errorf("priority high after the list changed: %d", r.Status)
	}
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	path := "/support/admin/settings/public-tickets"
	if r := do(t, a, req{method: "GET", path: path}); r.Status != 401 {
		t.Errorf("no credentials: %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: path, header: map[string]string{"Authorization": "Bearer wrong"}}); r.Status != 401 {
		t.Errorf("wrong bearer: %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: "/support/admin/api/session"}); r.Status != 401 {
		t.Errorf("GET session signed out: %d", r.Status)
	}
	if r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"nope"}`}); r.Status != 401 {
		t.Errorf("wrong password: %d", r.Status)
	}
	login := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"Root@Example.com","password":"correct-horse-battery"}`})
	if login.Status != 200 {
		t.Fatalf("login: %d %s", login.Status, login.Body)
	}
	cookie := login.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(strings.ToLower(cookie), "samesite=strict") {
		t.Errorf("cookie = %q", cookie)
	}
	session := strings.SplitN(cookie, ";", 2)[0]
	withCookie := func(extra map[string]string) map[string]string {
		h := map[string]string{"Cookie": session}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	if r := do(t, a, req{method: "GET", path: "/support/admin/api/session", header: withCookie(nil)}); r.Status != 200 || r.json(t)["email"] != "root@example.com" {
		t.Errorf("GET session: %d %s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "GET", path: path, header: withCookie(nil)}); r.Status != 200 {
		t.Errorf("GET with cookie: %d", r.Status)
	}
	body := `{"guest_policy_mode":"guest_user","guest_policy_user_id":3}`
	if r := do(t, a, req{method: "PUT", path: path, body: body, header: withCookie(nil)}); r.Status != 403 {
		t.Errorf("PUT with cookie and no Origin: %d", r.Status)
	}
	if r := do(t, a, req{method: "PUT", path: path, body: body, header: withCookie(map[string]string{"Origin": "https://evil.example"})}); r.Status != 403 {
		t.Errorf("PUT with cookie from another origin: %d", r.Status)
	}
	if r := do(t, a, req{method: "PUT", path: path, body: body, header: withCookie(map[string]string{"Origin": testOrigin})}); r.Status != 200 {
		t.Errorf("PUT with cookie from our origin: %d %s", r.Status, r.Body)
	}
	r := do(t, a, req{method: "GET", path: path, header: withCookie(nil)})
	for _, h := range []string{"Referrer-Policy", "X-Robots-Tag", "Cache-Control", "Content-Security-Policy"} {
		if r.Header.Get(h) == "" {
			t.Errorf("admin response lacks %s", h)
		}
	}
	if r := do(t, a, req{method: "DELETE", path: "/support/admin/api/session", header: withCookie(map[string]string{"Origin": testOrigin})}); r.Status != 204 {
		t.Errorf("sign out: %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: path, header: withCookie(nil)}); r.Status != 401 {
		t.Errorf("after sign-out: %d", r.Status)
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	var last int
	for range 11 {
		last = do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"guess"}`}).Status
	}
	if last != 429 {
		t.Fatalf("11th failed sign-in within minutes: %d, want 429", last)
	}
}

func TestPromoteContact(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		for range 3 {
			if r := fileTicket(t, a, ticketBody("promote@example.com")); r.Status != 201 {
				t.Fatal(r.Status)
			}
		}
		list := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=promote@", header: bearer()}).json(t)
		first := list["tickets"].([]any)[0].(map[string]any)
		contactID := fmt.Sprint(first["contact_id"])
		path := "/support/admin/contacts/" + contactID + "/promote"
		r := do(t, a, req{method: "POST", path: path, body: `{"user_id":99}`, header: bearer()})
		if r.Status != 200 {
			t.Fatalf("promote: %d %s", r.Status, r.Body)
		}
		m := r.json(t)
		if m["tickets_updated"].(float64) != 3 || m["contact"].(map[string]any)["user_id"].(float64) != 99 {
			t.Errorf("promote = %v", m)
		}
		detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + first["reference"].(string), header: bearer()}).json(t)
		if detail["requester_id"].(float64) != 99 || detail["contact"].(map[string]any)["user_id"].(float64) != 99 {
			t.Errorf("ticket after promote = %v", detail)
		}
		// New tickets of a promoted contact are filed under the user.
		r = fileTicket(t, a, ticketBody("promote@example.com"))
		detail = do(t, a, req{method: "GET", path: "/support/admin/tickets/" + r.json(t)["reference"].(string), header: bearer()}).json(t)
		if detail["requester_id"].(float64) != 99 {
			t.Errorf("new ticket of a promoted contact: requester %v", detail["requester_id"])
		}
		for _, c := range []struct {
			path, body string
			status     int
		}{
			{"/support/admin/contacts/999999/promote", `{"user_id":5}`, 404},
			{"/support/admin/contacts/abc/promote", `{"user_id":5}`, 404},
			{path, `{"user_id":0}`, 422},
			{path, `{"user_id":"x"}`, 400},
			{path, `{`, 400},
		} {
			if r := do(t, a, req{method: "POST", path: c.path, body: c.body, header: bearer()}); r.Status != c.status {
				t.Errorf("POST %s %s = %d %s, want %d", c.path, c.body, r.Status, r.Body, c.status)
			}
		}
	})
}

func TestTicketListAndDetail(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	for i := range 30 {
		if r := fileTicket(t, a, fmt.Sprintf(`{"email":"l%d@example.com","subject":"Subject %d","description":"d"}`, i, i)); r.Status != 201 {
			t.Fatal(r.Status)
		}
	}
	page1 := do(t, a, req{method: "GET", path: "/support/admin/tickets", header: bearer()}).json(t)
	page2 := do(t, a, req{method: "GET", path: "/support/admin/tickets?page=2", header: bearer()}).json(t)
	if page1["total"].(float64) != 30 || len(page1["tickets"].([]any)) != 25 || len(page2["tickets"].([]any)) != 5 {
		t.Errorf("pages: %v / %v", page1["total"], len(page2["tickets"].([]any)))
	}
	if r := do(t, a, req{method: "GET", path: "/support/admin/tickets?status=closed", header: bearer()}).json(t); r["total"].(float64) != 0 {
		t.Errorf("closed tickets: %v", r["total"])
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/support/admin/tickets?page=0", 400},
		{"/support/admin/tickets?status=weird", 422},
		{"/support/admin/tickets/TK-99999", 404},
		{"/support/admin/tickets/nonsense", 404},
		{"/support/admin/tickets/tk-0001", 200},
		{"/support/admin/tickets/%5BTK-001%5D", 200},
	} {
		if r := do(t, a, req{method: "GET", path: c.path, header: bearer()}); r.Status != c.status {
			t.Errorf("GET %s = %d %s, want %d", c.path, r.Status, r.Body, c.status)
		}
	}
}

// ticket.created reaches subscribers through the durable job queue.
func TestTicketCreatedEvent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		got := make(chan events.Event, 1)
		a.Bus().Subscribe(events.TicketCreated, func(ctx context.Context, e events.Event) error {
			got <- e
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- a.Serve(ctx, listen(t)) }()
		r := fileTicket(t, a, ticketBody("event@example.com"))
		select {
		case e := <-got:
			if "TK-"+fmt.Sprint(e.TicketID) != r.json(t)["reference"] || e.MessageID == 0 {
				t.Errorf("event = %+v for %s", e, r.Body)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("ticket.created never published")
		}
		cancel()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_METRICS_TOKEN"] = testMetricsToken
	a := newApp(t, vars, app.Deps{})
	if r := do(t, a, req{method: "GET", path: "/healthz"}); r.Status != 200 {
		t.Errorf("healthz: %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: "/readyz"}); r.Status != 200 {
		t.Errorf("readyz: %d", r.Status)
	}
	fileTicket(t, a, ticketBody("m@example.com"))
	r := do(t, a, req{method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer " + testMetricsToken}})
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`portico_http_requests_total{method="POST",route="/support/widget/tickets",status="201"} 1`)) {
		t.Errorf("metrics: %d\n%s", r.Status, r.Body)
	}
	if r := do(t, a, req{method: "GET", path: "/nowhere"}); r.Status != 404 || !json.Valid(r.Body) {
		t.Errorf("unknown path: %d %s", r.Status, r.Body)
	}
	a.Close()
	if r := do(t, a, req{method: "GET", path: "/readyz"}); r.Status != 503 {
		t.Errorf("readyz with the database closed: %d", r.Status)
	}
}
