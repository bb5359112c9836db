package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

// visitor is a browser on the "My tickets" pages: it keeps the cookies the
// server sets and posts forms.
type visitor struct {
	t       *testing.T
	a       *app.App
	cookies map[string]string
}

func newVisitor(t *testing.T, a *app.App) *visitor {
	return &visitor{t: t, a: a, cookies: map[string]string{}}
}

func (v *visitor) send(method, path string, form url.Values) response {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	hr := httptest.NewRequest(method, path, body)
	if form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, val := range v.cookies {
		hr.AddCookie(&http.Cookie{Name: k, Value: val})
	}
	res, err := v.a.HTTP().Test(hr)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(v.cookies, c.Name)
		} else {
			v.cookies[c.Name] = c.Value
		}
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (v *visitor) get(path string) response { v.t.Helper(); return v.send("GET", path, nil) }

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// post loads page (GET) for its form token, then posts form to path.
func (v *visitor) post(page, path string, form url.Values) response {
	v.t.Helper()
	r := v.get(page)
	m := csrfField.FindStringSubmatch(string(r.Body))
	if m == nil {
		v.t.Fatalf("GET %s: %d, no form token in:\n%s", page, r.Status, r.Body)
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", m[1])
	return v.send("POST", path, form)
}

// askLink asks /portal for a sign-in link to email.
func (v *visitor) askLink(email string) response {
	v.t.Helper()
	return v.post("/portal", "/portal", url.Values{"email": {email}})
}

var signinLink = regexp.MustCompile(`https?://\S+(/portal/signin/[0-9a-f]{64})`)

// signinPath finds the sign-in link in a mail's text part.
func signinPath(t *testing.T, m mailtest.Received) string {
	t.Helper()
	found := signinLink.FindStringSubmatch(m.Envelope(t).Text)
	if found == nil {
		t.Fatalf("no sign-in link in the mail:\n%s", m.Envelope(t).Text)
	}
	return found[1]
}

// signinRequestsDone waits until every sign-in request job has run.
func signinRequestsDone(t *testing.T, d store.Dialect, vars map[string]string) {
	t.Helper()
	db := openDB(t, d, vars, false)
	defer db.Close()
	waitFor(t, "sign-in request jobs", 20*time.Second, func() bool {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'portal.signin_request' AND state <> 'completed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// signinMails counts the sign-in mails queued to email.
func signinMails(t *testing.T, d store.Dialect, vars map[string]string, email string) int {
	t.Helper()
	db := openDB(t, d, vars, false)
	defer db.Close()
	q := `SELECT count(*) FROM outbound_mails WHERE kind = 'signin' AND to_email = ?`
	if d == store.Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var n int
	if err := db.QueryRow(q, email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// mailsTo returns the mails received by email so far.
func mailsTo(s *mailtest.Server, email string) []mailtest.Received {
	var out []mailtest.Received
	for _, m := range s.Received() {
		if len(m.To) > 0 && m.To[0] == email {
			out = append(out, m)
		}
	}
	return out
}

// waitMailsTo waits until email received n mails and returns them.
func waitMailsTo(t *testing.T, s *mailtest.Server, email string, n int) []mailtest.Received {
	t.Helper()
	var got []mailtest.Received
	waitFor(t, fmt.Sprintf("%d mails to %s", n, email), 20*time.Second, func() bool {
		got = mailsTo(s, email)
		return len(got) >= n
	})
	return got
}

// nonces hides what differs between any two renderings of a page.
var nonces = regexp.MustCompile(`nonce="[0-9a-f]+"|name="csrf" value="[0-9a-f]+"`)

// TestMyTicketsSignin walks "My tickets" (issue 17) on both databases: the
// request answered alike for known and unknown addresses, the one-time link,
// the list of one customer's tickets, session end, sign-out and erasure.
func TestMyTicketsSignin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clock := &testClock{t: time.Now()}
		vars := env(t, d)
		ma := startMailApp(t, d, vars, app.Deps{Now: clock.Now})
		file := func(email, subject string) string {
			r := fileTicket(t, ma.App, fmt.Sprintf(`{"email":%q,"subject":%q,"description":"d"}`, email, subject))
			if r.Status != 201 {
				t.Fatalf("file: %d %s", r.Status, r.Body)
			}
			return r.json(t)["reference"].(string)
		}
		ada1, ada2 := file("ada@example.com", "Ada's first"), file("ada@example.com", "Ada's second")
		bob := file("bob@example.com", "Bob's only")
		ma.mail.Wait(3, 20*time.Second) // the confirmations

		v := newVisitor(t, ma.App)
		page := v.get("/portal")
		if page.Status != 200 || !strings.Contains(string(page.Body), `name="email"`) {
			t.Fatalf("GET /portal: %d %s", page.Status, page.Body)
		}
		csp := page.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") ||
			page.Header.Get("Referrer-Policy") != "no-referrer" || page.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET /portal headers: %v", page.Header)
		}
		if strings.Contains(string(page.Body), "<script") {
			t.Error("/portal has a script without Turnstile configured")
		}
		if n := len(page.Body); n > 15<<10 {
			t.Errorf("/portal is %d bytes", n)
		}

		// No form token, or a token without its cookie: 403.
		if r := v.send("POST", "/portal", url.Values{"email": {"ada@example.com"}}); r.Status != 403 {
			t.Errorf("POST /portal without a token: %d", r.Status)
		}
		stranger := newVisitor(t, ma.App)
		if r := stranger.send("POST", "/portal", url.Values{"email": {"ada@example.com"}, "csrf": {csrfField.FindStringSubmatch(string(page.Body))[1]}}); r.Status != 403 {
			t.Errorf("POST /portal with another browser's token: %d", r.Status)
		}
		if r := v.askLink("not an address"); r.Status != 422 || !strings.Contains(string(r.Body), "Email is not a valid email address") {
			t.Errorf("bad address: %d %s", r.Status, r.Body)
		}

		// Known and unknown addresses get the same answer; only the known one
		// a mail.
		known, unknown := v.askLink("Ada@Example.com"), v.askLink("nobody@example.com")
		if known.Status != 200 || unknown.Status != 200 {
			t.Fatalf("POST /portal: %d, %d", known.Status, unknown.Status)
		}
		if a, b := nonces.ReplaceAllString(string(known.Body), ""), nonces.ReplaceAllString(string(unknown.Body), ""); a != b {
			t.Errorf("the answers differ:\n%s\n---\n%s", a, b)
		}
		if !strings.Contains(string(known.Body), "If we have requests from that address, we sent a link") {
			t.Errorf("POST /portal body: %s", known.Body)
		}
		signinRequestsDone(t, d, vars)
		if n := signinMails(t, d, vars, "nobody@example.com"); n != 0 {
			t.Errorf("%d sign-in mails to an unknown address", n)
		}
		mail := waitMailsTo(t, ma.mail, "ada@example.com", 3)[2]
		env := mail.Envelope(t)
		if env.GetHeader("Subject") != "Your link to your support requests" || env.GetHeader("Reply-To") != "" ||
			env.GetHeader("Auto-Submitted") != "auto-replied" {
			t.Errorf("sign-in mail headers: subject %q reply-to %q auto-submitted %q",
				env.GetHeader("Subject"), env.GetHeader("Reply-To"), env.GetHeader("Auto-Submitted"))
		}
		link := signinPath(t, mail)
		if !strings.Contains(env.HTML, link) {
			t.Error("the HTML part lacks the link")
		}

		// Opening the link spends nothing (mail scanners); the button does,
		// once.
		for range 2 {
			if r := v.get(link); r.Status != 200 || !strings.Contains(string(r.Body), "Continue") {
				t.Fatalf("GET %s: %d %s", "sign-in link", r.Status, r.Body)
			}
		}
		if r := v.send("POST", link, url.Values{}); r.Status != 403 {
			t.Errorf("sign in without a form token: %d", r.Status)
		}
		r := v.post(link, link, nil)
		if r.Status != 303 || r.Header.Get("Location") != "/portal/tickets" {
			t.Fatalf("sign in: %d %v", r.Status, r.Header)
		}
		cookie := r.Header.Get("Set-Cookie")
		for _, want := range []string{"portico_portal_session=", "HttpOnly", "SameSite=Lax", "Path=/portal", "max-age=3600"} {
			if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if r := v.get(link); r.Status != 410 {
			t.Errorf("the link opened again: %d", r.Status)
		}
		if r := newVisitor(t, ma.App).post("/portal", link, nil); r.Status != 410 || !strings.Contains(string(r.Body), "work once") {
			t.Errorf("second sign-in: %d %s", r.Status, r.Body)
		}
		if r := v.get("/portal/signin/" + strings.Repeat("ab", 32)); r.Status != 404 {
			t.Errorf("unknown sign-in link: %d", r.Status)
		}

		// The list: Ada's tickets, not Bob's.
		list := v.get("/portal/tickets")
		body := string(list.Body)
		if list.Status != 200 || !strings.Contains(body, "Ada&#39;s first") || !strings.Contains(body, "Ada&#39;s second") ||
			!strings.Contains(body, ada1) || !strings.Contains(body, "Open") {
			t.Fatalf("list: %d %s", list.Status, body)
		}
		if strings.Contains(body, "Bob") || strings.Contains(body, ">"+bob+"<") {
			t.Errorf("the list shows another customer's ticket:\n%s", body)
		}
		if n := len(list.Body); n > 15<<10 {
			t.Errorf("the list is %d bytes", n)
		}
		open := v.get("/portal/tickets/" + ada1)
		loc := open.Header.Get("Location")
		if open.Status != 303 || !regexp.MustCompile(`/portal/[0-9a-f]{64}$`).MatchString(loc) {
			t.Fatalf("open %s: %d %q", ada1, open.Status, loc)
		}
		u, _ := url.Parse(loc)
		if p := do(t, ma.App, req{method: "GET", path: u.Path}); p.Status != 200 || !strings.Contains(string(p.Body), "Ada&#39;s first") ||
			!strings.Contains(string(p.Body), `href="/portal"`) {
			t.Errorf("the portal page of %s: %d", ada1, p.Status)
		}
		if r := v.get("/portal/tickets/" + bob); r.Status != 404 {
			t.Errorf("another customer's ticket: %d", r.Status)
		}

		// A revoked link stays revoked: the ticket is listed without a link.
		if r := do(t, ma.App, req{method: "POST", path: "/support/admin/tickets/" + ada2 + "/portal-links/revoke", header: bearer()}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if body := string(v.get("/portal/tickets").Body); strings.Contains(body, `href="/portal/tickets/`+ada2+`"`) ||
			!strings.Contains(body, "turned off") {
			t.Errorf("a revoked ticket is linked:\n%s", body)
		}
		if r := v.get("/portal/tickets/" + ada2); r.Status != 404 {
			t.Errorf("open a revoked ticket: %d", r.Status)
		}

		// The session ends after an hour.
		clock.Advance(61 * time.Minute)
		if r := v.get("/portal/tickets"); r.Status != 303 || r.Header.Get("Location") != "/portal?from=ended" {
			t.Errorf("after the session: %d %v", r.Status, r.Header.Get("Location"))
		}

		// A link works for 30 minutes.
		v.askLink("ada@example.com")
		late := signinPath(t, waitMailsTo(t, ma.mail, "ada@example.com", 4)[3])
		clock.Advance(31 * time.Minute)
		if r := v.get(late); r.Status != 410 {
			t.Errorf("a 31 minute old link: %d", r.Status)
		}
		if r := v.post("/portal", late, nil); r.Status != 410 {
			t.Errorf("sign in with a 31 minute old link: %d", r.Status)
		}

		// Sign out ends the session for good.
		v.askLink("ada@example.com")
		fresh := signinPath(t, waitMailsTo(t, ma.mail, "ada@example.com", 5)[4])
		if r := v.post(fresh, fresh, nil); r.Status != 303 {
			t.Fatalf("sign in: %d", r.Status)
		}
		session := v.cookies["portico_portal_session"]
		if r := v.post("/portal/tickets", "/portal/signout", nil); r.Status != 303 || r.Header.Get("Location") != "/portal?from=signout" {
			t.Errorf("sign out: %d %v", r.Status, r.Header)
		}
		if _, ok := v.cookies["portico_portal_session"]; ok {
			t.Error("sign out kept the cookie")
		}
		v.cookies["portico_portal_session"] = session
		if r := v.get("/portal/tickets"); r.Status != 303 {
			t.Errorf("a signed-out session still lists: %d", r.Status)
		}

		// An erased contact gets no mail, and loses its session.
		erase := func(ref string) {
			path := fmt.Sprintf("/support/admin/contacts/%d/erase", contactOf(t, ma.App, ref))
			if r := do(t, ma.App, req{method: "POST", path: path, header: bearer()}); r.Status != 200 {
				t.Fatalf("erase: %d %s", r.Status, r.Body)
			}
		}
		erase(bob)
		if r := v.askLink("bob@example.com"); r.Status != 200 {
			t.Errorf("POST /portal for an erased address: %d", r.Status)
		}
		v.askLink("ada@example.com")
		last := signinPath(t, waitMailsTo(t, ma.mail, "ada@example.com", 6)[5])
		if r := v.post(last, last, nil); r.Status != 303 {
			t.Fatalf("sign in: %d", r.Status)
		}
		signinRequestsDone(t, d, vars)
		if n := signinMails(t, d, vars, "bob@example.com"); n != 0 {
			t.Errorf("%d sign-in mails to an erased address", n)
		}
		erase(ada1)
		if r := v.get("/portal/tickets"); r.Status != 303 {
			t.Errorf("an erased contact's session still lists: %d", r.Status)
		}
	})
}

// TestMyTicketsRateLimit: requests for a link are limited per address and
// per client address, with 429 and Retry-After.
func TestMyTicketsRateLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		v := newVisitor(t, a)
		for i := range 5 {
			if r := v.askLink("many@example.com"); r.Status != 200 {
				t.Fatalf("request %d: %d", i+1, r.Status)
			}
		}
		r := v.askLink("many@example.com")
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "several links") {
			t.Fatalf("sixth request for one address: %d %v", r.Status, r.Header)
		}
		for i := range 5 { // the client's own budget: 10 an hour
			if r := v.askLink(fmt.Sprintf("other%d@example.com", i)); r.Status != 200 {
				t.Fatalf("other address %d: %d", i, r.Status)
			}
		}
		if r := v.askLink("eleventh@example.com"); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("eleventh request from one client: %d", r.Status)
		}
	})
}

// TestMyTicketsPortalOff: with the portal switched off every "My tickets"
// page is the one "not found" page, and no link is mailed.
func TestMyTicketsPortalOff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		v := newVisitor(t, a)
		page := v.get("/portal")
		token := csrfField.FindStringSubmatch(string(page.Body))[1]
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", header: bearer(), body: `{"enabled":false}`}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		for _, path := range []string{"/portal", "/portal/tickets", "/portal/signin/" + strings.Repeat("ab", 32)} {
			if r := v.get(path); r.Status != 404 {
				t.Errorf("GET %s: %d", path, r.Status)
			}
		}
		if r := v.send("POST", "/portal", url.Values{"email": {"ada@example.com"}, "csrf": {token}}); r.Status != 404 {
			t.Errorf("POST /portal: %d", r.Status)
		}
	})
}

// TestMyTicketsTurnstile: with Turnstile configured, asking for a link
// needs a passed check, like a portal reply; the widget's config names the
// page.
func TestMyTicketsTurnstile(t *testing.T) {
	t.Parallel()
	verify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ok := r.PostForm.Get("secret") == "ts-secret" && r.PostForm.Get("response") == "good-token"
		_ = json.NewEncoder(w).Encode(map[string]any{"success": ok, "error-codes": []string{}})
	}))
	t.Cleanup(verify.Close)
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		vars["PORTICO_TURNSTILE_SECRET_KEY"] = "ts-secret"
		vars["PORTICO_TURNSTILE_SITE_KEY"] = "ts-site"
		vars["PORTICO_TURNSTILE_VERIFY_URL"] = verify.URL
		a := newApp(t, vars, app.Deps{})
		v := newVisitor(t, a)
		page := string(v.get("/portal").Body)
		if !strings.Contains(page, `data-sitekey="ts-site"`) || !regexp.MustCompile(`<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer nonce="[0-9a-f]+">`).MatchString(page) {
			t.Errorf("the page lacks the Turnstile widget:\n%s", page)
		}
		for _, c := range []struct {
			token  string
			status int
		}{{"", 403}, {"bad-token", 403}, {"good-token", 200}} {
			r := v.post("/portal", "/portal", url.Values{"email": {"ts@example.com"}, "cf-turnstile-response": {c.token}})
			if r.Status != c.status {
				t.Errorf("turnstile %q: %d, want %d", c.token, r.Status, c.status)
			}
		}
		cfg := do(t, a, req{method: "GET", path: "/support/widget/config"}).json(t)
		if cfg["my_tickets_url"] != testOrigin+"/portal" {
			t.Errorf("my_tickets_url = %v", cfg["my_tickets_url"])
		}
	})
}
