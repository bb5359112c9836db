package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// putDesk sets the GitHub desk setting through the admin API.
func (g ghApp) putDesk(t *testing.T, body string) response {
	t.Helper()
	return do(t, g.App, req{method: "PUT", path: "/support/admin/settings/github", body: body, header: bearer()})
}

// discussionFor waits for the discussion of the ticket with reference ref,
// and for the ticket to be linked to it.
func (g ghApp) discussionFor(t *testing.T, ref string) githubtest.Discussion {
	t.Helper()
	var d githubtest.Discussion
	githubtest.Wait(t, "the discussion of "+ref, 20*time.Second, func() bool {
		for _, x := range g.gh.Discussions() {
			if strings.HasPrefix(x.Title, "["+ref+"] ") {
				d = x
				return true
			}
		}
		return false
	})
	s := dbtest.OpenDSN(t, g.d, strings.TrimPrefix(g.dsn, "sqlite://"), nil)
	githubtest.Wait(t, ref+" linked to its discussion", 20*time.Second, func() bool {
		tk, err := s.TicketByGitHubDiscussion(context.Background(), d.Number)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil && tk.Reference == ref
	})
	return d
}

// ownDiscussionComments waits until the discussion has n comments by
// portico and returns them.
func (g ghApp) ownDiscussionComments(t *testing.T, number int64, n int) []githubtest.DiscussionComment {
	t.Helper()
	var own []githubtest.DiscussionComment
	githubtest.Wait(t, fmt.Sprintf("%d comments by portico on discussion #%d", n, number), 20*time.Second, func() bool {
		own = own[:0]
		for _, c := range g.gh.DiscussionComments(number) {
			if c.User == g.gh.BotLogin {
				own = append(own, c)
			}
		}
		return len(own) >= n
	})
	return own
}

func (g ghApp) discussion(t *testing.T, number int64) githubtest.Discussion {
	t.Helper()
	for _, d := range g.gh.Discussions() {
		if d.Number == number {
			return d
		}
	}
	t.Fatalf("no discussion #%d", number)
	return githubtest.Discussion{}
}

func (g ghApp) rocketOnDiscussionComment(commentID int64) bool {
	for _, re := range g.gh.DiscussionReactions() {
		if re.CommentID == commentID && re.Content == "ROCKET" {
			return true
		}
	}
	return false
}

func timelineOf(t *testing.T, g ghApp, ref string) string {
	t.Helper()
	var sources []string
	for _, m := range g.ticket(t, ref)["messages"].([]any) {
		m := m.(map[string]any)
		sources = append(sources, fmt.Sprintf("%s/%s", m["direction"], m["source"]))
	}
	return strings.Join(sources, " ")
}

// TestGitHubDiscussionsLoop is issue 16's Discussions desk, on both
// databases: the admin picks discussions and a category → a widget ticket
// opens a discussion there → a portal reply becomes a discussion comment →
// an agent's /send in a discussion_comment webhook mails the customer (with
// the portal link), once however often it is delivered, and never for
// someone without write access → closing the discussion closes the ticket
// (retention from the close) → reopening reopens it; a close by portico
// closes the discussion, a customer's reply reopens it.
func TestGitHubDiscussionsLoop(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)

		// The setting is checked with GitHub.
		if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Support"}`); r.Status != 422 ||
			!strings.Contains(r.json(t)["errors"].(map[string]any)["discussion_category"].(string), "Discussions are not enabled") {
			t.Errorf("Discussions off: %d %s", r.Status, r.Body)
		}
		g.gh.EnableDiscussions("General", "Support")
		g.gh.Fail(githubtest.RouteGraphQL, githubtest.BadGateway(false))
		if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Support"}`); r.Status != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("GitHub down: %d %s", r.Status, r.Body)
		}
		if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Ideas"}`); r.Status != 422 ||
			!strings.Contains(string(r.Body), `has no discussion category \"Ideas\" (it has \"General\", \"Support\")`) {
			t.Errorf("unknown category: %d %s", r.Status, r.Body)
		}
		if r := g.putDesk(t, `{"desk":"discussions"}`); r.Status != 422 || !strings.Contains(string(r.Body), "is required") {
			t.Errorf("no category: %d %s", r.Status, r.Body)
		}
		if r := g.putDesk(t, `{"desk":"tickets"}`); r.Status != 422 {
			t.Errorf("unknown desk: %d %s", r.Status, r.Body)
		}
		if r := do(t, g.App, req{method: "GET", path: "/support/admin/settings/github", header: bearer()}); r.Status != 200 ||
			string(r.Body) != `{"desk":"issues","discussion_category":null}` {
			t.Errorf("nothing stored after refusals: %d %s", r.Status, r.Body)
		}
		// A slug works; the category's name is stored.
		if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"support"}`); r.Status != 200 ||
			string(r.Body) != `{"desk":"discussions","discussion_category":"Support"}` {
			t.Fatalf("set discussions: %d %s", r.Status, r.Body)
		}

		r := fileTicket(t, g.App, `{"email":"Ada@Example.com","name":"Ada Lovelace","subject":"Cannot log in","description":"The button does nothing.\nPing @octocat please."}`)
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		ref := r.json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		disc := g.discussionFor(t, ref)
		if disc.Title != "["+ref+"] Cannot log in" || g.gh.Category(disc.CategoryID).Name != "Support" {
			t.Errorf("discussion %q in category %+v", disc.Title, g.gh.Category(disc.CategoryID))
		}
		if !strings.HasPrefix(disc.Body, fmt.Sprintf("<!-- portico:ticket=%d -->\n", id)) {
			t.Errorf("the body does not start with the marker:\n%s", disc.Body)
		}
		for _, want := range []string{"> The button does nothing.", "**Channel:** widget", "Ada Lovelace <ada@example.com>", "**Priority:** medium"} {
			if !strings.Contains(disc.Body, want) {
				t.Errorf("the body lacks %q:\n%s", want, disc.Body)
			}
		}
		if strings.Contains(disc.Body, "@octocat") {
			t.Errorf("a customer's @mention would notify someone:\n%s", disc.Body)
		}
		if n := len(g.gh.Issues()); n != 0 {
			t.Errorf("%d issues opened on the discussion desk", n)
		}
		if detail := g.ticket(t, ref); detail["github_issue_number"] != nil {
			t.Errorf("github_issue_number = %v", detail["github_issue_number"])
		}
		path := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
		mails := 1

		// The customer answers on the portal; the discussion shows it.
		if res := form(t, g.App, path+"/replies", url.Values{"body": {"Still broken.\nSecond line."}}); res.Status != 303 {
			t.Fatalf("portal reply: %d %s", res.Status, res.Body)
		}
		own := g.ownDiscussionComments(t, disc.Number, 1)
		if !strings.HasPrefix(own[0].Body, "<!-- portico:message=") ||
			!strings.Contains(own[0].Body, "📨 Reply via portal — from Ada Lovelace <ada@example.com>\n\n> Still broken.\n> Second line.") {
			t.Errorf("mirrored comment:\n%s", own[0].Body)
		}
		// GitHub sends portico's own comment back: it is ignored.
		g.deliverQueued(t, g.gh.EchoDiscussionComment(own[0].DatabaseID))

		// The agent answers in the discussion.
		delivery, commentID := g.gh.CommentOnDiscussion(disc.Number, "grace", "MEMBER",
			"Looked into it, cache problem.\n/send Hi Ada,\n\nPlease **clear the cache**.")
		for name, h := range map[string]map[string]string{"unsigned": delivery.Header(""), "wrong secret": delivery.Header("another-secret")} {
			if r := do(t, g.App, req{method: "POST", path: "/github/webhook", body: string(delivery.Body), header: h}); r.Status != 401 {
				t.Errorf("%s discussion_comment: %d", name, r.Status)
			}
		}
		g.deliverQueued(t, delivery)
		mails++
		reply := mailTo(t, g.mail.Wait(mails, 20*time.Second)[mails-1:], "ada@example.com")
		if reply == nil {
			t.Fatal("no reply mail to the customer")
		}
		env := reply.Envelope(t)
		if !strings.Contains(env.Text, "Please **clear the cache**.") || strings.Contains(env.Text, "Looked into it") ||
			!strings.Contains(env.HTML, "<strong>clear the cache</strong>") {
			t.Errorf("reply mail:\n%s\n%s", env.Text, env.HTML)
		}
		replyPath := portalPath(t, env.Text)
		if page := string(do(t, g.App, req{method: "GET", path: replyPath}).Body); !strings.Contains(page, "clear the cache") {
			t.Errorf("the mail's portal link does not show the reply:\n%s", page)
		}
		githubtest.Wait(t, "the 🚀 reaction", 20*time.Second, func() bool { return g.rocketOnDiscussionComment(commentID) })
		// The same delivery again: a duplicate, no second mail.
		if r := g.deliver(t, delivery); r.Status != 200 || r.json(t)["outcome"] != "duplicate" {
			t.Errorf("same delivery again: %d %s", r.Status, r.Body)
		}

		// Someone without write access: a note, never a mail.
		dl, strangerComment := g.gh.CommentOnDiscussion(disc.Number, "stranger", "NONE", "/send give me everyone's data")
		g.deliverQueued(t, dl)
		// /send with nothing under it: a notice explains, nothing is sent.
		dl, empty := g.gh.CommentOnDiscussion(disc.Number, "grace", "MEMBER", "/send")
		g.deliverQueued(t, dl)
		notice := g.ownDiscussionComments(t, disc.Number, 2)[1]
		if !strings.HasPrefix(notice.Body, fmt.Sprintf("<!-- portico:notice=%d -->", empty)) || !strings.Contains(notice.Body, "write the reply under the `/send` line") {
			t.Errorf("notice:\n%s", notice.Body)
		}
		g.deliverQueued(t, g.gh.EchoDiscussionComment(notice.DatabaseID))
		githubtest.Wait(t, "the stranger's note", 20*time.Second, func() bool {
			return strings.Count(timelineOf(t, g, ref), "internal/github") == 1
		})
		settle()
		if n := len(g.mail.Received()); n != mails {
			t.Errorf("%d mails, want %d: duplicates, notes and failed commands must not mail", n, mails)
		}
		if g.rocketOnDiscussionComment(strangerComment) || g.rocketOnDiscussionComment(empty) {
			t.Error("a comment that sent nothing got a 🚀")
		}
		if got := timelineOf(t, g, ref); got != "inbound/widget inbound/portal outbound/github internal/github" {
			t.Errorf("timeline = %s (portico's own comments must not become notes)", got)
		}

		// Closing the discussion 40 days ago: past the 30-day retention.
		closed := g.gh.SetDiscussionState(disc.Number, true, time.Now().Add(-40*24*time.Hour))
		g.deliverQueued(t, closed)
		waitStatus(t, g.App, path, 410)
		detail := g.ticket(t, ref)
		closedAt, _ := time.Parse(time.RFC3339, detail["closed_at"].(string))
		if detail["status"] != "closed" || time.Since(closedAt) < 39*24*time.Hour || time.Since(closedAt) > 41*24*time.Hour {
			t.Errorf("status %v, closed_at %v: want closed at the discussion's close", detail["status"], closedAt)
		}
		g.deliverQueued(t, g.gh.SetDiscussionState(disc.Number, false, time.Time{}))
		waitStatus(t, g.App, path, 200)
		if detail := g.ticket(t, ref); detail["status"] != "open" || detail["closed_at"] != nil {
			t.Errorf("after reopen: %v %v", detail["status"], detail["closed_at"])
		}
		// The close, redelivered late, is older than the reopen: ignored.
		stale := closed
		stale.ID += "-late"
		g.deliverQueued(t, stale)
		settle()
		if st := g.ticket(t, ref)["status"]; st != "open" {
			t.Errorf("a stale close was applied: %v", st)
		}
		// Changes made on GitHub are not mirrored back to GitHub.
		if n := len(g.gh.GraphQLCalls("closeDiscussion")) + len(g.gh.GraphQLCalls("reopenDiscussion")); n != 0 {
			t.Errorf("%d close or reopen mutations for changes GitHub made", n)
		}

		// portico closes the ticket: the discussion closes, as resolved.
		if r := do(t, g.App, req{method: "POST", path: "/support/admin/tickets/" + ref + "/close", header: bearer()}); r.Status != 200 {
			t.Fatalf("admin close: %d %s", r.Status, r.Body)
		}
		githubtest.Wait(t, "the discussion closed", 20*time.Second, func() bool { return g.discussion(t, disc.Number).Closed })
		if x := g.discussion(t, disc.Number); x.StateReason != "resolved" {
			t.Errorf("state reason %q", x.StateReason)
		}
		closeEcho := g.gh.DiscussionEcho(disc.Number)
		// The customer writes again while GitHub's answers are rate limited
		// for a few seconds: the ticket reopens at once; the discussion once
		// the limit has passed (the job snoozes, it does not fail).
		reset := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
		g.gh.FailGraphQL("node", githubtest.GraphQLRateLimit(reset))
		if res := form(t, g.App, replyPath+"/replies", url.Values{"body": {"One more thing."}}); res.Status != 303 {
			t.Fatalf("portal reply on the closed ticket: %d %s", res.Status, res.Body)
		}
		if st := g.ticket(t, ref)["status"]; st != "open" {
			t.Fatalf("the reply did not reopen the ticket: %v", st)
		}
		// Meanwhile GitHub's webhook of portico's own close arrives: it must
		// not close the ticket again.
		g.deliverQueued(t, closeEcho)
		settle()
		if st := g.ticket(t, ref)["status"]; st != "open" {
			t.Errorf("the echo of portico's own close closed the reopened ticket: %v", st)
		}
		githubtest.Wait(t, "the discussion reopened", 20*time.Second, func() bool { return !g.discussion(t, disc.Number).Closed })
		if calls := g.gh.GraphQLCalls("reopenDiscussion"); len(calls) != 1 || calls[0].At.Before(reset) {
			t.Errorf("reopen calls %+v, want one after the rate limit's reset %v", calls, reset)
		}
		g.ownDiscussionComments(t, disc.Number, 3)
		g.deliverQueued(t, g.gh.DiscussionEcho(disc.Number))
		lateEcho := closeEcho
		lateEcho.ID += "-late" // the same event in another delivery
		g.deliverQueued(t, lateEcho)
		settle()
		if st := g.ticket(t, ref)["status"]; st != "open" {
			t.Errorf("after portico's own changes came back: %v", st)
		}
		if n := len(g.gh.GraphQLCalls("closeDiscussion")); n != 1 {
			t.Errorf("%d close mutations, want 1", n)
		}
		if n := len(g.gh.Discussions()); n != 1 {
			t.Errorf("%d discussions", n)
		}
	})
}

// TestGitHubDiscussionsDeskSwitch: switching the desk moves only new
// tickets; a ticket stays on the issue or discussion it was mirrored to.
// Erasing the customer of a discussion ticket redacts the discussion, the
// mirrored replies and the agent's comments, as it does an issue's.
func TestGitHubDiscussionsDeskSwitch(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	g.gh.EnableDiscussions("Support")

	onIssue := fileTicket(t, g.App, ticketBody("issue@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, onIssue)
	issuePath := portalPath(t, mailTo(t, g.mail.Wait(1, 20*time.Second), "issue@example.com").Envelope(t).Text)

	if r := g.putDesk(t, `{"desk":"discussions","discussion_category":"Support"}`); r.Status != 200 {
		t.Fatalf("set discussions: %d %s", r.Status, r.Body)
	}
	// GitHub opens the discussion but answers 502: the retry finds it by
	// its marker instead of opening a second one.
	g.gh.FailGraphQL("createDiscussion", githubtest.GraphQLFault{Status: 502, Message: "Server Error", AfterEffect: true})
	onDiscussion := fileTicket(t, g.App, `{"email":"disc@example.com","name":"Dee","subject":"On a discussion","description":"Please help."}`).json(t)["reference"].(string)
	disc := g.discussionFor(t, onDiscussion)
	discPath := portalPath(t, mailTo(t, g.mail.Wait(2, 20*time.Second), "disc@example.com").Envelope(t).Text)
	if disc.Number == issue.Number {
		t.Errorf("discussion #%d shares the issue's number", disc.Number)
	}
	if n, lists := len(g.gh.GraphQLCalls("createDiscussion")), len(g.gh.GraphQLCalls("repository")); n != 1 || lists < 2 {
		t.Errorf("%d createDiscussion calls and %d repository reads: the retry should have looked for the discussion the 502 opened", n, lists)
	}
	// The ticket filed before the switch stays on its issue.
	if res := form(t, g.App, issuePath+"/replies", url.Values{"body": {"reply on the issue ticket"}}); res.Status != 303 {
		t.Fatalf("portal reply: %d", res.Status)
	}
	if c := g.ownComments(t, issue.Number, 1)[0]; !strings.Contains(c.Body, "> reply on the issue ticket") {
		t.Errorf("issue comment:\n%s", c.Body)
	}

	// Back to issues: the discussion ticket stays on its discussion; the
	// category is kept for the next switch.
	if r := g.putDesk(t, `{"desk":"issues"}`); r.Status != 200 || string(r.Body) != `{"desk":"issues","discussion_category":"Support"}` {
		t.Fatalf("set issues: %d %s", r.Status, r.Body)
	}
	onIssueAgain := fileTicket(t, g.App, ticketBody("again@example.com")).json(t)["reference"].(string)
	again := g.issueFor(t, onIssueAgain)
	if again.Number == disc.Number {
		t.Errorf("issue #%d shares the discussion's number", again.Number)
	}
	g.gh.FailGraphQL("addDiscussionComment", githubtest.GraphQLFault{Status: 502, Message: "Server Error", AfterEffect: true})
	if res := form(t, g.App, discPath+"/replies", url.Values{"body": {"reply on the discussion ticket"}}); res.Status != 303 {
		t.Fatalf("portal reply: %d", res.Status)
	}
	mirrored := g.ownDiscussionComments(t, disc.Number, 1)[0]
	if !strings.Contains(mirrored.Body, "> reply on the discussion ticket") {
		t.Errorf("discussion comment:\n%s", mirrored.Body)
	}
	githubtest.Wait(t, "the retry of the comment", 20*time.Second, func() bool { return len(g.gh.GraphQLCalls("node")) > 0 })
	settle()
	if n := len(g.ownDiscussionComments(t, disc.Number, 1)); n != 1 {
		t.Errorf("%d comments after a 502, want 1", n)
	}
	// /reply fills in the discussion's title, number and address.
	g.gh.SetFile(".github/portico/replies/welcome.md", "Hello {{customer_name}}, about {{issue_title}} (#{{issue_number}}): {{issue_url}}")
	dl, replied := g.gh.CommentOnDiscussion(disc.Number, "grace", "MEMBER", "/reply welcome")
	g.deliverQueued(t, dl)
	want := fmt.Sprintf("Hello Dee, about [%s] On a discussion (#%d): https://github.com/acme/support/discussions/%d", onDiscussion, disc.Number, disc.Number)
	found := false
	for _, m := range g.mail.Wait(4, 20*time.Second) {
		found = found || (m.To[0] == "disc@example.com" && strings.Contains(m.Envelope(t).Text, want))
	}
	if !found {
		t.Errorf("no /reply mail saying %q", want)
	}
	githubtest.Wait(t, "🚀 on /reply", 20*time.Second, func() bool { return g.rocketOnDiscussionComment(replied) })
	// An agent's note on the discussion, then the erasure.
	dl, note := g.gh.CommentOnDiscussion(disc.Number, "grace", "MEMBER", "Dee <disc@example.com> is a known customer")
	g.deliverQueued(t, dl)
	githubtest.Wait(t, "the note", 20*time.Second, func() bool { return strings.Contains(timelineOf(t, g, onDiscussion), "internal/github") })
	settle()
	if n, d := len(g.gh.Issues()), len(g.gh.Discussions()); n != 2 || d != 1 {
		t.Errorf("%d issues and %d discussions, want 2 and 1", n, d)
	}
	for _, c := range g.gh.Comments(issue.Number) {
		if strings.Contains(c.Body, "discussion ticket") {
			t.Errorf("the discussion ticket's reply went to an issue:\n%s", c.Body)
		}
	}

	contact := int64(g.ticket(t, onDiscussion)["contact"].(map[string]any)["id"].(float64))
	if r := do(t, g.App, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contact), header: bearer()}); r.Status != 200 {
		t.Fatalf("erase: %d %s", r.Status, r.Body)
	}
	githubtest.Wait(t, "the discussion redacted", 20*time.Second, func() bool {
		return strings.Contains(g.discussion(t, disc.Number).Body, "🔒 **Erased.**")
	})
	x := g.discussion(t, disc.Number)
	if !strings.HasPrefix(x.Body, fmt.Sprintf("<!-- portico:ticket=%d -->\n", ticketIDOf(t, onDiscussion))) || strings.Contains(x.Title, "On a discussion") ||
		strings.Contains(x.Body, "disc@example.com") {
		t.Errorf("redacted discussion: %q\n%s", x.Title, x.Body)
	}
	githubtest.Wait(t, "the comments redacted", 20*time.Second, func() bool {
		for _, c := range g.gh.DiscussionComments(disc.Number) {
			if (c.DatabaseID == mirrored.DatabaseID || c.DatabaseID == note) && !strings.Contains(c.Body, "🔒 _Erased in portico") {
				return false
			}
		}
		return true
	})
	if c := g.gh.DiscussionComments(disc.Number)[0]; !strings.HasPrefix(c.Body, "<!-- portico:message=") {
		t.Errorf("the redacted reply lost its marker:\n%s", c.Body)
	}
	// The issue tickets are untouched.
	if c := g.gh.Comments(issue.Number)[0]; !strings.Contains(c.Body, "reply on the issue ticket") {
		t.Errorf("an issue comment was redacted:\n%s", c.Body)
	}
}
