package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

const ghSecret = "github-webhook-secret-for-tests"

// ghApp is a serving app synced to a fake GitHub, delivering mail to a
// recording SMTP server.
type ghApp struct {
	mailApp
	gh  *githubtest.Server
	d   store.Dialect
	dsn string
}

func startGitHubApp(t *testing.T, d store.Dialect, edit ...func(vars map[string]string)) ghApp {
	t.Helper()
	fake := githubtest.Start(t, "acme/support")
	// grace is the agent of every scenario: she may push to the repository.
	fake.SetPermission("grace", "write")
	vars := env(t, d)
	vars["PORTICO_GITHUB_REPOSITORY"] = fake.Repository()
	vars["PORTICO_GITHUB_TOKEN"] = fake.Token
	vars["PORTICO_GITHUB_API_URL"] = fake.URL()
	vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	for _, e := range edit {
		e(vars)
	}
	dsn := vars["PORTICO_DATABASE_URL"]
	return ghApp{mailApp: startMailApp(t, d, vars, app.Deps{}), gh: fake, d: d, dsn: dsn}
}

// deliver posts a webhook delivery signed with the app's secret.
func (g ghApp) deliver(t *testing.T, d githubtest.Delivery) response {
	t.Helper()
	return do(t, g.App, req{method: "POST", path: "/github/webhook", body: string(d.Body), header: d.Header(ghSecret)})
}

// deliverQueued delivers and expects the work to be queued.
func (g ghApp) deliverQueued(t *testing.T, d githubtest.Delivery) {
	t.Helper()
	r := g.deliver(t, d)
	if r.Status != 200 || r.json(t)["outcome"] != "queued" {
		t.Fatalf("webhook %s: %d %s", d.Event, r.Status, r.Body)
	}
}

// issueFor waits for the issue of the ticket with reference ref, and for the
// ticket to be linked to it.
func (g ghApp) issueFor(t *testing.T, ref string) githubtest.Issue {
	t.Helper()
	var issue githubtest.Issue
	githubtest.Wait(t, "the issue of "+ref, 20*time.Second, func() bool {
		for _, is := range g.gh.Issues() {
			if strings.HasPrefix(is.Title, "["+ref+"] ") {
				issue = is
				return true
			}
		}
		return false
	})
	githubtest.Wait(t, ref+" linked to its issue", 20*time.Second, func() bool {
		n, _ := g.ticket(t, ref)["github_issue_number"].(float64)
		return int64(n) == issue.Number
	})
	return issue
}

func (g ghApp) ticket(t *testing.T, ref string) map[string]any {
	t.Helper()
	r := do(t, g.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("ticket %s: %d %s", ref, r.Status, r.Body)
	}
	return r.json(t)
}

// comments waits until the issue has n comments by portico and returns them.
func (g ghApp) ownComments(t *testing.T, issue int64, n int) []githubtest.Comment {
	t.Helper()
	var own []githubtest.Comment
	githubtest.Wait(t, fmt.Sprintf("%d comments by portico on #%d", n, issue), 20*time.Second, func() bool {
		own = own[:0]
		for _, c := range g.gh.Comments(issue) {
			if c.User == g.gh.BotLogin {
				own = append(own, c)
			}
		}
		return len(own) >= n
	})
	return own
}

// waitStatus polls GET path until it answers status.
func waitStatus(t *testing.T, a *app.App, path string, status int) {
	t.Helper()
	githubtest.Wait(t, fmt.Sprintf("GET %s → %d", path, status), 20*time.Second, func() bool {
		return do(t, a, req{method: "GET", path: path}).Status == status
	})
}

// settle gives queued jobs time to do something they should not.
func settle() { time.Sleep(700 * time.Millisecond) }

func mailTo(t *testing.T, got []mailtest.Received, email string) *mailtest.Received {
	t.Helper()
	for i := range got {
		if got[i].To[0] == email {
			return &got[i]
		}
	}
	return nil
}

// TestGitHubLoop is the issue's "done when", on both databases: widget
// ticket → issue → /send → mail with portal link → portal reply → comment
// on the issue → issues.closed → 410 once retention has passed.
func TestGitHubLoop(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		r := fileTicket(t, g.App, `{"email":"Ada@Example.com","name":"Ada Lovelace","subject":"Cannot log in","description":"The button does nothing.\nPing @octocat please."}`)
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		ref := r.json(t)["reference"].(string)
		id := ticketIDOf(t, ref)

		issue := g.issueFor(t, ref)
		if issue.Title != "["+ref+"] Cannot log in" {
			t.Errorf("title = %q", issue.Title)
		}
		if !strings.HasPrefix(issue.Body, fmt.Sprintf("<!-- portico:ticket=%d -->\n", id)) {
			t.Errorf("the body does not start with the marker:\n%s", issue.Body)
		}
		for _, want := range []string{"> The button does nothing.", "widget", "Ada Lovelace <ada@example.com>", "**Priority:** medium"} {
			if !strings.Contains(issue.Body, want) {
				t.Errorf("the body lacks %q:\n%s", want, issue.Body)
			}
		}
		if strings.Contains(issue.Body, "@octocat") {
			t.Errorf("a customer's @mention would notify someone:\n%s", issue.Body)
		}
		if strings.Join(issue.Labels, ",") != "portico,from-widget" {
			t.Errorf("labels = %v", issue.Labels)
		}
		confirmation := g.mail.Wait(1, 20*time.Second)[0]

		// The agent answers on GitHub.
		delivery, commentID := g.gh.Comment(issue.Number, "grace", "MEMBER",
			"Looked into it, cache problem.\n/send Hi Ada,\n\nPlease **clear the cache** and retry.\n<script>alert(1)</script>")
		g.deliverQueued(t, delivery)
		got := g.mail.Wait(2, 20*time.Second)
		reply := mailTo(t, got[1:], "ada@example.com")
		if reply == nil {
			t.Fatalf("no reply mail to the customer: %v", got)
		}
		env := reply.Envelope(t)
		if !strings.Contains(env.Text, "Please **clear the cache** and retry.") || strings.Contains(env.Text, "Looked into it") {
			t.Errorf("text part:\n%s", env.Text)
		}
		if !strings.Contains(env.HTML, "<strong>clear the cache</strong>") || strings.Contains(env.HTML, "<script>") || strings.Contains(env.HTML, "Looked into it") {
			t.Errorf("HTML part:\n%s", env.HTML)
		}
		if inReplyTo := env.Root.Header.Get("In-Reply-To"); inReplyTo != confirmation.Envelope(t).Root.Header.Get("Message-Id") {
			t.Errorf("In-Reply-To = %q", inReplyTo)
		}
		path := portalPath(t, env.Text)
		githubtest.Wait(t, "the 🚀 reaction", 20*time.Second, func() bool {
			for _, re := range g.gh.Reactions() {
				if re.CommentID == commentID && re.Content == "rocket" {
					return true
				}
			}
			return false
		})
		page := string(do(t, g.App, req{method: "GET", path: path}).Body)
		if !strings.Contains(page, "clear the cache") || strings.Contains(page, "Looked into it") {
			t.Errorf("the portal does not show the reply as sent:\n%s", page)
		}

		// The customer answers on the portal; the issue shows it.
		if res := form(t, g.App, path+"/replies", url.Values{"body": {"Still broken after clearing.\nSecond line."}}); res.Status != 303 {
			t.Fatalf("portal reply: %d %s", res.Status, res.Body)
		}
		own := g.ownComments(t, issue.Number, 1)
		body := own[0].Body
		if !strings.Contains(body, "📨 Reply via portal — from Ada Lovelace <ada@example.com>\n\n> Still broken after clearing.\n> Second line.") {
			t.Errorf("mirrored comment:\n%s", body)
		}
		if !strings.HasPrefix(body, "<!-- portico:message=") {
			t.Errorf("the comment has no marker:\n%s", body)
		}
		// GitHub sends portico's own comment back: it is ignored.
		g.deliverQueued(t, g.gh.Echo(own[0].ID))

		// Closing the issue 40 days ago: past the 30-day retention.
		g.deliverQueued(t, g.gh.SetState(issue.Number, true, time.Now().Add(-40*24*time.Hour)))
		waitStatus(t, g.App, path, 410)

		detail := g.ticket(t, ref)
		if detail["status"] != "closed" {
			t.Errorf("status = %v", detail["status"])
		}
		closedAt, _ := time.Parse(time.RFC3339, detail["closed_at"].(string))
		if d := time.Since(closedAt); d < 39*24*time.Hour || d > 41*24*time.Hour {
			t.Errorf("closed_at = %v, want the issue's closed_at", closedAt)
		}
		var sources []string
		for _, m := range detail["messages"].([]any) {
			m := m.(map[string]any)
			sources = append(sources, fmt.Sprintf("%s/%s", m["direction"], m["source"]))
		}
		if strings.Join(sources, " ") != "inbound/widget outbound/github inbound/portal" {
			t.Errorf("timeline = %v (portico's own comment must not become a note)", sources)
		}
		if n := len(g.gh.Issues()); n != 1 {
			t.Errorf("%d issues", n)
		}
	})
}

// TestGitHubWebhookAuth checks the signature, duplicates, ping and what is
// ignored.
func TestGitHubWebhookAuth(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	ref := fileTicket(t, g.App, ticketBody("auth@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)
	d, _ := g.gh.Comment(issue.Number, "grace", "OWNER", "just a note")

	post := func(body string, header map[string]string) response {
		return do(t, g.App, req{method: "POST", path: "/github/webhook", body: body, header: header})
	}
	unsigned := d.Header("")
	if r := post(string(d.Body), unsigned); r.Status != 401 {
		t.Errorf("no signature: %d", r.Status)
	}
	wrong := d.Header("another-secret")
	if r := post(string(d.Body), wrong); r.Status != 401 {
		t.Errorf("wrong secret: %d", r.Status)
	}
	right := d.Header(ghSecret)
	if r := post(string(d.Body)+" ", right); r.Status != 401 {
		t.Errorf("body changed after signing: %d", r.Status)
	}
	garbled := d.Header(ghSecret)
	garbled["X-Hub-Signature-256"] = strings.Replace(garbled["X-Hub-Signature-256"], "sha256=", "sha1=", 1)
	if r := post(string(d.Body), garbled); r.Status != 401 {
		t.Errorf("sha1 signature: %d", r.Status)
	}
	if r := post(string(d.Body), right); r.Status != 200 || r.json(t)["outcome"] != "queued" {
		t.Errorf("signed: %d %s", r.Status, r.Body)
	}
	if r := post(string(d.Body), right); r.Status != 200 || r.json(t)["outcome"] != "duplicate" {
		t.Errorf("same delivery again: %d %s", r.Status, r.Body)
	}
	// The same comment in a new delivery (a redelivery with another id)
	// still makes one note.
	again := d
	again.ID += "-again"
	if r := g.deliver(t, again); r.Status != 200 {
		t.Errorf("another delivery of the comment: %d", r.Status)
	}
	githubtest.Wait(t, "the note", 20*time.Second, func() bool {
		return len(g.ticket(t, ref)["messages"].([]any)) == 2
	})
	settle()
	if n := len(g.ticket(t, ref)["messages"].([]any)); n != 2 {
		t.Errorf("%d messages after two deliveries of one comment, want 2", n)
	}

	ping := githubtest.Delivery{Event: "ping", ID: "ping-1", Body: []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)}
	if r := g.deliver(t, ping); r.Status != 200 {
		t.Errorf("ping: %d %s", r.Status, r.Body)
	}
	if r := post(`{"zen":"x"}`, githubtest.Delivery{Event: "ping", ID: "ping-2", Body: []byte(`{"zen":"x"}`)}.Header("")); r.Status != 401 {
		t.Errorf("unsigned ping: %d", r.Status)
	}
	bad := githubtest.Delivery{Event: "issue_comment", ID: "bad-1", Body: []byte(`not json`)}
	if r := g.deliver(t, bad); r.Status != 400 {
		t.Errorf("unparsable payload: %d", r.Status)
	}
	for name, body := range map[string]string{
		"pull request comment": strings.Replace(string(d.Body), `"issue":{`, `"issue":{"pull_request":{"url":"https://api.github.com/repos/acme/support/pulls/1"},`, 1),
		"other repository":     strings.ReplaceAll(string(d.Body), `"full_name":"acme/support"`, `"full_name":"acme/other"`),
		"edited comment":       strings.Replace(string(d.Body), `"action":"created"`, `"action":"edited"`, 1),
	} {
		dd := githubtest.Delivery{Event: "issue_comment", ID: "ignored-" + strings.ReplaceAll(name, " ", "-"), Body: []byte(body)}
		if r := g.deliver(t, dd); r.Status != 200 || r.json(t)["outcome"] != "ignored" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	push := githubtest.Delivery{Event: "push", ID: "push-1", Body: []byte(`{"ref":"refs/heads/main"}`)}
	if r := g.deliver(t, push); r.Status != 200 || r.json(t)["outcome"] != "ignored" {
		t.Errorf("push: %d %s", r.Status, r.Body)
	}

	// Without a secret nothing is accepted, not even a ping.
	noSecret := startGitHubApp(t, store.SQLite, func(v map[string]string) { delete(v, "PORTICO_GITHUB_WEBHOOK_SECRET") })
	for _, dd := range []githubtest.Delivery{d, ping} {
		if r := noSecret.deliver(t, dd); r.Status != 401 {
			t.Errorf("no secret configured, %s: %d", dd.Event, r.Status)
		}
	}
}

// TestGitHubCommands runs each command and what is not one, on both
// databases.
func TestGitHubCommands(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		g.gh.SetFile(".github/portico/replies/welcome.md",
			"Hello {{customer_name}} ({{ customer_email }}),\n\nthis is about *{{issue_title}}* (#{{issue_number}}, {{issue_url}}). {{unknown}}\n")
		ref := fileTicket(t, g.App, `{"email":"cmd@example.com","name":"Carla","subject":"Refund","description":"Please refund."}`).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		issue := g.issueFor(t, ref)
		path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
		mails := 1
		nextMails := func(n int) []mailtest.Received {
			t.Helper()
			mails += n
			return g.mail.Wait(mails, 20*time.Second)[mails-n:]
		}
		reacted := func(commentID int64) bool {
			for _, re := range g.gh.Reactions() {
				if re.CommentID == commentID && re.Content == "rocket" {
					return true
				}
			}
			return false
		}

		// /reply with a canned reply from the repository.
		dl, c1 := g.gh.Comment(issue.Number, "grace", "COLLABORATOR", "/reply welcome")
		g.deliverQueued(t, dl)
		env := nextMails(1)[0].Envelope(t)
		want := fmt.Sprintf("Hello Carla (cmd@example.com),\n\nthis is about *[%s] Refund* (#%d, https://github.com/acme/support/issues/%d). {{unknown}}", ref, issue.Number, issue.Number)
		if !strings.Contains(strings.ReplaceAll(env.Text, "\r\n", "\n"), want) {
			t.Errorf("/reply text:\n%s\nwant it to contain:\n%s", env.Text, want)
		}
		if !strings.Contains(env.HTML, "<em>["+ref+"] Refund</em>") {
			t.Errorf("/reply HTML:\n%s", env.HTML)
		}
		githubtest.Wait(t, "🚀 on /reply", 20*time.Second, func() bool { return reacted(c1) })

		// /sendall goes to the customer and every participant.
		addParticipant(t, g, id, "boss@example.com", "Boss")
		dl, c2 := g.gh.Comment(issue.Number, "grace", "OWNER", "/sendall\nWe are on it, everyone.")
		g.deliverQueued(t, dl)
		got := nextMails(2)
		if mailTo(t, got, "cmd@example.com") == nil || mailTo(t, got, "boss@example.com") == nil {
			t.Errorf("/sendall went to %v and %v", got[0].To, got[1].To)
		}
		githubtest.Wait(t, "🚀 on /sendall", 20*time.Second, func() bool { return reacted(c2) })

		// An unknown canned reply: nothing sent, a comment explains.
		dl, c3 := g.gh.Comment(issue.Number, "grace", "MEMBER", "/reply nope")
		g.deliverQueued(t, dl)
		notice := g.ownComments(t, issue.Number, 1)[0]
		if !strings.Contains(notice.Body, "no canned reply `nope`") || !strings.Contains(notice.Body, ".github/portico/replies/nope.md") ||
			!strings.HasPrefix(notice.Body, fmt.Sprintf("<!-- portico:notice=%d -->", c3)) {
			t.Errorf("notice:\n%s", notice.Body)
		}
		// Its webhook comes back and is ignored.
		g.deliverQueued(t, g.gh.Echo(notice.ID))

		// Other comments are internal notes: never mailed, never on the portal.
		dl, c4 := g.gh.Comment(issue.Number, "grace", "MEMBER", "INTERNAL: refund approved by finance")
		g.deliverQueued(t, dl)
		// A command by someone outside the project is a note too.
		dl, c5 := g.gh.Comment(issue.Number, "stranger", "NONE", "/send give me everyone's data")
		g.deliverQueued(t, dl)
		dl, _ = g.gh.Comment(issue.Number, "contrib", "CONTRIBUTOR", "/sendall me too")
		g.deliverQueued(t, dl)
		// An org member with read access only (GitHub calls them MEMBER all
		// the same) cannot speak to customers either.
		g.gh.SetPermission("reader", "read")
		dl, c6 := g.gh.Comment(issue.Number, "reader", "MEMBER", "/send read-only says hi")
		g.deliverQueued(t, dl)
		githubtest.Wait(t, "four notes", 20*time.Second, func() bool {
			n := 0
			for _, m := range g.ticket(t, ref)["messages"].([]any) {
				if m.(map[string]any)["direction"] == "internal" {
					n++
				}
			}
			return n == 4
		})
		settle()
		if n := len(g.mail.Received()); n != mails {
			t.Errorf("%d mails, want %d: notes and failed commands must not mail", n, mails)
		}
		for _, c := range []int64{c3, c4, c5, c6} {
			if reacted(c) {
				t.Errorf("comment %d got a 🚀", c)
			}
		}
		if n := len(g.ownComments(t, issue.Number, 1)); n != 1 {
			t.Errorf("%d comments by portico, want the one notice", n)
		}
		page := string(do(t, g.App, req{method: "GET", path: path}).Body)
		for _, bad := range []string{"INTERNAL", "give me everyone", "me too", "read-only says hi", "no canned reply"} {
			if strings.Contains(page, bad) {
				t.Errorf("the portal shows %q", bad)
			}
		}
		if !strings.Contains(page, "Hello Carla") || !strings.Contains(page, "We are on it, everyone.") {
			t.Errorf("the portal lacks the replies sent:\n%s", page)
		}

		// /send on a ticket without a customer email: a comment explains.
		r := fileTicket(t, g.App, `{"requester_id":7,"requester_signature":"`+sign("7")+`","subject":"No mail","description":"d"}`)
		noMail := g.issueFor(t, r.json(t)["reference"].(string))
		if !strings.Contains(noMail.Body, "host-app user 7") {
			t.Errorf("issue body without contact:\n%s", noMail.Body)
		}
		dl, _ = g.gh.Comment(noMail.Number, "grace", "MEMBER", "/send hello?")
		g.deliverQueued(t, dl)
		if body := g.ownComments(t, noMail.Number, 1)[0].Body; !strings.Contains(body, "no customer email") {
			t.Errorf("notice:\n%s", body)
		}
		// /send with nothing under it.
		dl, _ = g.gh.Comment(issue.Number, "grace", "MEMBER", "/send")
		g.deliverQueued(t, dl)
		if body := g.ownComments(t, issue.Number, 2)[1].Body; !strings.Contains(body, "write the reply under the `/send` line") {
			t.Errorf("notice:\n%s", body)
		}
		settle()
		if n := len(g.mail.Received()); n != mails {
			t.Errorf("%d mails, want %d", n, mails)
		}
	})
}

// addParticipant records a /sendall participant the way inbound mail does.
func addParticipant(t *testing.T, g ghApp, ticketID int64, email, name string) {
	t.Helper()
	s := dbtest.OpenDSN(t, g.d, strings.TrimPrefix(g.dsn, "sqlite://"), nil)
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.AddParticipant(ctx, ticketID, email, name) }); err != nil {
		t.Fatal(err)
	}
}

// TestGitHubCloseReopen: closed 40 days ago → 410; reopened → 200; a close
// that arrives after a newer reopen changes nothing.
func TestGitHubCloseReopen(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	ref := fileTicket(t, g.App, ticketBody("close@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)
	path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)

	closed := g.gh.SetState(issue.Number, true, time.Now().Add(-40*24*time.Hour))
	g.deliverQueued(t, closed)
	waitStatus(t, g.App, path, 410)
	reopened := g.gh.SetState(issue.Number, false, time.Time{})
	g.deliverQueued(t, reopened)
	waitStatus(t, g.App, path, 200)
	if detail := g.ticket(t, ref); detail["status"] != "open" || detail["closed_at"] != nil {
		t.Errorf("after reopen: status %v closed_at %v", detail["status"], detail["closed_at"])
	}
	// Closed an hour ago: still within retention.
	g.deliverQueued(t, g.gh.SetState(issue.Number, true, time.Now().Add(-time.Hour)))
	githubtest.Wait(t, "closed", 20*time.Second, func() bool { return g.ticket(t, ref)["status"] == "closed" })
	if r := do(t, g.App, req{method: "GET", path: path}); r.Status != 200 {
		t.Errorf("closed an hour ago: %d", r.Status)
	}
	// Out of order: the reopen (newer) is handled before a stale close.
	newer := g.gh.SetState(issue.Number, false, time.Time{})
	g.deliverQueued(t, newer)
	githubtest.Wait(t, "reopened", 20*time.Second, func() bool { return g.ticket(t, ref)["status"] == "open" })
	stale := closed
	stale.ID += "-late"
	g.deliverQueued(t, stale)
	settle()
	if st := g.ticket(t, ref)["status"]; st != "open" {
		t.Errorf("a stale close was applied: status %v", st)
	}
}

// TestGitHubExactlyOnce: GitHub answers 502 after opening the issue (or
// the comment), then 201: one issue and one comment all the same.
func TestGitHubExactlyOnce(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	// A 502 before anything happened: the retry opens the issue.
	g.gh.Fail(githubtest.RouteCreateIssue, githubtest.BadGateway(false))
	first := fileTicket(t, g.App, ticketBody("first@example.com")).json(t)["reference"].(string)
	g.issueFor(t, first)
	if calls := g.gh.Calls(githubtest.RouteCreateIssue); len(calls) != 2 || calls[0].Status != 502 || calls[1].Status != 201 {
		t.Fatalf("create calls: %+v", calls)
	}
	g.mail.Wait(1, 20*time.Second)

	// A 502 after GitHub opened the issue: the retry finds it by its marker.
	g.gh.Fail(githubtest.RouteCreateIssue, githubtest.BadGateway(true))
	ref := fileTicket(t, g.App, ticketBody("once@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)
	settle()
	if n := len(g.gh.Issues()); n != 2 {
		t.Fatalf("%d issues for two tickets after two 502s, want 2", n)
	}
	if n := len(g.gh.Calls(githubtest.RouteCreateIssue)); n != 3 {
		t.Errorf("%d create calls: the retry should have found the issue the 502 opened", n)
	}
	if n := len(g.gh.Calls(githubtest.RouteListIssues)); n == 0 {
		t.Error("the retry did not look for the issue")
	}

	path := portalPath(t, mailTo(t, g.mail.Wait(2, 20*time.Second), "once@example.com").Envelope(t).Text)
	g.gh.Fail(githubtest.RouteCreateComment, githubtest.BadGateway(true))
	if res := form(t, g.App, path+"/replies", url.Values{"body": {"hello once"}}); res.Status != 303 {
		t.Fatalf("portal reply: %d", res.Status)
	}
	g.ownComments(t, issue.Number, 1)
	// Wait for the post to be recorded, then for any duplicate.
	githubtest.Wait(t, "the retry", 20*time.Second, func() bool { return len(g.gh.Calls(githubtest.RouteListComments)) > 0 })
	settle()
	if n := len(g.ownComments(t, issue.Number, 1)); n != 1 {
		t.Errorf("%d comments after a 502, want 1", n)
	}
}

// TestGitHubRateLimits: a primary limit (403, X-RateLimit-Remaining: 0)
// snoozes the job until X-RateLimit-Reset; a secondary one (Retry-After)
// for that many seconds. Nothing is lost or doubled.
func TestGitHubRateLimits(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	reset := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	g.gh.Fail(githubtest.RouteCreateIssue, githubtest.PrimaryRateLimit(reset))
	ref := fileTicket(t, g.App, ticketBody("limit@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)
	calls := g.gh.Calls(githubtest.RouteCreateIssue)
	if len(calls) != 2 || calls[0].Status != 403 || calls[1].Status != 201 {
		t.Fatalf("create calls: %+v", calls)
	}
	if calls[1].At.Before(reset) {
		t.Errorf("retried at %v, before the reset at %v", calls[1].At, reset)
	}
	if n := len(g.gh.Issues()); n != 1 {
		t.Errorf("%d issues", n)
	}

	path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	g.gh.Fail(githubtest.RouteCreateComment, githubtest.SecondaryRateLimit(403, 2))
	g.gh.Fail(githubtest.RouteCreateComment, githubtest.SecondaryRateLimit(429, 1))
	if res := form(t, g.App, path+"/replies", url.Values{"body": {"rate limited"}}); res.Status != 303 {
		t.Fatalf("portal reply: %d", res.Status)
	}
	g.ownComments(t, issue.Number, 1)
	cc := g.gh.Calls(githubtest.RouteCreateComment)
	if len(cc) != 3 || cc[0].Status != 403 || cc[1].Status != 429 || cc[2].Status != 201 {
		t.Fatalf("comment calls: %+v", cc)
	}
	if gap := cc[1].At.Sub(cc[0].At); gap < 2*time.Second {
		t.Errorf("retried %v after Retry-After: 2", gap)
	}
	if gap := cc[2].At.Sub(cc[1].At); gap < time.Second {
		t.Errorf("retried %v after Retry-After: 1", gap)
	}
}

// TestGitHubSyncOff: without a repository nothing reaches GitHub and the
// rest works.
func TestGitHubSyncOff(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite, func(v map[string]string) { delete(v, "PORTICO_GITHUB_REPOSITORY") })
	ref := fileTicket(t, g.App, ticketBody("off@example.com")).json(t)["reference"].(string)
	path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	if res := form(t, g.App, path+"/replies", url.Values{"body": {"hello"}}); res.Status != 303 {
		t.Fatalf("portal reply: %d", res.Status)
	}
	// A signed webhook is answered, and ignored.
	is := g.gh.OpenIssue("["+ref+"] not ours", "")
	d, _ := g.gh.Comment(is.Number, "grace", "OWNER", "/send hi")
	if r := g.deliver(t, d); r.Status != 200 || r.json(t)["outcome"] != "ignored" {
		t.Errorf("webhook with sync off: %d %s", r.Status, r.Body)
	}
	settle()
	if calls := g.gh.Calls(""); len(calls) != 0 {
		t.Errorf("GitHub was called with the sync off: %+v", calls)
	}
	if n := g.ticket(t, ref)["github_issue_number"]; n != nil {
		t.Errorf("github_issue_number = %v", n)
	}
}
