package app_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// Links that can be issued again and the portal that shows what the
// customer got (issue 16).

// inbox hands out the mails of a test SMTP server one at a time.
type inbox struct {
	mail *mailtest.Server
	seen int
}

// next waits for the next mail.
func (b *inbox) next(t *testing.T) mailtest.Received {
	t.Helper()
	b.seen++
	return b.mail.Wait(b.seen, 20*time.Second)[b.seen-1]
}

// none checks that no mail arrived beyond those seen.
func (b *inbox) none(t *testing.T) {
	t.Helper()
	settle()
	if got := b.mail.Received(); len(got) != b.seen {
		t.Errorf("%d mails, want %d", len(got), b.seen)
	}
}

func (ma mailApp) admin(t *testing.T, method, path, body string) response {
	t.Helper()
	return do(t, ma.App, req{method: method, path: "/support/admin" + path, body: body, header: bearer()})
}

func (ma mailApp) status(t *testing.T, path string) int {
	t.Helper()
	return do(t, ma.App, req{method: "GET", path: path}).Status
}

// linkStates maps each portal link's address to its state on the admin's
// ticket page.
func (ma mailApp) linkStates(t *testing.T, ref string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range ma.admin(t, "GET", "/tickets/"+ref, "").json(t)["portal_links"].([]any) {
		m := l.(map[string]any)
		out[m["email"].(string)] = m["state"].(string)
	}
	return out
}

// TestPortalLinksIssuedAgain: a revoke ends the links mailed so far and the
// next mail's link works; an admin mails one person a fresh link; the
// portal of one ticket is stopped and resumed.
func TestPortalLinksIssuedAgain(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		box := &inbox{mail: ma.mail}
		ctx := context.Background()
		ref := fileTicket(t, ma.App, ticketBody("ada@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		first := portalPath(t, box.next(t).Envelope(t).Text)
		reply := func(body string) mailtest.Received {
			t.Helper()
			if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "grace", BodyText: body}); err != nil {
				t.Fatal(err)
			}
			return box.next(t)
		}

		// Revoke: the links mailed so far answer 404 ...
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/revoke", ""); r.Status != 200 || r.json(t)["revoked"].(float64) != 1 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if s := ma.status(t, first); s != 404 {
			t.Errorf("revoked link: %d", s)
		}
		if st := ma.linkStates(t, ref)["ada@example.com"]; st != model.LinkRevoked {
			t.Errorf("state after the revoke = %s", st)
		}
		// ... and the next mail carries a fresh one, which works.
		second := portalPath(t, reply("After the revoke").Envelope(t).Text)
		if s := ma.status(t, second); s != 200 {
			t.Errorf("the link of the mail after the revoke: %d", s)
		}
		if s := ma.status(t, first); s != 404 {
			t.Errorf("the revoked link after a new mail: %d", s)
		}
		if st := ma.linkStates(t, ref)["ada@example.com"]; st != model.LinkActive {
			t.Errorf("state after a new mail = %s", st)
		}

		// An admin mails Ada a fresh link, threaded in the conversation.
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/issue", `{"email":" Ada@Example.com "}`); r.Status != 202 ||
			r.json(t)["email"] != "ada@example.com" || r.json(t)["reference"] != ref {
			t.Fatalf("issue: %d %s", r.Status, r.Body)
		}
		issued := box.next(t)
		env := issued.Envelope(t)
		if issued.To[0] != "ada@example.com" || !strings.HasPrefix(env.GetHeader("Subject"), "["+ref+"] ") ||
			!strings.Contains(env.Text, "Here is a new link to follow your request "+ref) {
			t.Errorf("issued mail to %v, subject %q:\n%s", issued.To, env.GetHeader("Subject"), env.Text)
		}
		msgs := timeline(t, ma.App, ref)
		lastReply := fmt.Sprintf("<ticket-%d-reply-%v@acme.test>", id, msgs[len(msgs)-1]["id"])
		mid := env.Root.Header.Get("Message-Id")
		if !regexp.MustCompile(fmt.Sprintf(`^<ticket-%d-link-[0-9a-f]{16}@acme\.test>$`, id)).MatchString(mid) ||
			env.Root.Header.Get("In-Reply-To") != lastReply ||
			!strings.HasPrefix(env.Root.Header.Get("References"), fmt.Sprintf("<ticket-%d@acme.test>", id)) {
			t.Errorf("issued mail headers: Message-Id %q, In-Reply-To %q (want %q), References %q",
				mid, env.Root.Header.Get("In-Reply-To"), lastReply, env.Root.Header.Get("References"))
		}
		third := portalPath(t, env.Text)
		if s := ma.status(t, third); s != 200 {
			t.Errorf("the issued link: %d", s)
		}
		if len(timeline(t, ma.App, ref)) != len(msgs) {
			t.Error("issuing a link added a timeline message")
		}

		// What an admin may not ask.
		fileTicket(t, ma.App, ticketBody("carol@example.com")) // a known address, on another ticket
		box.next(t)
		for _, c := range []struct {
			name, path, body string
			header           map[string]string
			status           int
			says             string
		}{
			{"unknown ticket", "/tickets/TK-999999/portal-links/issue", `{"email":"ada@example.com"}`, bearer(), 404, "no ticket TK-999999"},
			{"unknown address", "/tickets/" + ref + "/portal-links/issue", `{"email":"nobody@example.com"}`, bearer(), 404, "nobody with the address nobody@example.com"},
			{"not on the ticket", "/tickets/" + ref + "/portal-links/issue", `{"email":"carol@example.com"}`, bearer(), 422, `"email":"is not on ` + ref},
			{"not an address", "/tickets/" + ref + "/portal-links/issue", `{"email":"ada"}`, bearer(), 422, `"email":`},
			{"no address", "/tickets/" + ref + "/portal-links/issue", `{}`, bearer(), 422, `"email":"is required"`},
			{"not JSON", "/tickets/" + ref + "/portal-links/issue", `{"email":`, bearer(), 400, "not valid JSON"},
			{"no credentials", "/tickets/" + ref + "/portal-links/issue", `{"email":"ada@example.com"}`, nil, 401, ""},
			{"stop unknown ticket", "/tickets/TK-999999/portal/stop", ``, bearer(), 404, "no ticket TK-999999"},
			{"stop without credentials", "/tickets/" + ref + "/portal/stop", ``, nil, 401, ""},
			{"resume without credentials", "/tickets/" + ref + "/portal/resume", ``, nil, 401, ""},
		} {
			r := do(t, ma.App, req{method: "POST", path: "/support/admin" + c.path, body: c.body, header: c.header})
			if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.status, c.says)
			}
		}
		if r := ma.admin(t, "PUT", "/settings/portal", `{"enabled":false}`); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/issue", `{"email":"ada@example.com"}`); r.Status != 409 || !strings.Contains(string(r.Body), "switched off") {
			t.Errorf("issue with the portal off: %d %s", r.Status, r.Body)
		}
		if r := ma.admin(t, "PUT", "/settings/portal", `{"enabled":true}`); r.Status != 200 {
			t.Fatal(r.Status)
		}
		box.none(t)

		// Stop the portal of the ticket: every link 404, mails carry none.
		stop := ma.admin(t, "POST", "/tickets/"+ref+"/portal/stop", "")
		if stop.Status != 200 || stop.json(t)["portal_stopped"] != true || stop.json(t)["changed"] != true {
			t.Fatalf("stop: %d %s", stop.Status, stop.Body)
		}
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal/stop", ""); r.json(t)["changed"] != false {
			t.Errorf("stopping again: %s", r.Body)
		}
		for _, p := range []string{second, third} {
			if s := ma.status(t, p); s != 404 {
				t.Errorf("link of a stopped portal: %d", s)
			}
		}
		detail := ma.admin(t, "GET", "/tickets/"+ref, "").json(t)
		if detail["portal_stopped_at"] == nil || ma.linkStates(t, ref)["ada@example.com"] != model.LinkStopped {
			t.Errorf("detail of a stopped portal: %v, %v", detail["portal_stopped_at"], detail["portal_links"])
		}
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/issue", `{"email":"ada@example.com"}`); r.Status != 409 || !strings.Contains(string(r.Body), "stopped") {
			t.Errorf("issue while stopped: %d %s", r.Status, r.Body)
		}
		env = reply("While stopped").Envelope(t)
		if portalLink.MatchString(env.Text) || strings.Contains(env.HTML, "/portal/") ||
			!strings.Contains(env.Text, "by email only") || !strings.Contains(env.HTML, "by email only") {
			t.Errorf("a mail while the portal is stopped:\n%s\n%s", env.Text, env.HTML)
		}

		// Resume: the links not revoked open again, and mails carry links.
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal/resume", ""); r.Status != 200 || r.json(t)["portal_stopped"] != false || r.json(t)["changed"] != true {
			t.Fatalf("resume: %d %s", r.Status, r.Body)
		}
		if s := ma.status(t, second); s != 200 {
			t.Errorf("a link after the resume: %d", s)
		}
		fourth := portalPath(t, reply("Resumed").Envelope(t).Text)
		if s := ma.status(t, fourth); s != 200 {
			t.Errorf("the next mail's link after the resume: %d", s)
		}
		if s := ma.status(t, first); s != 404 {
			t.Errorf("the revoked link after the resume: %d", s)
		}
	})
}

// TestPortalLinksErasedContact: an erased contact never gets a fresh link,
// neither from the next mail nor from an admin.
func TestPortalLinksErasedContact(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		box := &inbox{mail: ma.mail}
		ctx := context.Background()
		ref := fileTicket(t, ma.App, ticketBody("eve@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		first := portalPath(t, box.next(t).Envelope(t).Text)
		contact := fmt.Sprint(ma.admin(t, "GET", "/tickets/"+ref, "").json(t)["contact"].(map[string]any)["id"])
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/revoke", ""); r.Status != 200 {
			t.Fatalf("revoke: %d", r.Status)
		}
		if r := ma.admin(t, "POST", "/contacts/"+contact+"/erase", ""); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		pseudonym := "erased-" + contact + "@invalid"

		// An agent answers the erased ticket anyway: the mail goes to the
		// pseudonym and carries no link.
		if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "grace", BodyText: "Still there?"}); err != nil {
			t.Fatal(err)
		}
		got := box.next(t)
		if env := got.Envelope(t); got.To[0] != pseudonym || portalLink.MatchString(env.Text) || strings.Contains(env.HTML, "/portal/") {
			t.Errorf("mail after the erasure to %v:\n%s", got.To, env.Text)
		}
		for email, state := range ma.linkStates(t, ref) {
			if state != model.LinkRevoked {
				t.Errorf("link %s is %s after the erasure", email, state)
			}
		}
		if s := ma.status(t, first); s != 404 {
			t.Errorf("the erased contact's old link: %d", s)
		}
		// Nor does an admin get one for them, under either address (the
		// pseudonym is no mail address at all).
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/issue", `{"email":"`+pseudonym+`"}`); r.Status != 422 {
			t.Errorf("issue to the pseudonym: %d %s", r.Status, r.Body)
		}
		if r := ma.admin(t, "POST", "/tickets/"+ref+"/portal-links/issue", `{"email":"eve@example.com"}`); r.Status != 404 {
			t.Errorf("issue to the erased address: %d %s", r.Status, r.Body)
		}
		// Resuming or stopping changes nothing for them.
		ma.admin(t, "POST", "/tickets/"+ref+"/portal/stop", "")
		ma.admin(t, "POST", "/tickets/"+ref+"/portal/resume", "")
		if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: id, AuthorName: "grace", BodyText: "Hello?"}); err != nil {
			t.Fatal(err)
		}
		if env := box.next(t).Envelope(t); portalLink.MatchString(env.Text) {
			t.Errorf("a later mail to the erased contact carries a link:\n%s", env.Text)
		}
		// On a ticket that was not erased, a mail to the erased contact's
		// address carries no link either.
		other := fileTicket(t, ma.App, ticketBody("frank@example.com")).json(t)["reference"].(string)
		box.next(t)
		if _, err := ma.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: ticketIDOf(t, other),
			AuthorName: "grace", BodyText: "Copying Eve", To: []tickets.Recipient{{Email: "frank@example.com"}, {Email: pseudonym}}}); err != nil {
			t.Fatal(err)
		}
		got = box.next(t)
		if again := box.next(t); got.To[0] != pseudonym {
			got = again
		}
		if env := got.Envelope(t); got.To[0] != pseudonym || portalLink.MatchString(env.Text) {
			t.Errorf("a mail to the erased contact on another ticket, to %v:\n%s", got.To, env.Text)
		}
		if _, ok := ma.linkStates(t, other)[pseudonym]; ok {
			t.Error("the erased contact got a link on another ticket")
		}
		box.none(t)
	})
}

// TestPortalRetentionPromise: the retention in force when a ticket closes
// fixes its links' expiry; a shorter value applies to tickets closed after
// the change.
func TestPortalRetentionPromise(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
		ma := startMailApp(t, d, nil, app.Deps{Now: clock.Now})
		box := &inbox{mail: ma.mail}
		early := fileTicket(t, ma.App, ticketBody("early@example.com")).json(t)["reference"].(string)
		earlyPath := portalPath(t, box.next(t).Envelope(t).Text)
		late := fileTicket(t, ma.App, ticketBody("late@example.com")).json(t)["reference"].(string)
		latePath := portalPath(t, box.next(t).Envelope(t).Text)

		closedAt := clock.Now()
		if r := ma.admin(t, "POST", "/tickets/"+early+"/close", ""); r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		if r := ma.admin(t, "PUT", "/settings/portal", `{"retention_after_close":"1h"}`); r.Status != 200 {
			t.Fatalf("retention: %d %s", r.Status, r.Body)
		}
		clock.Advance(2 * time.Hour)
		if s := ma.status(t, earlyPath); s != 200 {
			t.Errorf("closed under 30d, retention shortened to 1h, 2h later: %d", s)
		}
		links := ma.admin(t, "GET", "/tickets/"+early, "").json(t)["portal_links"].([]any)
		exp, _ := time.Parse(time.RFC3339Nano, links[0].(map[string]any)["expires_at"].(string))
		if want := closedAt.Add(30 * 24 * time.Hour); !exp.Equal(want) {
			t.Errorf("expires_at = %v, want %v (the close plus the 30 days in force then)", exp, want)
		}

		if r := ma.admin(t, "POST", "/tickets/"+late+"/close", ""); r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		clock.Advance(59 * time.Minute)
		if s := ma.status(t, latePath); s != 200 {
			t.Errorf("closed under 1h, 59m later: %d", s)
		}
		clock.Advance(2 * time.Minute)
		if s := ma.status(t, latePath); s != 410 {
			t.Errorf("closed under 1h, 61m later: %d", s)
		}
		if s := ma.status(t, earlyPath); s != 200 {
			t.Errorf("the earlier ticket's promise: %d", s)
		}
		if r := ma.admin(t, "POST", "/tickets/"+late+"/portal-links/issue", `{"email":"late@example.com"}`); r.Status != 409 || !strings.Contains(string(r.Body), "expired") {
			t.Errorf("a new link for an expired ticket: %d %s", r.Status, r.Body)
		}
		// Lengthening it does not reach back either.
		if r := ma.admin(t, "PUT", "/settings/portal", `{"retention_after_close":"60d"}`); r.Status != 200 {
			t.Fatalf("retention: %d %s", r.Status, r.Body)
		}
		if s := ma.status(t, latePath); s != 410 {
			t.Errorf("closed under 1h, after the retention grew: %d", s)
		}
		clock.Advance(30 * 24 * time.Hour)
		if s := ma.status(t, earlyPath); s != 410 {
			t.Errorf("closed under 30d, 30 days later: %d", s)
		}
		// Reopened and closed again, a ticket takes the value in force then.
		if r := ma.admin(t, "POST", "/tickets/"+early+"/reopen", ""); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if r := ma.admin(t, "POST", "/tickets/"+early+"/close", ""); r.Status != 200 {
			t.Fatal(r.Status)
		}
		clock.Advance(40 * 24 * time.Hour)
		if s := ma.status(t, earlyPath); s != 200 {
			t.Errorf("closed again under 60d, 40 days later: %d", s)
		}
	})
}

// TestPortalShowsWhatCustomerGot: an agent's Markdown reply, sent with
// /sendall, is on the portal as its mail's sanitized HTML; customers' text
// stays text; the participant copied on the customer's mail sees it.
func TestPortalShowsWhatCustomerGot(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d, func(v map[string]string) {
			v["PORTICO_POSTMARK_BASIC_AUTH"] = postmarkAuth
		})
		box := &inbox{mail: g.mail}
		o, ref := outcome(t, postmark(t, g.App, pm{From: "ada@example.com", FromName: "Ada Lovelace", To: "help@acme.test", Cc: "Bob@Example.com",
			Subject: "Printer", Text: "Line one <b>not bold</b>\nLine two", MessageID: "<ada-1@example.com>"}))
		if o != "created" {
			t.Fatalf("inbound: %s", o)
		}
		box.next(t) // Ada's confirmation
		issue := g.issueFor(t, ref)
		dl, _ := g.gh.Comment(issue.Number, "grace", "MEMBER",
			"/sendall Hello **both**,\nplease [read this](https://example.com/help).\n\n<script>alert(1)</script><img src=x onerror=alert(2)>")
		g.deliverQueued(t, dl)
		sent := []mailtest.Received{box.next(t), box.next(t)}
		ada, bob := mailTo(t, sent, "ada@example.com"), mailTo(t, sent, "bob@example.com")
		if ada == nil || bob == nil {
			t.Fatalf("/sendall went to %v and %v", sent[0].To, sent[1].To)
		}
		mailHTML := bob.Envelope(t).HTML
		if !strings.Contains(mailHTML, "<strong>both</strong>") {
			t.Fatalf("the mail's HTML part:\n%s", mailHTML)
		}

		for who, m := range map[string]*mailtest.Received{"ada": ada, "bob": bob} {
			page := do(t, g.App, req{method: "GET", path: portalPath(t, m.Envelope(t).Text)})
			body := string(page.Body)
			if page.Status != 200 {
				t.Fatalf("%s's portal: %d", who, page.Status)
			}
			for _, want := range []string{
				"<strong>both</strong>", `<a href="https://example.com/help" rel="nofollow">read this</a>`,
				// The customer's text, escaped, its line break kept.
				"Line one &lt;b&gt;not bold&lt;/b&gt;\nLine two",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("%s's portal lacks %q:\n%s", who, want, body)
				}
			}
			for _, bad := range []string{"**both**", "<script>alert", "onerror", "<b>not bold"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s's portal shows %q", who, bad)
				}
			}
			if len(page.Body) >= 15*1024 {
				t.Errorf("%s's portal is %d bytes, want < 15 KB", who, len(page.Body))
			}
			csp := page.Header.Get("Content-Security-Policy")
			if !scriptsAllowed(body, csp) {
				t.Errorf("%s's portal: CSP %q, or a script on the page outside it", who, csp)
			}
		}
		// Bob sees Ada's mail as from Ada; Ada sees it as hers.
		bobPage := string(do(t, g.App, req{method: "GET", path: portalPath(t, bob.Envelope(t).Text)}).Body)
		adaPage := string(do(t, g.App, req{method: "GET", path: portalPath(t, ada.Envelope(t).Text)}).Body)
		if !strings.Contains(bobPage, "<strong>Ada Lovelace</strong>") || strings.Contains(bobPage, "<strong>You</strong>") {
			t.Errorf("bob's portal does not name Ada as the sender:\n%s", bobPage)
		}
		if !strings.Contains(adaPage, "<strong>You</strong>") {
			t.Errorf("ada's portal does not show her message as hers:\n%s", adaPage)
		}

		// A mail Ada sends later without Bob on it stays off Bob's page.
		if o, _ := outcome(t, postmark(t, g.App, pm{From: "ada@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
			Subject: "Re: [" + ref + "] Printer", Text: "Just between us", MessageID: "<ada-2@example.com>", InReplyTo: "<ada-1@example.com>"})); o != "appended" {
			t.Fatalf("ada's second mail: %s", o)
		}
		bobPage = string(do(t, g.App, req{method: "GET", path: portalPath(t, bob.Envelope(t).Text)}).Body)
		adaPage = string(do(t, g.App, req{method: "GET", path: portalPath(t, ada.Envelope(t).Text)}).Body)
		if strings.Contains(bobPage, "Just between us") || !strings.Contains(adaPage, "Just between us") {
			t.Errorf("a mail without Bob on it: on bob's page %v, on ada's %v",
				strings.Contains(bobPage, "Just between us"), strings.Contains(adaPage, "Just between us"))
		}
	})
}
