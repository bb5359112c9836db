package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

// Status mails and ratings (issue 17).

var (
	ratingLink  = regexp.MustCompile(`(Good|Okay|Bad): (\S+/portal/[0-9a-f]{64}/rate\?score=(good|okay|bad))`)
	formTokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)
)

// ratingLinks returns the paths (with query) of the close mail's rating
// links, by score.
func ratingLinks(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range ratingLink.FindAllStringSubmatch(text, -1) {
		u, err := url.Parse(m[2])
		if err != nil {
			t.Fatal(err)
		}
		out[m[3]] = u.RequestURI()
	}
	return out
}

// formTokenOf reads the rating form's token from a page.
func formTokenOf(t *testing.T, r response) string {
	t.Helper()
	m := formTokenRe.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no rating form on the page (%d):\n%s", r.Status, r.Body)
	}
	return string(m[1])
}

// mailCounter waits for the mails of a test one batch at a time.
type mailCounter struct {
	srv *mailtest.Server
	n   int
}

// next waits for n more mails and returns them.
func (c *mailCounter) next(t *testing.T, n int) []mailtest.Received {
	t.Helper()
	c.n += n
	return c.srv.Wait(c.n, 20*time.Second)[c.n-n:]
}

// none checks that no mail came beyond those waited for.
func (c *mailCounter) none(t *testing.T, what string) {
	t.Helper()
	if got := c.srv.Received(); len(got) != c.n {
		for _, m := range got[c.n:] {
			t.Errorf("%s: a mail to %v: %s", what, m.To, m.Envelope(t).GetHeader("Subject"))
		}
	}
}

func adminPost(t *testing.T, a *app.App, path string) {
	t.Helper()
	if r := do(t, a, req{method: "POST", path: path, header: bearer()}); r.Status != 200 {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
}

// TestStatusMails: closing a ticket (admin, workflow) mails its customer,
// threaded on the conversation, with the portal link and the rating links;
// the customer's reply by mail reopens it and says so.
func TestStatusMails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		a := ma.App
		mails := &mailCounter{srv: ma.mail}
		ref := fileTicket(t, a, `{"email":"Ada@Example.com","name":"Ada Lovelace","subject":"Cannot log in","description":"The button does nothing."}`).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		mails.next(t, 1) // the confirmation
		first := fmt.Sprintf("<ticket-%d@acme.test>", id)

		adminPost(t, a, "/support/admin/tickets/"+ref+"/close")
		closed := mails.next(t, 1)[0]
		env := closed.Envelope(t)
		h := env.Root.Header.Get
		if closed.To[0] != "ada@example.com" || strings.Contains(h("To"), "Ada") {
			t.Errorf("close mail to %v (To %q): the requester, without the name they typed", closed.To, h("To"))
		}
		closeID := h("Message-Id")
		if !regexp.MustCompile(fmt.Sprintf(`^<ticket-%d-status-[0-9a-f]{16}@acme\.test>$`, id)).MatchString(closeID) {
			t.Errorf("Message-Id = %q", closeID)
		}
		for k, want := range map[string]string{"Subject": "[" + ref + "] Your request is closed", "In-Reply-To": first,
			"References": first, "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"} {
			if got := env.GetHeader(k); got != want {
				t.Errorf("close mail %s = %q, want %q", k, got, want)
			}
		}
		if !strings.Contains(env.Text, "reply to this email to reopen it") || strings.Contains(env.Text, "Cannot log in") {
			t.Errorf("close mail text:\n%s", env.Text)
		}
		portal := portalPath(t, env.Text)
		links := ratingLinks(t, env.Text)
		for _, s := range []string{"good", "okay", "bad"} {
			if links[s] != portal+"/rate?score="+s || !strings.Contains(env.HTML, `href="`+portalURL(env.Text)+"/rate?score="+s+`"`) {
				t.Errorf("rating link %s = %q (portal %s); HTML:\n%s", s, links[s], portal, env.HTML)
			}
		}
		if r := do(t, a, req{method: "GET", path: portal}); r.Status != 200 || !strings.Contains(string(r.Body), "How did we do?") {
			t.Errorf("the close mail's portal link: %d", r.Status)
		}

		// The customer answers the close mail: the ticket opens again, and
		// the mail saying so answers theirs.
		reply := fmt.Sprintf("<still-broken-%s@example.com>", d)
		if o, _ := outcome(t, postmark(t, a, pm{From: "ada@example.com", To: "help@acme.test", Subject: "Re: [" + ref + "] Your request is closed",
			Text: "Still broken.", MessageID: reply, InReplyTo: closeID})); o != "appended" {
			t.Fatalf("reply to the close mail: %s", o)
		}
		if st := ticketDetail(t, a, ref)["status"]; st != "open" {
			t.Fatalf("after the reply the ticket is %v", st)
		}
		reopened := mails.next(t, 1)[0]
		env = reopened.Envelope(t)
		if reopened.To[0] != "ada@example.com" || env.GetHeader("Subject") != "["+ref+"] Your request is open again" ||
			env.GetHeader("In-Reply-To") != reply || env.GetHeader("References") != first+" "+reply {
			t.Errorf("reopen mail to %v: Subject %q In-Reply-To %q References %q", reopened.To, env.GetHeader("Subject"),
				env.GetHeader("In-Reply-To"), env.GetHeader("References"))
		}
		if !strings.Contains(env.Text, "is open again") || len(ratingLinks(t, env.Text)) != 0 || strings.Contains(env.Text, "How did we do") {
			t.Errorf("reopen mail text:\n%s", env.Text)
		}

		// A workflow's close is the same close.
		wfCreate(t, a, wfRule("Close thank-yous", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"thank you"}]}`, `[{"type":"close"}]`))
		wref := fileTicket(t, a, `{"email":"wf@example.com","subject":"Just a thank you","description":"All good."}`).json(t)["reference"].(string)
		var got []string
		for _, m := range mails.next(t, 2) {
			got = append(got, m.To[0]+" "+m.Envelope(t).GetHeader("Subject"))
		}
		if want := "wf@example.com [" + wref + "] Your request is closed"; !strings.Contains(strings.Join(got, "|"), want) {
			t.Errorf("mails after the workflow closed %s: %v", wref, got)
		}
		settle()
		mails.none(t, "after the workflow's close")
	})
}

// portalURL is the absolute portal link of a mail's text part.
func portalURL(text string) string {
	m := portalLink.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestStatusMailsSkipped: no status mail with the setting off, to a mail
// system's or a no-reply address, to someone portico never mailed about the
// ticket (an unauthenticated mail opened it), for an erased ticket, or
// because of the purge.
func TestStatusMailsSkipped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clock := &testClock{t: time.Now()}
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{Now: clock.Now, PurgeInterval: 150 * time.Millisecond})
		a := ma.App
		mails := &mailCounter{srv: ma.mail}
		const settingsPath = "/support/admin/settings/portal"
		if r := do(t, a, req{method: "GET", path: settingsPath, header: bearer()}); r.Status != 200 || r.json(t)["status_mails"] != true {
			t.Errorf("default portal settings: %d %s", r.Status, r.Body)
		}
		if r := do(t, a, req{method: "PUT", path: settingsPath, body: `{"status_mails":"yes"}`, header: bearer()}); r.Status != 400 ||
			!strings.Contains(string(r.Body), "status_mails") {
			t.Errorf("PUT status_mails as a string: %d %s", r.Status, r.Body)
		}

		var refs []string
		for _, email := range []string{"mailer-daemon@example.com", "noreply@example.com", "No-Reply+billing@example.com", "erase-me@example.com", "off@example.com"} {
			refs = append(refs, fileTicket(t, a, ticketBody(email)).json(t)["reference"].(string))
		}
		mails.next(t, len(refs)) // their confirmations
		o, stranger := outcome(t, postmark(t, a, pm{From: "someone@elsewhere.example", To: "help@acme.test", Subject: "Hello",
			Text: "Forged, perhaps.", MessageID: fmt.Sprintf("<forged-%s@elsewhere.example>", d), Verdicts: "fail"}))
		if o != "created" {
			t.Fatalf("unauthenticated mail: %s", o)
		}
		refs = append(refs, stranger)
		erased := contactOf(t, a, refs[3])
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", erased), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if r := do(t, a, req{method: "PUT", path: settingsPath, body: `{"status_mails":false}`, header: bearer()}); r.Status != 200 ||
			r.json(t)["status_mails"] != false || r.json(t)["retention_after_close"] != "30d" {
			t.Fatalf("PUT status_mails false: %d %s", r.Status, r.Body)
		}
		adminPost(t, a, "/support/admin/tickets/"+refs[4]+"/close") // setting off
		adminPost(t, a, "/support/admin/tickets/"+refs[4]+"/reopen")
		if r := do(t, a, req{method: "PUT", path: settingsPath, body: `{"status_mails":true}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("PUT status_mails true: %d %s", r.Status, r.Body)
		}
		for _, ref := range refs[:4] {
			adminPost(t, a, "/support/admin/tickets/"+ref+"/close")
			adminPost(t, a, "/support/admin/tickets/"+ref+"/reopen")
		}
		adminPost(t, a, "/support/admin/tickets/"+stranger+"/close")

		// A control: the same close for an ordinary customer is mailed, after
		// the changes above were handled.
		control := fileTicket(t, a, ticketBody("control@example.com")).json(t)["reference"].(string)
		if m := mails.next(t, 1)[0]; m.To[0] != "control@example.com" {
			t.Errorf("a mail to %v: %s", m.To, m.Envelope(t).GetHeader("Subject"))
		}
		adminPost(t, a, "/support/admin/tickets/"+control+"/close")
		if m := mails.next(t, 1)[0]; m.To[0] != "control@example.com" || !strings.HasSuffix(m.Envelope(t).GetHeader("Subject"), "Your request is closed") {
			t.Errorf("control mail to %v: %s", m.To, m.Envelope(t).GetHeader("Subject"))
		}
		settle()
		mails.none(t, "status mails that must not go out")

		// The purge erases the closed ticket a day later: no mail.
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/privacy", body: `{"purge_closed_after":"1d"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("PUT purge: %d %s", r.Status, r.Body)
		}
		clock.Advance(49 * time.Hour)
		waitFor(t, "the purge of "+control, 20*time.Second, func() bool { return ticketDetail(t, a, control)["subject"] == "(erased)" })
		settle()
		mails.none(t, "after the purge")
	})
}

// startRatingApp is a GitHub-synced mail app with deps.
func startRatingApp(t *testing.T, d store.Dialect, deps app.Deps) ghApp {
	t.Helper()
	fake := githubtest.Start(t, "acme/support")
	vars := env(t, d)
	vars["PORTICO_GITHUB_REPOSITORY"] = fake.Repository()
	vars["PORTICO_GITHUB_TOKEN"] = fake.Token
	vars["PORTICO_GITHUB_API_URL"] = fake.URL()
	vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	return ghApp{mailApp: startMailApp(t, d, vars, deps), gh: fake, d: d, dsn: vars["PORTICO_DATABASE_URL"]}
}

// ratingComments returns portico's rating comments on an issue.
func ratingComments(g ghApp, issue int64) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range g.gh.Comments(issue) {
		if strings.HasPrefix(c.Body, "<!-- portico:rating=") {
			out = append(out, c)
		}
	}
	return out
}

func ratingsOf(t *testing.T, a *app.App, ref string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range ticketDetail(t, a, ref)["ratings"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func ratingSummary(t *testing.T, a *app.App) map[string]any {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/admin/ratings/summary", header: bearer()})
	if r.Status != 200 {
		t.Fatalf("summary: %d %s", r.Status, r.Body)
	}
	return r.json(t)
}

func wantCounts(t *testing.T, what string, s map[string]any, good, okay, bad int) {
	t.Helper()
	if s["good"] != float64(good) || s["okay"] != float64(okay) || s["bad"] != float64(bad) || s["total"] != float64(good+okay+bad) || s["days"] != float64(30) {
		t.Errorf("%s: summary %v, want good %d okay %d bad %d", what, s, good, okay, bad)
	}
}

// TestRatings follows "How did we do?" from the close mail to GitHub, the
// admin pages, the export and the erasure, with every refusal on the way.
func TestRatings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clock := &testClock{t: time.Now()}
		g := startRatingApp(t, d, app.Deps{Now: clock.Now})
		a := g.App
		mails := &mailCounter{srv: g.mail}
		ref := fileTicket(t, a, `{"email":"Ada@Example.com","name":"Ada Lovelace","subject":"Cannot log in","description":"The button does nothing."}`).json(t)["reference"].(string)
		other := fileTicket(t, a, ticketBody("bob@example.com")).json(t)["reference"].(string)
		issue := g.issueFor(t, ref)
		var otherPortal string
		for _, m := range mails.next(t, 2) {
			if m.To[0] == "bob@example.com" {
				otherPortal = portalPath(t, m.Envelope(t).Text)
			}
		}

		adminPost(t, a, "/support/admin/tickets/"+ref+"/close")
		text := mails.next(t, 1)[0].Envelope(t).Text
		portal, links := portalPath(t, text), ratingLinks(t, text)
		rate := portal + "/rate"

		// The closed ticket's page asks, stays small and keeps its CSP.
		page := do(t, a, req{method: "GET", path: portal})
		body := string(page.Body)
		if page.Status != 200 || !strings.Contains(body, "How did we do?") || !strings.Contains(body, `action="`+rate+`"`) {
			t.Fatalf("closed page: %d\n%s", page.Status, body)
		}
		if len(page.Body) >= 15*1024 || !scriptsAllowed(body, page.Header.Get("Content-Security-Policy")) {
			t.Errorf("closed page: %d bytes, CSP %q", len(page.Body), page.Header.Get("Content-Security-Policy"))
		}

		// Opening the mail's links (as a scanner does) stores nothing.
		confirm := do(t, a, req{method: "GET", path: links["good"]})
		if confirm.Status != 200 || !strings.Contains(string(confirm.Body), `value="good" required checked`) || strings.Contains(string(confirm.Body), `value="bad" required checked`) {
			t.Fatalf("GET %s: %d\n%s", links["good"], confirm.Status, confirm.Body)
		}
		token := formTokenOf(t, confirm)
		for _, s := range []string{"bad", "okay"} {
			if r := do(t, a, req{method: "GET", path: links[s]}); r.Status != 200 {
				t.Errorf("GET %s: %d", links[s], r.Status)
			}
		}
		if r := do(t, a, req{method: "GET", path: rate + "?score=great"}); r.Status != 200 || strings.Contains(string(r.Body), "checked") {
			t.Errorf("GET with an unknown score: %d", r.Status)
		}

		// Refused, nothing stored.
		long := strings.Repeat("é", 1001)
		for _, c := range []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"no form token", url.Values{"score": {"good"}}, 403, "This form has expired"},
			{"forged form token", url.Values{"score": {"good"}, "form_token": {"9999999999.00112233445566778899aabbccddeeff"}}, 403, "This form has expired"},
			{"unknown score", url.Values{"score": {"great"}, "form_token": {token}, "comment": {"kept"}}, 422, "must be good, okay or bad"},
			{"no score", url.Values{"form_token": {token}}, 422, "is required: choose good, okay or bad"},
			{"comment too long", url.Values{"score": {"good"}, "form_token": {token}, "comment": {long}}, 422, "must be at most 1,000 characters (it has 1,001)"},
		} {
			r := form(t, a, rate, c.form)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%s: %d, want %d with %q:\n%s", c.name, r.Status, c.status, c.want, r.Body)
			}
			if c.name == "unknown score" && !strings.Contains(string(r.Body), ">kept</textarea>") {
				t.Errorf("%s: the comment was not kept", c.name)
			}
		}
		if got := ratingsOf(t, a, ref); len(got) != 0 {
			t.Fatalf("stored before any valid answer: %v", got)
		}
		wantCounts(t, "before any answer", ratingSummary(t, a), 0, 0, 0)

		// Good, with a comment. GitHub answers the comment with a 502 after
		// making it: the retry finds it instead of commenting twice.
		g.gh.Fail(githubtest.RouteCreateComment, githubtest.BadGateway(true))
		r := form(t, a, rate, url.Values{"score": {"good"}, "form_token": {token}, "comment": {"Quick <b>and</b> kind, thanks @octocat"}})
		if r.Status != 303 || r.Header.Get("Location") != portal+"?rated=1#rating" {
			t.Fatalf("rate good: %d %v %s", r.Status, r.Header, r.Body)
		}
		got := ratingsOf(t, a, ref)
		if len(got) != 1 || got[0]["score"] != "good" || got[0]["comment"] != "Quick and kind, thanks @octocat" {
			t.Fatalf("stored ratings: %v", got)
		}
		wantCounts(t, "after good", ratingSummary(t, a), 1, 0, 0)
		githubtest.Wait(t, "the rating on the issue", 20*time.Second, func() bool { return len(ratingComments(g, issue.Number)) > 0 })
		settle()
		comments := ratingComments(g, issue.Number)
		if len(comments) != 1 || !strings.Contains(comments[0].Body, "Rating from Ada Lovelace <ada@example.com>: 👍 **good**") ||
			!strings.Contains(comments[0].Body, "> Quick and kind, thanks @\u200boctocat") {
			t.Fatalf("rating comments: %+v", comments)
		}
		after := do(t, a, req{method: "GET", path: portal + "?rated=1"})
		if !strings.Contains(string(after.Body), "Thank you for your rating.") || !strings.Contains(string(after.Body), "Your answer: <strong>Good</strong>") {
			t.Errorf("page after rating:\n%s", after.Body)
		}

		// The same answer again changes nothing; another one replaces it,
		// and its comment on GitHub.
		token = formTokenOf(t, after)
		if r := form(t, a, rate, url.Values{"score": {"good"}, "form_token": {token}, "comment": {"Quick and kind, thanks @octocat"}}); r.Status != 303 {
			t.Fatalf("same answer: %d %s", r.Status, r.Body)
		}
		settle()
		if n := len(g.gh.Calls(githubtest.RouteEditComment)); n != 0 {
			t.Errorf("the same answer edited GitHub %d times", n)
		}
		if r := form(t, a, rate, url.Values{"score": {"bad"}, "form_token": {token}, "comment": {"On second thought: too slow."}}); r.Status != 303 {
			t.Fatalf("rate bad: %d %s", r.Status, r.Body)
		}
		got = ratingsOf(t, a, ref)
		if len(got) != 1 || got[0]["score"] != "bad" || got[0]["comment"] != "On second thought: too slow." {
			t.Fatalf("after the change: %v", got)
		}
		wantCounts(t, "after the change", ratingSummary(t, a), 0, 0, 1)
		githubtest.Wait(t, "the rating's comment edited", 20*time.Second, func() bool {
			c := ratingComments(g, issue.Number)
			return len(c) == 1 && strings.Contains(c[0].Body, "👎 **bad**") && strings.Contains(c[0].Body, "> On second thought: too slow.")
		})

		// Someone else's link, and a ticket that is open, cannot rate.
		if r := do(t, a, req{method: "GET", path: otherPortal + "/rate?score=good"}); r.Status != 409 || !strings.Contains(string(r.Body), "This request is open") {
			t.Errorf("GET rate of an open ticket: %d\n%s", r.Status, r.Body)
		}
		if r := form(t, a, otherPortal+"/rate", url.Values{"score": {"good"}, "form_token": {token}}); r.Status != 403 {
			t.Errorf("another link's form token: %d", r.Status)
		}
		adminPost(t, a, "/support/admin/tickets/"+other+"/close")
		mails.next(t, 1)
		otherToken := formTokenOf(t, do(t, a, req{method: "GET", path: otherPortal}))
		adminPost(t, a, "/support/admin/tickets/"+other+"/reopen")
		mails.next(t, 1)
		if r := form(t, a, otherPortal+"/rate", url.Values{"score": {"good"}, "form_token": {otherToken}}); r.Status != 409 {
			t.Errorf("rating a reopened ticket: %d %s", r.Status, r.Body)
		}
		if got := ratingsOf(t, a, other); len(got) != 0 {
			t.Errorf("ratings of the open ticket: %v", got)
		}

		// The export has it.
		contact := contactOf(t, a, ref)
		exportRating := func() map[string]any {
			t.Helper()
			r := do(t, a, req{method: "GET", path: fmt.Sprintf("/support/admin/contacts/%d/export", contact), header: bearer()})
			var doc struct {
				Tickets []struct {
					Reference string         `json:"reference"`
					Rating    map[string]any `json:"rating"`
				} `json:"tickets"`
			}
			if r.Status != 200 || json.Unmarshal(r.Body, &doc) != nil || len(doc.Tickets) != 1 || doc.Tickets[0].Reference != ref {
				t.Fatalf("export: %d %s", r.Status, r.Body)
			}
			return doc.Tickets[0].Rating
		}
		if e := exportRating(); e["score"] != "bad" || e["comment"] != "On second thought: too slow." {
			t.Errorf("exported rating: %v", e)
		}

		// 31 days later: out of the summary, and the link has expired.
		clock.Advance(31 * 24 * time.Hour)
		wantCounts(t, "31 days later", ratingSummary(t, a), 0, 0, 0)
		if r := form(t, a, rate, url.Values{"score": {"okay"}, "form_token": {token}}); r.Status != 410 {
			t.Errorf("rating through an expired link: %d", r.Status)
		}
		if r := do(t, a, req{method: "GET", path: links["okay"]}); r.Status != 410 {
			t.Errorf("GET rate of an expired link: %d", r.Status)
		}
		adminPost(t, a, "/support/admin/tickets/"+ref+"/portal-links/revoke")
		if r := form(t, a, rate, url.Values{"score": {"okay"}, "form_token": {token}}); r.Status != 404 {
			t.Errorf("rating through a revoked link: %d", r.Status)
		}
		if r := do(t, a, req{method: "GET", path: "/support/admin/ratings/summary"}); r.Status != 401 {
			t.Errorf("summary without credentials: %d", r.Status)
		}

		// Erasure keeps the score and drops the comment, here and on GitHub.
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contact), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if got := ratingsOf(t, a, ref); len(got) != 1 || got[0]["score"] != "bad" || got[0]["comment"] != "" {
			t.Errorf("ratings after the erasure: %v", got)
		}
		if e := exportRating(); e["comment"] != "" {
			t.Errorf("exported rating after the erasure: %v", e)
		}
		githubtest.Wait(t, "the rating comment redacted", 20*time.Second, func() bool {
			c := ratingComments(g, issue.Number)
			return len(c) == 1 && strings.Contains(c[0].Body, "Erased in portico") && !strings.Contains(c[0].Body, "too slow")
		})
	})
}

// TestRatingHumanCheck: with Turnstile configured an answer must pass it as
// a portal reply must, and the page loads Turnstile's script once.
func TestRatingHumanCheck(t *testing.T) {
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
		ma := startMailApp(t, d, vars, app.Deps{})
		a := ma.App
		mails := &mailCounter{srv: ma.mail}
		ref := fileTicket(t, a, strings.Replace(ticketBody("human@example.com"), "{", `{"cf-turnstile-response":"good-token",`, 1)).json(t)["reference"].(string)
		mails.next(t, 1)
		adminPost(t, a, "/support/admin/tickets/"+ref+"/close")
		portal := portalPath(t, mails.next(t, 1)[0].Envelope(t).Text)
		scripts := func(path string) int {
			return strings.Count(string(do(t, a, req{method: "GET", path: path}).Body), "challenges.cloudflare.com/turnstile/v0/api.js")
		}
		if n := scripts(portal); n != 1 {
			t.Errorf("page with replies on loads Turnstile %d times", n)
		}
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"allow_reply":false}`, header: bearer()}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if n := scripts(portal); n != 1 {
			t.Errorf("page with replies off loads Turnstile %d times", n)
		}
		if n := scripts(portal + "/rate?score=okay"); n != 1 {
			t.Errorf("rating page loads Turnstile %d times", n)
		}
		token := formTokenOf(t, do(t, a, req{method: "GET", path: portal + "/rate?score=okay"}))
		for _, c := range []struct {
			response string
			status   int
		}{{"", 403}, {"bad-token", 403}, {"good-token", 303}} {
			r := form(t, a, portal+"/rate", url.Values{"score": {"okay"}, "comment": {"fine " + c.response}, "form_token": {token}, "cf-turnstile-response": {c.response}})
			if r.Status != c.status {
				t.Errorf("turnstile %q: %d, want %d", c.response, r.Status, c.status)
			}
			if c.status == 403 && (!strings.Contains(string(r.Body), "fine "+c.response) || !strings.Contains(string(r.Body), "not a robot")) {
				t.Errorf("turnstile %q: the comment was not kept or the reason not given:\n%s", c.response, r.Body)
			}
		}
		if got := ratingsOf(t, a, ref); len(got) != 1 || got[0]["score"] != "okay" || got[0]["comment"] != "fine good-token" {
			t.Errorf("ratings: %v", got)
		}
	})
}

// TestRatingOnDiscussion: on the Discussions desk an answer is a comment on
// the ticket's discussion, edited when it changes and redacted on erasure.
func TestRatingOnDiscussion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startRatingApp(t, d, app.Deps{})
		a := g.App
		g.gh.EnableDiscussions("Support")
		if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Support"}`); r.Status != 200 {
			t.Fatalf("set discussions: %d %s", r.Status, r.Body)
		}
		mails := &mailCounter{srv: g.mail}
		ref := fileTicket(t, a, `{"email":"dee@example.com","name":"Dee","subject":"On a discussion","description":"Please help."}`).json(t)["reference"].(string)
		disc := g.discussionFor(t, ref)
		mails.next(t, 1)
		adminPost(t, a, "/support/admin/tickets/"+ref+"/close")
		links := ratingLinks(t, mails.next(t, 1)[0].Envelope(t).Text)
		rate := strings.SplitN(links["good"], "?", 2)[0]
		token := formTokenOf(t, do(t, a, req{method: "GET", path: links["good"]}))

		ratingOn := func() []githubtest.DiscussionComment {
			var out []githubtest.DiscussionComment
			for _, c := range g.gh.DiscussionComments(disc.Number) {
				if strings.HasPrefix(c.Body, "<!-- portico:rating=") {
					out = append(out, c)
				}
			}
			return out
		}
		g.gh.FailGraphQL("addDiscussionComment", githubtest.GraphQLFault{Status: 502, Message: "Server Error", AfterEffect: true})
		if r := form(t, a, rate, url.Values{"score": {"good"}, "form_token": {token}, "comment": {"Thanks, Dee here."}}); r.Status != 303 {
			t.Fatalf("rate good: %d %s", r.Status, r.Body)
		}
		githubtest.Wait(t, "the rating on the discussion", 20*time.Second, func() bool { return len(ratingOn()) > 0 })
		settle()
		if c := ratingOn(); len(c) != 1 || !strings.Contains(c[0].Body, "Rating from Dee <dee@example.com>: 👍 **good**") ||
			!strings.Contains(c[0].Body, "> Thanks, Dee here.") {
			t.Fatalf("discussion rating comments: %+v", c)
		}
		if r := form(t, a, rate, url.Values{"score": {"okay"}, "form_token": {token}}); r.Status != 303 {
			t.Fatalf("rate okay: %d %s", r.Status, r.Body)
		}
		githubtest.Wait(t, "the discussion rating edited", 20*time.Second, func() bool {
			c := ratingOn()
			return len(c) == 1 && strings.Contains(c[0].Body, "😐 **okay**") && !strings.Contains(c[0].Body, "Dee here")
		})
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contactOf(t, a, ref)), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		githubtest.Wait(t, "the discussion rating redacted", 20*time.Second, func() bool {
			c := ratingOn()
			return len(c) == 1 && strings.Contains(c[0].Body, "Erased in portico") && !strings.Contains(c[0].Body, "dee@example.com")
		})
	})
}
