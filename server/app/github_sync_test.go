package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/github"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

// Issue 16: the issue's state follows the ticket's, and tickets without an
// issue get one from the backfill.

// stateEvents counts the ticket.closed and ticket.reopened events an app
// publishes, per ticket.
type stateEvents struct {
	mu     sync.Mutex
	counts map[string]int // "closed:12", "reopened:12"
}

func countStateEvents(a *app.App) *stateEvents {
	c := &stateEvents{counts: map[string]int{}}
	for _, kind := range []string{events.TicketClosed, events.TicketReopened} {
		a.Bus().Subscribe(kind, func(ctx context.Context, e events.Event) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.counts[fmt.Sprintf("%s:%d", strings.TrimPrefix(e.Kind, "ticket."), e.TicketID)]++
			return nil
		})
	}
	return c
}

func (c *stateEvents) n(kind string, ticketID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[fmt.Sprintf("%s:%d", kind, ticketID)]
}

// statePatches are the PATCH calls that set issue n's state, their bodies
// decoded.
func statePatches(g *githubtest.Server, n int64) []map[string]string {
	var out []map[string]string
	for _, c := range g.Calls(githubtest.RouteEditIssue) {
		var body map[string]string
		if c.Path == fmt.Sprintf("/repos/%s/issues/%d", g.Repository(), n) && json.Unmarshal([]byte(c.Body), &body) == nil && body["state"] != "" {
			out = append(out, body)
		}
	}
	return out
}

func closedAt(t *testing.T, detail map[string]any) time.Time {
	t.Helper()
	s, ok := detail["closed_at"].(string)
	if !ok {
		t.Fatalf("closed_at = %v", detail["closed_at"])
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestGitHubCloseFromPortico: a workflow's close and an admin's close close
// the issue (state_reason completed); GitHub's webhook echoing that changes
// nothing (no second ticket.closed, no mail, closed_at kept); an issue
// closed on GitHub closes the ticket and is not PATCHed back.
func TestGitHubCloseFromPortico(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		seen := countStateEvents(g.App)
		wfCreate(t, g.App, wfRule("Close spam", "ticket.created", `{"all":[{"field":"subject","operator":"contains","value":"spam"}]}`,
			`[{"type":"close"}]`))

		closedOnGitHub := func(n int64) {
			t.Helper()
			githubtest.Wait(t, fmt.Sprintf("#%d closed", n), 20*time.Second, func() bool { return g.gh.Issue(n).State == "closed" })
			is := g.gh.Issue(n)
			if is.StateReason != "completed" {
				t.Errorf("#%d state_reason = %q", n, is.StateReason)
			}
			if p := statePatches(g.gh, n); len(p) != 1 || p[0]["state"] != "closed" || p[0]["state_reason"] != "completed" {
				t.Errorf("#%d state PATCHes: %v", n, p)
			}
		}
		echoChangesNothing := func(ref string, n int64) {
			t.Helper()
			id := ticketIDOf(t, ref)
			before := closedAt(t, g.ticket(t, ref))
			mails := len(g.mail.Received())
			g.deliverQueued(t, g.gh.StateEcho(n))
			settle()
			detail := g.ticket(t, ref)
			if detail["status"] != "closed" || !closedAt(t, detail).Equal(before) {
				t.Errorf("%s after the echo: %v, closed_at %v (was %v)", ref, detail["status"], detail["closed_at"], before)
			}
			if c := seen.n("closed", id); c != 1 {
				t.Errorf("%s: %d ticket.closed events, want 1", ref, c)
			}
			// The close's own event was published before the PATCH it
			// caused, so a second one would have been counted by now.
			if r := seen.n("reopened", id); r != 0 {
				t.Errorf("%s: %d ticket.reopened events", ref, r)
			}
			if got := len(g.mail.Received()); got != mails {
				t.Errorf("%d mails after the echo, want %d", got, mails)
			}
			if p := statePatches(g.gh, n); len(p) != 1 {
				t.Errorf("#%d: %d state PATCHes after the echo, want 1", n, len(p))
			}
		}

		// A workflow closes the ticket as it is filed, before its issue
		// exists: the close waits for the issue.
		spam := fileTicket(t, g.App, `{"email":"spam@example.com","subject":"cheap spam offer","description":"Buy now."}`).json(t)["reference"].(string)
		spamIssue := g.issueFor(t, spam)
		closedOnGitHub(spamIssue.Number)
		echoChangesNothing(spam, spamIssue.Number)

		// An admin closes a ticket.
		ref := fileTicket(t, g.App, ticketBody("admin-close@example.com")).json(t)["reference"].(string)
		issue := g.issueFor(t, ref)
		if r := do(t, g.App, req{method: "POST", path: "/support/admin/tickets/" + ref + "/close", header: bearer()}); r.Status != 200 {
			t.Fatalf("admin close: %d %s", r.Status, r.Body)
		}
		closedOnGitHub(issue.Number)
		echoChangesNothing(ref, issue.Number)
		// The echo delivered again (a redelivery with a new id) is no
		// change either.
		g.deliverQueued(t, g.gh.StateEcho(issue.Number))

		// An agent closes an issue on GitHub: the ticket closes, and nothing
		// goes back to GitHub.
		agent := fileTicket(t, g.App, ticketBody("agent-close@example.com")).json(t)["reference"].(string)
		agentIssue := g.issueFor(t, agent)
		g.deliverQueued(t, g.gh.SetState(agentIssue.Number, true, time.Now()))
		githubtest.Wait(t, agent+" closed", 20*time.Second, func() bool { return g.ticket(t, agent)["status"] == "closed" })
		settle()
		if p := statePatches(g.gh, agentIssue.Number); len(p) != 0 {
			t.Errorf("an issue closed on GitHub was PATCHed: %v", p)
		}
		if c := seen.n("closed", ticketIDOf(t, agent)); c != 1 {
			t.Errorf("%d ticket.closed events for %s", c, agent)
		}
	})
}

// TestGitHubReopenByCustomer: a customer's reply by portal, then by mail,
// on a closed ticket reopens the ticket and the issue and says so on the
// issue; the echo of the reopen changes nothing; each close by an agent
// afterwards starts the retention clock anew.
func TestGitHubReopenByCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d, func(v map[string]string) { v["PORTICO_POSTMARK_BASIC_AUTH"] = postmarkAuth })
		seen := countStateEvents(g.App)
		ref := fileTicket(t, g.App, ticketBody("reopen@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		issue := g.issueFor(t, ref)
		path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)

		agentCloses := func(at time.Time) {
			t.Helper()
			g.deliverQueued(t, g.gh.SetState(issue.Number, true, at))
			githubtest.Wait(t, ref+" closed", 20*time.Second, func() bool { return g.ticket(t, ref)["status"] == "closed" })
			if got := closedAt(t, g.ticket(t, ref)); !got.Equal(at.UTC().Truncate(time.Second)) {
				t.Errorf("closed_at = %v, want the issue's %v", got, at)
			}
		}
		reopened := func(n int, how string) {
			t.Helper()
			githubtest.Wait(t, ref+" reopened", 20*time.Second, func() bool { return g.ticket(t, ref)["status"] == "open" })
			if at := g.ticket(t, ref)["closed_at"]; at != nil {
				t.Errorf("closed_at = %v after the reopen", at)
			}
			githubtest.Wait(t, fmt.Sprintf("#%d reopened", issue.Number), 20*time.Second, func() bool { return g.gh.Issue(issue.Number).State == "open" })
			var notices []string
			githubtest.Wait(t, "the reopen notice", 20*time.Second, func() bool {
				notices = notices[:0]
				for _, c := range g.ownComments(t, issue.Number, 1) {
					if strings.Contains(c.Body, "🔓 **Reopened:**") {
						notices = append(notices, c.Body)
					}
				}
				return len(notices) >= n
			})
			want := "🔓 **Reopened:** Ada Lovelace <reopen@example.com> replied via " + how + "."
			if !strings.HasPrefix(notices[n-1], "<!-- portico:reopen=") || !strings.HasSuffix(notices[n-1], want) {
				t.Errorf("reopen notice:\n%s\nwant it to end with %q", notices[n-1], want)
			}
			// GitHub's webhook for that reopen changes nothing.
			g.deliverQueued(t, g.gh.StateEcho(issue.Number))
			settle()
			if r := seen.n("reopened", id); r != n {
				t.Errorf("%d ticket.reopened events, want %d", r, n)
			}
			if p := statePatches(g.gh, issue.Number); len(p) != n || p[n-1]["state"] != "open" {
				t.Errorf("state PATCHes: %v", p)
			}
		}

		firstClose := time.Now().Add(-2 * time.Hour)
		agentCloses(firstClose)
		if res := form(t, g.App, path+"/replies", url.Values{"body": {"It broke again."}}); res.Status != 303 {
			t.Fatalf("portal reply: %d %s", res.Status, res.Body)
		}
		reopened(1, "portal")

		secondClose := time.Now().Add(-time.Hour)
		agentCloses(secondClose)
		r := postmark(t, g.App, pm{From: "reopen@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
			Subject: "Re: [" + ref + "] Cannot log in", Text: "And once more.", MessageID: "<again-" + dbtest.Name() + "@example.com>"})
		if out, _ := outcome(t, r); out != "appended" {
			t.Fatalf("mail reply: %s", r.Body)
		}
		reopened(2, "email")

		agentCloses(time.Now())
		githubtest.Wait(t, "three ticket.closed events", 20*time.Second, func() bool { return seen.n("closed", id) == 3 })
		// The mirrored replies are there too, in order.
		var replies []string
		for _, c := range g.ownComments(t, issue.Number, 4) {
			replies = append(replies, strings.SplitN(c.Body, "\n", 2)[1][:10])
		}
		if got := strings.Join(replies, " | "); !strings.Contains(got, "📨 Reply") || !strings.Contains(got, "📧 Reply") {
			t.Errorf("comments: %s", got)
		}
	})
}

// backfillEnv is a test's database and mail, shared by the runs of
// portico in a backfill scenario.
type backfillEnv struct {
	d    store.Dialect
	vars map[string]string
	mail *mailtest.Server
	gh   *githubtest.Server
}

// run starts portico on the scenario's database, synced to the fake when
// synced; stop stops it.
func (e backfillEnv) run(t *testing.T, synced bool) (a *app.App, stop func()) {
	t.Helper()
	vars := e.appVars(synced)
	a = newApp(t, vars, app.Deps{JobRetryPolicy: fastRetry{}})
	return a, wfServe(t, a)
}

func (e backfillEnv) appVars(synced bool) map[string]string {
	vars := map[string]string{}
	for k, v := range e.vars {
		vars[k] = v
	}
	if synced {
		vars["PORTICO_GITHUB_REPOSITORY"] = e.gh.Repository()
		vars["PORTICO_GITHUB_TOKEN"] = e.gh.Token
		vars["PORTICO_GITHUB_API_URL"] = e.gh.URL()
		vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	}
	return vars
}

// command runs `portico github backfill` (app.Backfill) and returns what it
// printed.
func (e backfillEnv) command(t *testing.T, o github.BackfillOptions) string {
	t.Helper()
	vars := e.appVars(true)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	deps := app.Deps{Logger: slog.New(slog.DiscardHandler), Migrations: dbtest.Migrations(t), JobRetryPolicy: fastRetry{}, JobPollInterval: 20 * time.Millisecond}
	if err := app.Backfill(ctx, cfg, deps, &out, o); err != nil {
		t.Fatalf("backfill command: %v\n%s", err, out.String())
	}
	return out.String()
}

func commentBodies(g *githubtest.Server, n int64) []string {
	var out []string
	for _, c := range g.Comments(n) {
		out = append(out, c.Body)
	}
	return out
}

func issueOf(t *testing.T, g *githubtest.Server, ref string) githubtest.Issue {
	t.Helper()
	var found []githubtest.Issue
	for _, is := range g.Issues() {
		if strings.HasPrefix(is.Title, "["+ref+"] ") {
			found = append(found, is)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d issues for %s", len(found), ref)
	}
	return found[0]
}

// TestGitHubBackfill: tickets filed while the sync was off, and one whose
// issue job gave up, get their issues and their replies as comments, in
// order, through the admin API and the command; a rate limit delays them;
// running it again creates nothing; an erased ticket is never backfilled.
func TestGitHubBackfill(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := backfillEnv{d: d, vars: env(t, d), mail: mailtest.Start(t), gh: githubtest.Start(t, "acme/support")}
		e.vars["PORTICO_MAIL_URL"] = e.mail.URL()
		e.vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
		e.vars["PORTICO_POSTMARK_BASIC_AUTH"] = postmarkAuth
		portal := func(email string) string {
			t.Helper()
			var m *mailtest.Received
			githubtest.Wait(t, "the confirmation to "+email, 20*time.Second, func() bool {
				m = mailTo(t, e.mail.Received(), email)
				return m != nil
			})
			return portalPath(t, m.Envelope(t).Text)
		}

		// The sync is off: two tickets with replies (one closed), one erased.
		off, stopOff := e.run(t, false)
		t1 := fileTicket(t, off, ticketBody("one@example.com")).json(t)["reference"].(string)
		t2 := fileTicket(t, off, ticketBody("two@example.com")).json(t)["reference"].(string)
		t4 := fileTicket(t, off, ticketBody("erase-me@example.com")).json(t)["reference"].(string)
		p1 := portal("one@example.com")
		// Every ticket.created is out before the sync comes on (see
		// TestGitHubBackfillRace).
		portal("two@example.com")
		portal("erase-me@example.com")
		for _, text := range []string{"First reply.", "Second reply."} {
			if r := form(t, off, p1+"/replies", url.Values{"body": {text}}); r.Status != 303 {
				t.Fatalf("portal reply: %d", r.Status)
			}
		}
		r := postmark(t, off, pm{From: "two@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
			Subject: "Re: [" + t2 + "] Cannot log in", Text: "Mailed reply.", MessageID: "<two-" + dbtest.Name() + "@example.com>"})
		if out, _ := outcome(t, r); out != "appended" {
			t.Fatalf("mail reply: %s", r.Body)
		}
		if r := do(t, off, req{method: "POST", path: "/support/admin/tickets/" + t2 + "/close", header: bearer()}); r.Status != 200 {
			t.Fatalf("close: %d", r.Status)
		}
		t2Closed := closedAt(t, do(t, off, req{method: "GET", path: "/support/admin/tickets/" + t2, header: bearer()}).json(t))
		if r := do(t, off, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contactOf(t, off, t4)), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		// Backfilling with the sync off is refused, and says why.
		if r := do(t, off, req{method: "POST", path: "/support/admin/api/github/backfill", header: bearer()}); r.Status != 409 ||
			!strings.Contains(r.json(t)["error"].(string), "PORTICO_GITHUB_REPOSITORY") {
			t.Errorf("backfill with the sync off: %d %s", r.Status, r.Body)
		}
		st := do(t, off, req{method: "GET", path: "/support/admin/api/github/backfill", header: bearer()}).json(t)
		if st["enabled"] != false || st["missing"] != 2.0 || st["erased"] != 1.0 {
			t.Errorf("status with the sync off: %v", st)
		}
		stopOff()

		// The sync is on; a ticket's issue job gives up.
		on, _ := e.run(t, true)
		g := ghApp{mailApp: mailApp{App: on, mail: e.mail}, gh: e.gh, d: d}
		for range 100 {
			e.gh.Fail(githubtest.RouteCreateIssue, githubtest.BadGateway(false))
		}
		t3 := fileTicket(t, on, ticketBody("three@example.com")).json(t)["reference"].(string)
		githubtest.Wait(t, "the issue job to fail", 20*time.Second, func() bool { return len(e.gh.Calls(githubtest.RouteCreateIssue)) > 0 })
		if r := form(t, on, portal("three@example.com")+"/replies", url.Values{"body": {"Hello? Anyone?"}}); r.Status != 303 {
			t.Fatalf("portal reply: %d", r.Status)
		}
		discardIssueJobs(t, e)
		e.gh.ClearFaults(githubtest.RouteCreateIssue)
		if n := len(e.gh.Issues()); n != 0 {
			t.Fatalf("%d issues before the backfill", n)
		}
		st = do(t, on, req{method: "GET", path: "/support/admin/api/github/backfill", header: bearer()}).json(t)
		if st["enabled"] != true || st["missing"] != 3.0 || st["in_progress"] != 0.0 || st["erased"] != 1.0 {
			t.Errorf("status: %v", st)
		}

		// The admin API: the oldest ticket first.
		r = do(t, on, req{method: "POST", path: "/support/admin/api/github/backfill", body: `{"limit":1}`, header: bearer()})
		if r.Status != 200 {
			t.Fatalf("backfill: %d %s", r.Status, r.Body)
		}
		res := r.json(t)
		if res["queued"] != 1.0 || res["comments"] != 2.0 || res["left"] != 2.0 || res["erased"] != 1.0 ||
			res["tickets"].([]any)[0].(map[string]any)["reference"] != t1 {
			t.Errorf("backfill answer: %s", r.Body)
		}
		i1 := g.issueFor(t, t1)
		g.ownComments(t, i1.Number, 2)
		if got := commentBodies(e.gh, i1.Number); len(got) != 2 || !strings.Contains(got[0], "> First reply.") || !strings.Contains(got[1], "> Second reply.") {
			t.Errorf("%s comments: %q", t1, got)
		}
		if !strings.Contains(i1.Body, "> The button does nothing.") || i1.State != "open" {
			t.Errorf("%s issue: %+v", t1, i1)
		}

		// The command does the rest, through a rate limit.
		e.gh.Fail(githubtest.RouteCreateComment, githubtest.SecondaryRateLimit(429, 1))
		out := e.command(t, github.BackfillOptions{})
		for _, want := range []string{"queued " + t2 + ": issue and 1 comment, then closed", "queued " + t3 + ": issue and 1 comment",
			"2 tickets queued (2 comments); 0 already under way; 1 erased", "done " + t2 + ": issue #", "done " + t3 + ": issue #", "backfill done"} {
			if !strings.Contains(out, want) {
				t.Errorf("the command printed:\n%s\nwant %q", out, want)
			}
		}
		// The comment that met the rate limit went out once, after
		// Retry-After.
		var limited, retried []githubtest.Call
		for _, c := range e.gh.Calls(githubtest.RouteCreateComment) {
			switch {
			case c.Status == 429:
				limited = append(limited, c)
			case len(limited) == 1 && c.Body == limited[0].Body:
				retried = append(retried, c)
			}
		}
		if len(limited) != 1 || len(retried) != 1 || retried[0].Status != 201 || retried[0].At.Sub(limited[0].At) < time.Second {
			t.Errorf("comment calls around the rate limit: %+v, then %+v", limited, retried)
		}
		i2, i3 := issueOf(t, e.gh, t2), issueOf(t, e.gh, t3)
		if got := commentBodies(e.gh, i2.Number); len(got) != 1 || !strings.Contains(got[0], "📧 Reply via email") || !strings.Contains(got[0], "> Mailed reply.") {
			t.Errorf("%s comments: %q", t2, got)
		}
		if got := commentBodies(e.gh, i3.Number); len(got) != 1 || !strings.Contains(got[0], "> Hello? Anyone?") {
			t.Errorf("%s comments: %q", t3, got)
		}
		if i2.State != "closed" || i2.StateReason != "completed" || i3.State != "open" {
			t.Errorf("states: %s %s/%s, %s %s", t2, i2.State, i2.StateReason, t3, i3.State)
		}
		// The closed issue's webhook changes nothing.
		g.deliverQueued(t, e.gh.StateEcho(i2.Number))
		settle()
		if detail := g.ticket(t, t2); detail["status"] != "closed" || !closedAt(t, detail).Equal(t2Closed) {
			t.Errorf("%s after the echo: %v %v (closed at %v)", t2, detail["status"], detail["closed_at"], t2Closed)
		}

		// Again: nothing new, by either way; the erased ticket never.
		before := len(e.gh.Calls(""))
		r = do(t, on, req{method: "POST", path: "/support/admin/api/github/backfill", header: bearer()})
		if res := r.json(t); r.Status != 200 || res["queued"] != 0.0 || res["in_progress"] != 0.0 {
			t.Errorf("second backfill: %d %s", r.Status, r.Body)
		}
		if out := e.command(t, github.BackfillOptions{}); !strings.Contains(out, "0 tickets queued") {
			t.Errorf("second command:\n%s", out)
		}
		settle()
		if n := len(e.gh.Calls("")); n != before {
			t.Errorf("%d GitHub calls after backfilling again: %+v", n-before, e.gh.Calls("")[before:])
		}
		if n := len(e.gh.Issues()); n != 3 {
			t.Errorf("%d issues, want 3 (%s erased)", n, t4)
		}
		st = do(t, on, req{method: "GET", path: "/support/admin/api/github/backfill", header: bearer()}).json(t)
		if st["missing"] != 0.0 || st["in_progress"] != 0.0 || st["erased"] != 1.0 {
			t.Errorf("status after: %v", st)
		}
	})
}

// discardIssueJobs does what River does to a job after its last attempt:
// the ticket's issue job gives up.
func discardIssueJobs(t *testing.T, e backfillEnv) {
	t.Helper()
	s := dbtest.OpenDSN(t, e.d, strings.TrimPrefix(e.vars["PORTICO_DATABASE_URL"], "sqlite://"), nil)
	ctx := context.Background()
	githubtest.Wait(t, "the issue job discarded", 20*time.Second, func() bool {
		if _, err := s.WriteDB().ExecContext(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = CURRENT_TIMESTAMP
			WHERE kind = 'github.create_issue' AND state IN ('available', 'retryable', 'scheduled')`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.WriteDB().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'github.create_issue' AND state = 'discarded'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
}

// TestGitHubBackfillRefused: the backfill routes need an admin (or a token
// with the tickets scope) and a same-origin write; bad bodies are refused
// before anything is queued; the command refuses with the sync off.
func TestGitHubBackfillRefused(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite, func(v map[string]string) { v["PORTICO_ADMIN_API_TOKEN_SCOPES"] = "settings" })
	path := "/support/admin/api/github/backfill"
	for _, c := range []struct {
		name   string
		r      req
		status int
	}{
		{"no credentials", req{method: "POST", path: path}, 401},
		{"no credentials, status", req{method: "GET", path: path}, 401},
		{"wrong token", req{method: "POST", path: path, header: map[string]string{"Authorization": "Bearer nope-nope-nope-nope"}}, 401},
		{"token without the tickets scope", req{method: "POST", path: path, header: bearer()}, 403},
		{"token without the tickets scope, status", req{method: "GET", path: path, header: bearer()}, 403},
	} {
		if r := do(t, g.App, c.r); r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
	}
	cookie := signIn(t, g.App)
	if r := do(t, g.App, req{method: "POST", path: path, header: map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}}); r.Status != 403 {
		t.Errorf("cross-site POST: %d %s", r.Status, r.Body)
	}
	admin := map[string]string{"Cookie": cookie, "Origin": testOrigin}
	for body, status := range map[string]int{`{"limit":0,"dry_run":true}`: 200, `{"limit":1000001}`: 422, `{"limit":-3}`: 422, `{"limit":"ten"}`: 400, `not json`: 400, `{"dry_run":true}`: 200} {
		r := do(t, g.App, req{method: "POST", path: path, body: body, header: admin})
		if r.Status != status {
			t.Errorf("body %s: %d %s, want %d", body, r.Status, r.Body, status)
		}
	}
	if n := len(g.gh.Calls(githubtest.RouteCreateIssue)); n != 0 {
		t.Errorf("%d issues opened by refused or dry-run backfills", n)
	}

	// A ticket on a discussion needs no issue; while new tickets go to
	// Discussions the backfill, which opens issues, is refused.
	g.gh.EnableDiscussions("Support")
	if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Support"}`); r.Status != 200 {
		t.Fatalf("set discussions: %d %s", r.Status, r.Body)
	}
	onDiscussion := fileTicket(t, g.App, ticketBody("disc@example.com")).json(t)["reference"].(string)
	g.discussionFor(t, onDiscussion)
	if r := do(t, g.App, req{method: "POST", path: path, header: admin}); r.Status != 409 || !strings.Contains(r.json(t)["error"].(string), "Discussions") {
		t.Errorf("backfill on the discussion desk: %d %s", r.Status, r.Body)
	}
	if r := g.putDesk(t, `{"desk":"issues"}`); r.Status != 200 {
		t.Fatalf("set issues: %d %s", r.Status, r.Body)
	}
	if st := do(t, g.App, req{method: "GET", path: path, header: admin}).json(t); st["missing"] != 0.0 || st["in_progress"] != 0.0 {
		t.Errorf("status with a discussion ticket: %v", st)
	}
	if r := do(t, g.App, req{method: "POST", path: path, header: admin}); r.Status != 200 || r.json(t)["queued"] != 0.0 {
		t.Errorf("backfill with a discussion ticket: %d %s", r.Status, r.Body)
	}
	settle()
	if n := len(g.gh.Calls(githubtest.RouteCreateIssue)); n != 0 {
		t.Errorf("%d issues opened for a ticket on a discussion", n)
	}

	// The command with the sync off.
	vars := env(t, store.SQLite)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = app.Backfill(context.Background(), cfg, app.Deps{Logger: slog.New(slog.DiscardHandler), Migrations: dbtest.Migrations(t)}, &out, github.BackfillOptions{})
	if err == nil || !strings.Contains(err.Error(), "PORTICO_GITHUB_REPOSITORY") {
		t.Errorf("command with the sync off: %v", err)
	}
}

// TestGitHubBackfillRace: backfills started at once (admins, the command)
// queue each ticket once, and each ticket gets one issue.
func TestGitHubBackfillRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		e := backfillEnv{d: d, vars: env(t, d), mail: mailtest.Start(t), gh: githubtest.Start(t, "acme/support")}
		e.vars["PORTICO_MAIL_URL"] = e.mail.URL()
		off, stopOff := e.run(t, false)
		var refs []string
		for i := range 4 {
			refs = append(refs, fileTicket(t, off, ticketBody(fmt.Sprintf("race%d@example.com", i))).json(t)["reference"].(string))
		}
		// Their ticket.created events are out (the confirmations went with
		// them): one still waiting when the sync comes on opens its issue
		// the usual way.
		e.mail.Wait(len(refs), 20*time.Second)
		stopOff()
		on, _ := e.run(t, true)

		const runs = 4
		answers := make([]map[string]any, runs)
		var wg sync.WaitGroup
		for i := range runs {
			wg.Go(func() {
				r := do(t, on, req{method: "POST", path: "/support/admin/api/github/backfill", header: bearer()})
				if r.Status != 200 {
					t.Errorf("backfill %d: %d %s", i, r.Status, r.Body)
					return
				}
				answers[i] = r.json(t)
			})
		}
		wg.Wait()
		queued := map[string]int{}
		for _, a := range answers {
			for _, tk := range a["tickets"].([]any) {
				queued[tk.(map[string]any)["reference"].(string)]++
			}
		}
		for _, ref := range refs {
			if queued[ref] != 1 {
				t.Errorf("%s queued %d times by %d backfills at once: %v", ref, queued[ref], runs, answers)
			}
		}
		githubtest.Wait(t, "an issue per ticket", 30*time.Second, func() bool { return len(e.gh.Issues()) >= len(refs) })
		settle()
		for _, ref := range refs {
			issueOf(t, e.gh, ref)
		}
	})
}
