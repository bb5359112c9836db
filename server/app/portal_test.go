package app_test

import (
	"context"
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

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// fastRetry retries failed jobs after 100 ms instead of River's attempt⁴ s.
type fastRetry struct{}

func (fastRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

var _ river.ClientRetryPolicy = fastRetry{}

// mailApp is a serving app that delivers to a recording SMTP server.
type mailApp struct {
	*app.App
	mail *mailtest.Server
	url  string
}

func startMailApp(t *testing.T, d store.Dialect, vars map[string]string, deps app.Deps) mailApp {
	t.Helper()
	mt := mailtest.Start(t)
	if vars == nil {
		vars = env(t, d)
	}
	vars["PORTICO_MAIL_URL"] = mt.URL()
	vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
	deps.JobRetryPolicy = fastRetry{}
	a := newApp(t, vars, deps)
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-served
	})
	return mailApp{App: a, mail: mt, url: "http://" + ln.Addr().String()}
}

var portalLink = regexp.MustCompile(`View this conversation: (\S+/portal/([0-9a-f]{64}))`)

// portalPath finds the footer link in the text part and returns its path.
func portalPath(t *testing.T, text string) string {
	t.Helper()
	m := portalLink.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no portal link in the mail:\n%s", text)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func form(t *testing.T, a *app.App, path string, values url.Values) response {
	t.Helper()
	hr := httptest.NewRequest("POST", path, strings.NewReader(values.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := a.HTTP().Test(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// TestConfirmationMailAndPortal follows a widget ticket to its mailbox and
// onto the portal, on both databases.
func TestConfirmationMailAndPortal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		replies := make(chan events.Event, 4)
		ma.Bus().Subscribe(events.ReplyCreated, func(ctx context.Context, e events.Event) error {
			replies <- e
			return nil
		})
		r := fileTicket(t, ma.App, `{"email":"Ada@Example.com","name":"Ada <b>Lovelace</b>","subject":"<img src=x onerror=alert(1)> broken","description":"Line one\n<script>alert(2)</script>"}`)
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		ref := r.json(t)["reference"].(string)
		id := strings.TrimPrefix(ref, "TK-")
		got := ma.mail.Wait(1, 20*time.Second)[0]
		env := got.Envelope(t)
		h := func(k string) string { return env.Root.Header.Get(k) }
		if got.To[0] != "ada@example.com" {
			t.Errorf("RCPT = %v", got.To)
		}
		for k, want := range map[string]string{
			"Message-Id":               "<ticket-" + id + "@acme.test>",
			"Auto-Submitted":           "auto-replied",
			"X-Auto-Response-Suppress": "All",
		} {
			if h(k) != want {
				t.Errorf("%s = %q, want %q", k, h(k), want)
			}
		}
		if !regexp.MustCompile(`^<?reply\+` + id + `\.[0-9a-f]{8}@acme\.test>?$`).MatchString(h("Reply-To")) {
			t.Errorf("Reply-To = %q", h("Reply-To"))
		}
		if subj := env.GetHeader("Subject"); !strings.HasPrefix(subj, "["+ref+"] ") {
			t.Errorf("Subject = %q", subj)
		}
		if !strings.Contains(env.HTML, "View this conversation") || strings.Contains(env.HTML, "<script>") || strings.Contains(env.HTML, "<img src=x") {
			t.Errorf("HTML part lacks the footer or is not escaped:\n%s", env.HTML)
		}
		path := portalPath(t, env.Text)
		if !strings.Contains(env.HTML, path) {
			t.Error("the HTML part does not carry the portal link")
		}

		page := do(t, ma.App, req{method: "GET", path: path})
		if page.Status != 200 {
			t.Fatalf("portal: %d %s", page.Status, page.Body)
		}
		body := string(page.Body)
		if !strings.Contains(body, "Line one") || !strings.Contains(body, ref) {
			t.Errorf("portal page lacks the message or reference:\n%s", body)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>Lovelace"} {
			if strings.Contains(body, bad) {
				t.Errorf("portal page renders %q live", bad)
			}
		}
		csp := page.Header.Get("Content-Security-Policy")
		for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"} {
			if page.Header.Get(k) != want {
				t.Errorf("%s = %q", k, page.Header.Get(k))
			}
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "'nonce-") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP = %q", csp)
		}
		nonce := regexp.MustCompile(`'nonce-([0-9a-f]+)'`).FindStringSubmatch(csp)[1]
		if !strings.Contains(body, `nonce="`+nonce+`"`) {
			t.Error("the page's style does not carry the CSP nonce")
		}

		// A reply: HTML stripped, text kept, 303 back, on the timeline.
		res := form(t, ma.App, path+"/replies", url.Values{"body": {`<script>steal()</script><b onclick="x()">Thanks, it works</b> now`}})
		if res.Status != 303 || !strings.HasPrefix(res.Header.Get("Location"), path+"?sent=1") {
			t.Fatalf("reply: %d %v %s", res.Status, res.Header, res.Body)
		}
		after := do(t, ma.App, req{method: "GET", path: path + "?sent=1"})
		if !strings.Contains(string(after.Body), "Thanks, it works now") || !strings.Contains(string(after.Body), "your reply was sent") {
			t.Errorf("reply not shown:\n%s", after.Body)
		}
		detail := do(t, ma.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		msgs := detail["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		if last["body"] != "Thanks, it works now" || last["source"] != "portal" || last["author_email"] != "ada@example.com" {
			t.Errorf("stored reply = %v", last)
		}
		select {
		case e := <-replies:
			if fmt.Sprint(e.TicketID) != id {
				t.Errorf("reply.created for ticket %d", e.TicketID)
			}
		case <-time.After(20 * time.Second):
			t.Error("reply.created never published")
		}
		links := detail["portal_links"].([]any)
		if len(links) != 1 || links[0].(map[string]any)["state"] != "active" {
			t.Errorf("portal links = %v", links)
		}
	})
}

func TestPortalReplyValidation(t *testing.T) {
	t.Parallel()
	ma := startMailApp(t, store.SQLite, nil, app.Deps{})
	fileTicket(t, ma.App, ticketBody("v@example.com"))
	path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	long := strings.Repeat("ß", 10001)
	for _, c := range []struct {
		name, body string
		status     int
		contains   string
	}{
		{"empty", "   ", 422, "is required"},
		{"only markup", "<p><br></p>", 422, "is required"},
		{"too long", long, 422, "at most 10,000 characters (it has 10,001)"},
		{"exactly the limit", strings.Repeat("ß", 10000), 303, ""},
	} {
		r := form(t, ma.App, path+"/replies", url.Values{"body": {c.body}})
		if r.Status != c.status || !strings.Contains(string(r.Body), c.contains) {
			t.Errorf("%s: %d, want %d containing %q", c.name, r.Status, c.status, c.contains)
		}
		if c.name == "too long" && !strings.Contains(string(r.Body), long) {
			t.Error("the rejected text was not kept in the form")
		}
	}
	for _, p := range []string{"/portal/" + strings.Repeat("0", 64), "/portal/short", "/portal/" + strings.Repeat("G", 64)} {
		if r := do(t, ma.App, req{method: "GET", path: p}); r.Status != 404 || !strings.Contains(string(r.Body), "<h1>") {
			t.Errorf("GET %s = %d (want a friendly 404 page)", p, r.Status)
		}
		if r := form(t, ma.App, p+"/replies", url.Values{"body": {"hi"}}); r.Status != 404 {
			t.Errorf("POST %s/replies = %d", p, r.Status)
		}
	}
}

// The portal follows the runtime settings: replies off → 403, portal off → 404.
func TestPortalSettings(t *testing.T) {
	t.Parallel()
	ma := startMailApp(t, store.SQLite, nil, app.Deps{})
	fileTicket(t, ma.App, ticketBody("s@example.com"))
	path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	put := func(body string) {
		if r := do(t, ma.App, req{method: "PUT", path: "/support/admin/settings/portal", body: body, header: bearer()}); r.Status != 200 {
			t.Fatalf("PUT portal: %d %s", r.Status, r.Body)
		}
	}
	put(`{"allow_reply":false}`)
	if r := form(t, ma.App, path+"/replies", url.Values{"body": {"hi"}}); r.Status != 403 {
		t.Errorf("reply with replies off: %d", r.Status)
	}
	if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 200 || strings.Contains(string(r.Body), "<textarea") {
		t.Errorf("page with replies off: %d, form shown: %v", r.Status, strings.Contains(string(r.Body), "<textarea"))
	}
	put(`{"enabled":false}`)
	if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 404 {
		t.Errorf("portal off: %d", r.Status)
	}
	put(`{"enabled":true,"allow_reply":true}`)
	if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 200 {
		t.Errorf("portal back on: %d", r.Status)
	}
}

// Closing starts the retention clock from the given closed_at; reopening
// stops it; revoking ends the link.
func TestPortalRetentionAndRevocation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		ref := fileTicket(t, ma.App, ticketBody("r@example.com")).json(t)["reference"].(string)
		path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
		ticketID := ticketIDOf(t, ref)
		ctx := context.Background()

		if _, err := ma.Tickets.Close(ctx, ticketID, tickets.StateChange{At: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 200 || !strings.Contains(string(r.Body), "stops working on") {
			t.Errorf("closed an hour ago (retention 30d): %d", r.Status)
		}
		// Closing a closed ticket changes nothing: reopen, then close 40 days ago.
		if _, err := ma.Tickets.Reopen(ctx, ticketID, tickets.StateChange{}); err != nil {
			t.Fatal(err)
		}
		if _, err := ma.Tickets.Close(ctx, ticketID, tickets.StateChange{At: time.Now().Add(-40 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 410 || !strings.Contains(string(r.Body), "expired") {
			t.Errorf("closed 40 days ago: %d", r.Status)
		}
		if r := form(t, ma.App, path+"/replies", url.Values{"body": {"late"}}); r.Status != 410 {
			t.Errorf("reply after expiry: %d", r.Status)
		}
		detail := do(t, ma.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		if st := detail["portal_links"].([]any)[0].(map[string]any)["state"]; st != "expired" {
			t.Errorf("link state after expiry = %v", st)
		}
		if _, err := ma.Tickets.Reopen(ctx, ticketID, tickets.StateChange{}); err != nil {
			t.Fatal(err)
		}
		if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 200 {
			t.Errorf("reopened: %d", r.Status)
		}
		// A shorter retention applies to the next close.
		do(t, ma.App, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"retention_after_close":"30m"}`, header: bearer()})
		if _, err := ma.Tickets.Close(ctx, ticketID, tickets.StateChange{At: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 410 {
			t.Errorf("closed an hour ago with 30m retention: %d", r.Status)
		}
		if _, err := ma.Tickets.Reopen(ctx, ticketID, tickets.StateChange{}); err != nil {
			t.Fatal(err)
		}

		rv := do(t, ma.App, req{method: "POST", path: "/support/admin/tickets/" + ref + "/portal-links/revoke", header: bearer()})
		if rv.Status != 200 || rv.json(t)["revoked"].(float64) != 1 {
			t.Fatalf("revoke: %d %s", rv.Status, rv.Body)
		}
		if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 404 {
			t.Errorf("revoked link: %d", r.Status)
		}
		if r := do(t, ma.App, req{method: "POST", path: "/support/admin/tickets/TK-999999/portal-links/revoke", header: bearer()}); r.Status != 404 {
			t.Errorf("revoke unknown ticket: %d", r.Status)
		}
		if r := do(t, ma.App, req{method: "POST", path: "/support/admin/tickets/" + ref + "/portal-links/revoke"}); r.Status != 401 {
			t.Errorf("revoke without credentials: %d", r.Status)
		}
	})
}

func ticketIDOf(t *testing.T, ref string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(ref, "TK-%d", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Agent replies are threaded under the first mail, carry the footer, and
// show on the portal of the customer they reached; notes never do.
func TestAgentReplyMailAndVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		ctx := context.Background()
		ref := fileTicket(t, ma.App, ticketBody("cust@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)

		if _, err := ma.Tickets.AddInternalNote(ctx, tickets.Note{TicketID: id, Source: model.SourceGitHub, Author: "Grace", Body: "INTERNAL: customer seems angry"}); err != nil {
			t.Fatal(err)
		}
		msg, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "Grace", BodyText: "Try <clearing> the cache."})
		if err != nil {
			t.Fatal(err)
		}
		// A reply that went only to a colleague of the customer.
		if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "Grace", BodyText: "COLLEAGUE ONLY",
			To: []tickets.Recipient{{Email: "Boss@Example.com", Name: "Boss"}}}); err != nil {
			t.Fatal(err)
		}
		got := ma.mail.Wait(3, 20*time.Second)
		var reply, colleague *mailtest.Received
		for i := range got {
			switch got[i].To[0] {
			case "cust@example.com":
				reply = &got[i]
			case "boss@example.com":
				colleague = &got[i]
			}
		}
		if reply == nil || colleague == nil {
			t.Fatalf("mails went to %v", got)
		}
		env := reply.Envelope(t)
		first := fmt.Sprintf("<ticket-%d@acme.test>", id)
		want := fmt.Sprintf("<ticket-%d-reply-%d@acme.test>", id, msg.ID)
		if env.Root.Header.Get("Message-Id") != want || env.Root.Header.Get("In-Reply-To") != first ||
			env.Root.Header.Get("References") != first || env.Root.Header.Get("Auto-Submitted") != "" {
			t.Errorf("reply headers: Message-Id %q In-Reply-To %q References %q Auto-Submitted %q",
				env.Root.Header.Get("Message-Id"), env.Root.Header.Get("In-Reply-To"), env.Root.Header.Get("References"), env.Root.Header.Get("Auto-Submitted"))
		}
		if !strings.Contains(env.Text, "Try <clearing> the cache.") || !strings.Contains(env.HTML, "Try &lt;clearing&gt; the cache.") {
			t.Errorf("reply body: text %q html %q", env.Text, env.HTML)
		}
		replyPath := portalPath(t, env.Text)
		if replyPath == path {
			t.Error("two mails carried the same portal token")
		}
		colleaguePath := portalPath(t, colleague.Envelope(t).Text)
		for _, p := range []string{path, replyPath} {
			body := string(do(t, ma.App, req{method: "GET", path: p}).Body)
			if !strings.Contains(body, "Try &lt;clearing&gt; the cache.") || !strings.Contains(body, "Grace") {
				t.Errorf("the customer's portal lacks the agent reply")
			}
			if strings.Contains(body, "INTERNAL") || strings.Contains(body, "COLLEAGUE ONLY") {
				t.Errorf("the customer's portal shows a note or someone else's mail:\n%s", body)
			}
		}
		body := string(do(t, ma.App, req{method: "GET", path: colleaguePath}).Body)
		if !strings.Contains(body, "COLLEAGUE ONLY") || strings.Contains(body, "Try &lt;clearing") || strings.Contains(body, "INTERNAL") ||
			strings.Contains(body, "The button does nothing") {
			t.Errorf("the colleague's portal shows the wrong messages:\n%s", body)
		}
		if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, BodyText: "  "}); err == nil {
			t.Error("an empty agent reply was accepted")
		}
	})
}

// With the SMTP server down, the confirmation waits in the queue and is
// delivered once it is back, exactly once.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	t.Parallel()
	ma := startMailApp(t, store.SQLite, nil, app.Deps{})
	ma.mail.Stop()
	ref := fileTicket(t, ma.App, ticketBody("outage@example.com")).json(t)["reference"].(string)
	id := ticketIDOf(t, ref)
	time.Sleep(600 * time.Millisecond) // a few failed attempts
	ma.mail.Restart()
	got := ma.mail.Wait(1, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up
	if n := len(ma.mail.Received()); n != 1 {
		t.Fatalf("%d mails delivered after the outage, want exactly 1", n)
	}
	if mid := got[0].Envelope(t).Root.Header.Get("Message-Id"); mid != fmt.Sprintf("<ticket-%d@acme.test>", id) {
		t.Errorf("Message-Id = %q", mid)
	}
}

// A Turnstile secret makes the portal check replies against siteverify.
func TestPortalTurnstile(t *testing.T) {
	t.Parallel()
	verify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ok := r.PostForm.Get("secret") == "ts-secret" && r.PostForm.Get("response") == "good-token"
		_ = json.NewEncoder(w).Encode(map[string]any{"success": ok, "error-codes": []string{}})
	}))
	t.Cleanup(verify.Close)
	vars := env(t, store.SQLite)
	vars["PORTICO_TURNSTILE_SECRET_KEY"] = "ts-secret"
	vars["PORTICO_TURNSTILE_SITE_KEY"] = "ts-site"
	vars["PORTICO_TURNSTILE_VERIFY_URL"] = verify.URL
	ma := startMailApp(t, store.SQLite, vars, app.Deps{})
	// With a site key the widget asks for the check too.
	if r := fileTicket(t, ma.App, strings.Replace(ticketBody("ts@example.com"), "{", `{"cf-turnstile-response":"good-token",`, 1)); r.Status != 201 {
		t.Fatalf("file with turnstile: %d %s", r.Status, r.Body)
	}
	path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	page := do(t, ma.App, req{method: "GET", path: path})
	if !strings.Contains(string(page.Body), `data-sitekey="ts-site"`) || !strings.Contains(string(page.Body), "challenges.cloudflare.com/turnstile") {
		t.Error("the page lacks the Turnstile widget")
	}
	for _, c := range []struct {
		token  string
		status int
	}{{"", 403}, {"bad-token", 403}, {"good-token", 303}} {
		r := form(t, ma.App, path+"/replies", url.Values{"body": {"hello " + c.token}, "cf-turnstile-response": {c.token}})
		if r.Status != c.status {
			t.Errorf("turnstile %q: %d, want %d", c.token, r.Status, c.status)
		}
		if c.status == 403 && !strings.Contains(string(r.Body), "hello "+c.token) {
			t.Errorf("turnstile %q: the text was not kept", c.token)
		}
	}
	verify.Close()
	if r := form(t, ma.App, path+"/replies", url.Values{"body": {"x"}, "cf-turnstile-response": {"good-token"}}); r.Status != 503 {
		t.Errorf("siteverify down: %d", r.Status)
	}
}

var signupLink = regexp.MustCompile(`https://app\.example/join\?t=(\S+)`)

// Under prompt_signup the confirmation invites the customer with a token
// that the host app can exchange once for the contact.
func TestSignupInvitation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		if r := do(t, ma.App, req{method: "PUT", path: "/support/admin/settings/public-tickets", header: bearer(),
			body: `{"guest_policy_mode":"prompt_signup","guest_policy_signup_url_template":"https://app.example/join?t={token}"}`}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		fileTicket(t, ma.App, ticketBody("join@example.com"))
		env := ma.mail.Wait(1, 20*time.Second)[0].Envelope(t)
		m := signupLink.FindStringSubmatch(env.Text)
		if m == nil || !strings.Contains(env.HTML, "https://app.example/join?t=") {
			t.Fatalf("no signup link in the confirmation:\n%s", env.Text)
		}
		token, err := url.QueryUnescape(m[1])
		if err != nil {
			t.Fatal(err)
		}
		verify := func(tok string) response {
			b, _ := json.Marshal(map[string]string{"token": tok})
			return do(t, ma.App, req{method: "POST", path: "/support/admin/signup-tokens/verify", body: string(b), header: bearer()})
		}
		r := verify(token)
		if r.Status != 200 || r.json(t)["email"] != "join@example.com" {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if r := verify(token); r.Status != 409 {
			t.Errorf("second use: %d", r.Status)
		}
		forged := token[:len(token)-1] + map[bool]string{true: "0", false: "1"}[token[len(token)-1] != '0']
		for _, bad := range []string{forged, "", "1.2.3", "garbage"} {
			if r := verify(bad); r.Status != 422 {
				t.Errorf("token %q: %d", bad, r.Status)
			}
		}
	})
}
