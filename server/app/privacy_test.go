package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// privacyWorld is Ada's widget ticket (portal reply, agent reply, internal
// note) and Bob's mailed ticket, on which Ada is on Cc and replied by mail
// with an attachment.
type privacyWorld struct {
	ma             mailApp
	ada, bob       int64 // contact ids
	adaRef, bobRef string
	adaPortal      string
}

func buildPrivacyWorld(t *testing.T, d store.Dialect, deps app.Deps) privacyWorld {
	t.Helper()
	ctx := context.Background()
	w := privacyWorld{ma: startMailApp(t, d, inboundEnv(t, d), deps)}
	a := w.ma.App
	r := fileTicket(t, a, `{"email":"Ada@Example.com","name":"Ada Lovelace","subject":"Printer on fire","description":"My printer burns"}`)
	if r.Status != 201 {
		t.Fatalf("file: %d %s", r.Status, r.Body)
	}
	w.adaRef = r.json(t)["reference"].(string)
	w.adaPortal = portalPath(t, w.ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	if r := form(t, a, w.adaPortal+"/replies", url.Values{"body": {"Thanks from the portal"}}); r.Status != 303 {
		t.Fatalf("portal reply: %d %s", r.Status, r.Body)
	}
	adaID := ticketIDOf(t, w.adaRef)
	if _, err := a.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: adaID, AuthorName: "grace", BodyText: "Dear Ada, unplug it"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tickets.AddInternalNote(ctx, tickets.Note{TicketID: adaID, Source: model.SourceGitHub, Author: "grace", Body: "Ada seems upset"}); err != nil {
		t.Fatal(err)
	}
	_, w.bobRef = outcome(t, postmark(t, a, pm{From: "bob@example.com", FromName: "Bob Builder", To: "help@acme.test", Cc: "ada@example.com",
		Subject: "Bob's question", Text: "Bob asks", MessageID: "<bob-1@example.com>", Extra: map[string]string{"Content-Language": "fr"}}))
	o, ref := outcome(t, postmark(t, a, pm{From: "ada@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
		Subject: "Re: Bob's question", Text: "Ada chimes in", MessageID: "<ada-2@example.com>", InReplyTo: "<bob-1@example.com>",
		Attachments: []map[string]any{{"Name": "notes.txt", "Content": base64.StdEncoding.EncodeToString([]byte("ada's notes")),
			"ContentType": "text/plain", "ContentLength": 11}}}))
	if o != "appended" || ref != w.bobRef {
		t.Fatalf("ada's reply on bob's ticket: %s %s (bob's is %s)", o, ref, w.bobRef)
	}
	w.ma.mail.Wait(3, 20*time.Second) // ada's confirmation and reply, bob's confirmation
	w.ada = contactOf(t, a, w.adaRef)
	w.bob = contactOf(t, a, w.bobRef)
	return w
}

func contactOf(t *testing.T, a *app.App, ref string) int64 {
	t.Helper()
	d := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
	return int64(d["contact"].(map[string]any)["id"].(float64))
}

func ticketDetail(t *testing.T, a *app.App, ref string) map[string]any {
	t.Helper()
	r := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("ticket %s: %d %s", ref, r.Status, r.Body)
	}
	return r.json(t)
}

// exportDoc is the part of an export the tests look at.
type exportDoc struct {
	Format  string `json:"format"`
	Contact struct {
		ID       int64   `json:"id"`
		Email    string  `json:"email"`
		Name     string  `json:"name"`
		Locale   *string `json:"locale"`
		ErasedAt *string `json:"erased_at"`
	} `json:"contact"`
	Tickets []struct {
		Reference   string  `json:"reference"`
		Role        string  `json:"role"`
		Subject     string  `json:"subject"`
		ErasedAt    *string `json:"erased_at"`
		Participant *struct {
			Name string `json:"name"`
		} `json:"participant"`
		Messages []struct {
			Direction   string `json:"direction"`
			Source      string `json:"source"`
			AuthorEmail string `json:"author_email"`
			Body        string `json:"body"`
			Attachments []struct {
				Filename string `json:"filename"`
				Size     int64  `json:"size"`
			} `json:"attachments"`
		} `json:"messages"`
		PortalLinks []struct {
			Email string `json:"email"`
			State string `json:"state"`
		} `json:"portal_links"`
		Mails []struct {
			Kind    string `json:"kind"`
			ToEmail string `json:"to_email"`
		} `json:"mails"`
	} `json:"tickets"`
}

func exportOf(t *testing.T, a *app.App, contact int64) (exportDoc, string) {
	t.Helper()
	r := do(t, a, req{method: "GET", path: fmt.Sprintf("/support/admin/contacts/%d/export", contact), header: bearer()})
	if r.Status != 200 {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var doc exportDoc
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, r.Body)
	}
	return doc, string(r.Body)
}

func bodies(doc exportDoc, i int) string {
	var out []string
	for _, m := range doc.Tickets[i].Messages {
		out = append(out, m.Body)
	}
	return strings.Join(out, "|")
}

// TestPrivacyExportAndErase: the export holds everything about a contact and
// nothing secret; erasure empties it for good, on both databases.
func TestPrivacyExportAndErase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		w := buildPrivacyWorld(t, d, app.Deps{})
		a := w.ma.App
		token := strings.TrimPrefix(w.adaPortal, "/portal/")

		doc, raw := exportOf(t, a, w.ada)
		if doc.Format != "portico.contact-export.v1" || doc.Contact.Email != "ada@example.com" || doc.Contact.Name != "Ada Lovelace" || doc.Contact.ErasedAt != nil {
			t.Errorf("contact = %+v", doc.Contact)
		}
		if doc.Contact.Locale == nil || *doc.Contact.Locale != "" {
			t.Errorf("ada's language in the export = %v, want \"\" (unknown)", doc.Contact.Locale)
		}
		if len(doc.Tickets) != 2 || doc.Tickets[0].Reference != w.adaRef || doc.Tickets[1].Reference != w.bobRef {
			t.Fatalf("tickets = %+v", doc.Tickets)
		}
		own, other := doc.Tickets[0], doc.Tickets[1]
		if own.Role != "requester" || own.Subject != "Printer on fire" {
			t.Errorf("own ticket = %s %q", own.Role, own.Subject)
		}
		for _, want := range []string{"My printer burns", "Thanks from the portal", "Dear Ada, unplug it", "Ada seems upset"} {
			if !strings.Contains(bodies(doc, 0), want) {
				t.Errorf("own ticket lacks %q: %s", want, bodies(doc, 0))
			}
		}
		if len(own.PortalLinks) != 1 || own.PortalLinks[0].State != "active" || own.PortalLinks[0].Email != "ada@example.com" {
			t.Errorf("own portal links = %+v", own.PortalLinks)
		}
		if len(own.Mails) != 2 || own.Mails[0].Kind != "confirmation" || own.Mails[1].Kind != "agent_reply" {
			t.Errorf("own mails = %+v", own.Mails)
		}
		// On Bob's ticket Ada sees her part only: her reply, not Bob's mail.
		if other.Role != "participant" || other.Participant == nil || bodies(doc, 1) != "Ada chimes in" {
			t.Errorf("bob's ticket as ada's = %s %+v %q", other.Role, other.Participant, bodies(doc, 1))
		}
		if files := other.Messages[0].Attachments; len(files) != 1 || files[0].Filename != "notes.txt" || files[0].Size != 11 {
			t.Errorf("attachments = %+v", files)
		}
		for _, secret := range []string{token, "token", "hash", testSecret, "Bob asks", "bob@example.com"} {
			if strings.Contains(raw, secret) {
				t.Errorf("the export holds %q", secret)
			}
		}
		for path, status := range map[string]int{
			"/support/admin/contacts/999999/export": 404, "/support/admin/contacts/abc/export": 404, "/support/admin/contacts/-1/export": 404,
		} {
			if r := do(t, a, req{method: "GET", path: path, header: bearer()}); r.Status != status {
				t.Errorf("GET %s: %d, want %d", path, r.Status, status)
			}
		}
		if r := do(t, a, req{method: "GET", path: fmt.Sprintf("/support/admin/contacts/%d/export", w.ada)}); r.Status != 401 {
			t.Errorf("export without credentials: %d", r.Status)
		}
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", w.ada)}); r.Status != 401 {
			t.Errorf("erase without credentials: %d", r.Status)
		}

		// Erase, signed in as an admin.
		login := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"correct-horse-battery"}`})
		session := strings.SplitN(login.Header.Get("Set-Cookie"), ";", 2)[0]
		erasePath := fmt.Sprintf("/support/admin/contacts/%d/erase", w.ada)
		if r := do(t, a, req{method: "POST", path: erasePath, header: map[string]string{"Cookie": session, "Origin": "https://evil.example"}}); r.Status != 403 {
			t.Errorf("cross-site erase: %d", r.Status)
		}
		r := do(t, a, req{method: "POST", path: erasePath, header: map[string]string{"Cookie": session, "Origin": testOrigin}})
		if r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		e := r.json(t)
		pseudonym := fmt.Sprintf("erased-%d@invalid", w.ada)
		c := e["contact"].(map[string]any)
		if c["email"] != pseudonym || c["name"] != "" || e["erased_by"] != "root@example.com" || e["already_erased"] != false ||
			e["tickets_erased"].(float64) != 1 || e["attachments_deleted"].(float64) != 1 || e["messages_erased"].(float64) < 5 ||
			e["portal_links_revoked"].(float64) != 1 {
			t.Errorf("erasure = %s", r.Body)
		}

		// The portal link is dead.
		if r := do(t, a, req{method: "GET", path: w.adaPortal}); r.Status != 404 {
			t.Errorf("portal after erasure: %d", r.Status)
		}
		if r := form(t, a, w.adaPortal+"/replies", url.Values{"body": {"still here?"}}); r.Status != 404 {
			t.Errorf("portal reply after erasure: %d", r.Status)
		}
		// Ada's ticket: the row and its messages stay, their content goes.
		detail := ticketDetail(t, a, w.adaRef)
		msgs := detail["messages"].([]any)
		if detail["subject"] != "(erased)" || len(msgs) != 4 || detail["contact"].(map[string]any)["email"] != pseudonym ||
			len(detail["attachments"].([]any)) != 0 {
			t.Errorf("ada's ticket after erasure: %v", detail)
		}
		for _, m := range msgs {
			m := m.(map[string]any)
			if m["body"] != "" || m["author_email"] != "" {
				t.Errorf("message after erasure: %v", m)
			}
		}
		for _, l := range detail["portal_links"].([]any) {
			if l := l.(map[string]any); l["state"] != "revoked" || strings.Contains(l["email"].(string), "ada") {
				t.Errorf("link after erasure: %v", l)
			}
		}
		// Bob's ticket: Bob's text stays, Ada's reply and file go.
		detail = ticketDetail(t, a, w.bobRef)
		msgs = detail["messages"].([]any)
		if detail["subject"] != "Bob's question" || msgs[0].(map[string]any)["body"] != "Bob asks" ||
			msgs[1].(map[string]any)["body"] != "" || msgs[1].(map[string]any)["author_email"] != "" || len(detail["attachments"].([]any)) != 0 {
			t.Errorf("bob's ticket after erasure: %v", detail)
		}

		// A second call is harmless and says who erased it first.
		r2 := do(t, a, req{method: "POST", path: erasePath, header: bearer()})
		if r2.Status != 200 {
			t.Fatalf("second erase: %d %s", r2.Status, r2.Body)
		}
		e2 := r2.json(t)
		if e2["already_erased"] != true || e2["contact"].(map[string]any)["email"] != pseudonym || e2["erased_by"] != "root@example.com" ||
			e2["erased_at"] != e["erased_at"] || e2["tickets_erased"].(float64) != 0 {
			t.Errorf("second erasure = %s (first %s)", r2.Body, r.Body)
		}
		if r := do(t, a, req{method: "POST", path: "/support/admin/contacts/999999/erase", header: bearer()}); r.Status != 404 {
			t.Errorf("erase unknown contact: %d", r.Status)
		}
		// A pseudonym is never linked to a user again.
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/promote", w.ada), body: `{"user_id":5}`, header: bearer()}); r.Status != 422 {
			t.Errorf("promote an erased contact: %d %s", r.Status, r.Body)
		}

		doc, raw = exportOf(t, a, w.ada)
		if doc.Contact.Email != pseudonym || doc.Contact.ErasedAt == nil || len(doc.Tickets) != 1 || doc.Tickets[0].ErasedAt == nil {
			t.Errorf("export after erasure: %s", raw)
		}
		for _, gone := range []string{"ada@example.com", "Lovelace", "My printer burns", "Ada chimes in", "Printer on fire", "notes.txt"} {
			if strings.Contains(raw, gone) {
				t.Errorf("the export after erasure holds %q", gone)
			}
		}
		// Bob was not touched.
		// (His mail said Content-Language: fr; the export says so.)
		if doc, _ := exportOf(t, a, w.bob); doc.Contact.Email != "bob@example.com" || doc.Contact.ErasedAt != nil ||
			doc.Contact.Locale == nil || *doc.Contact.Locale != "fr" {
			t.Errorf("bob after ada's erasure = %+v", doc.Contact)
		}

		// Writing in again from the old address starts afresh: the erased
		// ticket no longer knows that address.
		o, ref := outcome(t, postmark(t, a, pm{From: "ada@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
			Subject: "Re: [" + w.adaRef + "] Printer on fire", Text: "Me again", MessageID: "<ada-3@example.com>"}))
		if o != "created" || ref == w.adaRef {
			t.Errorf("mail from the erased address: %s into %s", o, ref)
		}
		if id := contactOf(t, a, ref); id == w.ada {
			t.Errorf("the erased contact was reused")
		}
	})
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestPrivacyPurge: the periodic purge erases tickets closed longer than
// purge_closed_after by the app's clock, and nothing else.
func TestPrivacyPurge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		clock := &testClock{t: time.Now()}
		ma := startMailApp(t, d, nil, app.Deps{Now: clock.Now, PurgeInterval: 150 * time.Millisecond})
		a := ma.App
		ctx := context.Background()
		settingsPath := "/support/admin/settings/privacy"

		if r := do(t, a, req{method: "GET", path: settingsPath, header: bearer()}); r.Status != 200 || string(r.Body) != `{"purge_closed_after":null}` {
			t.Errorf("default privacy settings: %d %s", r.Status, r.Body)
		}
		for body, want := range map[string]string{
			`{"purge_closed_after":"1y"}`: "use a number", `{"purge_closed_after":"0d"}`: "at least", `{"purge_closed_after":5}`: "period",
		} {
			r := do(t, a, req{method: "PUT", path: settingsPath, body: body, header: bearer()})
			if r.Status != 422 || !strings.Contains(string(r.Body), want) {
				t.Errorf("PUT %s: %d %s", body, r.Status, r.Body)
			}
		}

		old := fileTicket(t, a, ticketBody("old@example.com")).json(t)["reference"].(string)
		recent := fileTicket(t, a, ticketBody("recent@example.com")).json(t)["reference"].(string)
		open := fileTicket(t, a, ticketBody("open@example.com")).json(t)["reference"].(string)
		// old@ also has an open ticket: the contact stays until that goes too.
		oldOpen := fileTicket(t, a, ticketBody("old2@example.com")).json(t)["reference"].(string)
		mails := ma.mail.Wait(4, 20*time.Second)
		var oldPortal string
		for _, m := range mails {
			if m.To[0] == "old@example.com" {
				oldPortal = portalPath(t, m.Envelope(t).Text)
			}
		}
		if _, err := a.Tickets.Close(ctx, ticketIDOf(t, old), tickets.StateChange{At: clock.Now()}); err != nil {
			t.Fatal(err)
		}

		// A year and a day later, with the purge still off: nothing happens.
		clock.Advance(366 * 24 * time.Hour)
		if _, err := a.Tickets.Close(ctx, ticketIDOf(t, recent), tickets.StateChange{At: clock.Now().Add(-24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if s := ticketDetail(t, a, old)["subject"]; s == "(erased)" {
			t.Fatal("purged while the purge was off")
		}

		r := do(t, a, req{method: "PUT", path: settingsPath, body: `{"purge_closed_after":"365d"}`, header: bearer()})
		if r.Status != 200 || string(r.Body) != `{"purge_closed_after":"365d"}` {
			t.Fatalf("PUT 365d: %d %s", r.Status, r.Body)
		}
		deadline := time.Now().Add(20 * time.Second)
		for ticketDetail(t, a, old)["subject"] != "(erased)" {
			if time.Now().After(deadline) {
				t.Fatal("the purge never erased the ticket closed a year ago")
			}
			time.Sleep(100 * time.Millisecond)
		}
		detail := ticketDetail(t, a, old)
		oldContact := detail["contact"].(map[string]any)
		if oldContact["email"] != fmt.Sprintf("erased-%d@invalid", int64(oldContact["id"].(float64))) || oldContact["name"] != "" {
			t.Errorf("the contact of the purged ticket = %v", oldContact)
		}
		for _, m := range detail["messages"].([]any) {
			if m.(map[string]any)["body"] != "" {
				t.Errorf("purged message: %v", m)
			}
		}
		if r := do(t, a, req{method: "GET", path: oldPortal}); r.Status != 404 {
			t.Errorf("portal of the purged ticket: %d", r.Status)
		}
		for _, ref := range []string{recent, open, oldOpen} {
			if d := ticketDetail(t, a, ref); d["subject"] == "(erased)" || d["messages"].([]any)[0].(map[string]any)["body"] == "" {
				t.Errorf("%s was purged: %v", ref, d)
			}
		}

		// Switching it off: null, and "" means the same.
		for _, body := range []string{`{"purge_closed_after":null}`, `{"purge_closed_after":""}`} {
			if r := do(t, a, req{method: "PUT", path: settingsPath, body: body, header: bearer()}); r.Status != 200 || string(r.Body) != `{"purge_closed_after":null}` {
				t.Errorf("PUT %s: %d %s", body, r.Status, r.Body)
			}
		}
		// Left out, the value stays; 14d is stored as 2w.
		do(t, a, req{method: "PUT", path: settingsPath, body: `{"purge_closed_after":"14d"}`, header: bearer()})
		if r := do(t, a, req{method: "PUT", path: settingsPath, body: `{}`, header: bearer()}); string(r.Body) != `{"purge_closed_after":"2w"}` {
			t.Errorf("PUT {}: %s", r.Body)
		}
		if r := do(t, a, req{method: "PUT", path: settingsPath, body: `{"purge_closed_after":"1d"}`}); r.Status != 401 {
			t.Errorf("PUT without credentials: %d", r.Status)
		}
	})
}

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPrivacyLogs runs a whole ticket's life with debug logging into a
// buffer: no address, name, portal token or secret may appear in clear.
func TestPrivacyLogs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		var logs lockedBuffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		w := buildPrivacyWorld(t, d, app.Deps{Logger: logger})
		a := w.ma.App
		// More of the flow: an inbound reply on her own ticket, pages that
		// fail, a portal page, an export and an erasure.
		outcome(t, postmark(t, a, pm{From: "ada@example.com", FromName: "Ada Lovelace", To: "help@acme.test",
			Subject: "Re: [" + w.adaRef + "] Printer on fire", Text: "Still burning", MessageID: "<ada-4@example.com>"}))
		do(t, a, req{method: "GET", path: w.adaPortal})
		do(t, a, req{method: "GET", path: w.adaPortal + "/attachments/999"})
		do(t, a, req{method: "GET", path: "/portal/" + strings.Repeat("ab", 32)})
		fileTicket(t, a, `{"email":"ada@example.com","name":"Ada Lovelace","subject":"","description":"x"}`)
		exportOf(t, a, w.ada)
		do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", w.ada), header: bearer()})
		do(t, a, req{method: "GET", path: w.adaPortal})
		time.Sleep(300 * time.Millisecond) // jobs in flight log too

		out := logs.String()
		if !strings.Contains(out, `"msg":"http"`) || !strings.Contains(out, "/portal/[token]") {
			t.Fatalf("the log capture missed the flow:\n%s", out)
		}
		token := strings.TrimPrefix(w.adaPortal, "/portal/")
		hex64 := regexp.MustCompile(`[0-9a-f]{64}`)
		for _, secret := range []string{"ada@example.com", "bob@example.com", "Lovelace", "Bob Builder", token, testSecret, testAPIToken,
			inboundSecret, "correct-horse-battery", "root@example.com"} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
				for _, line := range strings.Split(out, "\n") {
					if strings.Contains(strings.ToLower(line), strings.ToLower(secret)) {
						t.Errorf("the log holds %q: %s", secret, line)
						break
					}
				}
			}
		}
		if m := hex64.FindString(out); m != "" {
			t.Errorf("the log holds a 64-hex secret: %s", m)
		}
		// Any address at all is masked (x***@domain), but for our own
		// Message-IDs.
		for _, addr := range regexp.MustCompile(`[^\s"<>:]+@[^\s"<>]+`).FindAllString(out, -1) {
			if !strings.Contains(addr, "***@") && !regexp.MustCompile(`^ticket-\d+(-reply-\d+)?@`).MatchString(addr) {
				t.Errorf("the log holds the address %q", addr)
			}
		}
	})
}

// TestPrivacyGitHubRedaction: erasure edits the mirrored issue, its
// comments and the agents' comments about the customer through durable
// jobs; a participant's mirrored reply on someone else's issue is edited
// alone; a second erasure edits nothing.
func TestPrivacyGitHubRedaction(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		a := g.App
		adaRef := fileTicket(t, a, `{"email":"ada@example.com","name":"Ada Lovelace","subject":"Printer on fire","description":"My printer burns"}`).json(t)["reference"].(string)
		adaIssue := g.issueFor(t, adaRef)
		adaPortal := portalPath(t, g.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
		if r := form(t, a, adaPortal+"/replies", url.Values{"body": {"Smoke everywhere"}}); r.Status != 303 {
			t.Fatalf("portal reply: %d", r.Status)
		}
		dl, _ := g.gh.Comment(adaIssue.Number, "grace", "MEMBER", "/send Dear Ada, unplug it")
		g.deliverQueued(t, dl)
		dl, _ = g.gh.Comment(adaIssue.Number, "grace", "MEMBER", "Ada seems upset")
		g.deliverQueued(t, dl)
		g.mail.Wait(2, 20*time.Second)

		// Ada on Cc of Bob's ticket answers on her portal link there.
		bobRef := fileTicket(t, a, `{"email":"bob@example.com","name":"Bob Builder","subject":"Bob's question","description":"Bob asks"}`).json(t)["reference"].(string)
		bobIssue := g.issueFor(t, bobRef)
		addParticipant(t, g, ticketIDOf(t, bobRef), "ada@example.com", "Ada Lovelace")
		dl, _ = g.gh.Comment(bobIssue.Number, "grace", "MEMBER", "/sendall Hello both")
		g.deliverQueued(t, dl)
		got := g.mail.Wait(5, 20*time.Second)
		var adaOnBobs string
		for _, m := range got[3:] {
			if m.To[0] == "ada@example.com" {
				adaOnBobs = portalPath(t, m.Envelope(t).Text)
			}
		}
		if r := form(t, a, adaOnBobs+"/replies", url.Values{"body": {"Ada chimes in"}}); r.Status != 303 {
			t.Fatalf("ada's reply on bob's ticket: %d", r.Status)
		}
		g.ownComments(t, adaIssue.Number, 1)
		g.ownComments(t, bobIssue.Number, 1)
		g.deliverQueued(t, g.gh.Echo(g.ownComments(t, bobIssue.Number, 1)[0].ID)) // GitHub echoes portico's comment

		contact := contactOf(t, a, adaRef)
		r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contact), header: bearer()})
		if r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		leaks := []string{"ada@example.com", "Ada Lovelace", "My printer burns", "Printer on fire", "Smoke everywhere", "Dear Ada", "upset", "Ada chimes in"}
		clean := func(s string) bool {
			for _, l := range leaks {
				if strings.Contains(s, l) {
					return false
				}
			}
			return true
		}
		githubtest.Wait(t, "ada's issue and comments redacted", 20*time.Second, func() bool {
			for _, is := range g.gh.Issues() {
				if is.Number == adaIssue.Number && (!clean(is.Title) || !clean(is.Body)) {
					return false
				}
			}
			for _, c := range append(g.gh.Comments(adaIssue.Number), g.gh.Comments(bobIssue.Number)...) {
				if !clean(c.Body) {
					return false
				}
			}
			return true
		})
		for _, is := range g.gh.Issues() {
			switch is.Number {
			case adaIssue.Number:
				if is.Title != "["+adaRef+"] (erased)" || !strings.HasPrefix(is.Body, fmt.Sprintf("<!-- portico:ticket=%d -->\n🔒", ticketIDOf(t, adaRef))) {
					t.Errorf("ada's issue after erasure: %q\n%s", is.Title, is.Body)
				}
			case bobIssue.Number:
				if is.Title != "["+bobRef+"] Bob's question" || !strings.Contains(is.Body, "Bob asks") {
					t.Errorf("bob's issue was touched: %q\n%s", is.Title, is.Body)
				}
			}
		}
		for _, c := range g.gh.Comments(adaIssue.Number) {
			if !strings.Contains(c.Body, "🔒") {
				t.Errorf("comment on ada's issue not redacted: %s", c.Body)
			}
			if c.User == g.gh.BotLogin && !strings.HasPrefix(c.Body, "<!-- portico:message=") {
				t.Errorf("portico's comment lost its marker: %s", c.Body)
			}
		}
		for _, c := range g.gh.Comments(bobIssue.Number) {
			redacted := strings.Contains(c.Body, "🔒")
			if (c.User == g.gh.BotLogin) != redacted {
				t.Errorf("on bob's issue only ada's mirrored reply is redacted: %s", c.Body)
			}
		}

		// A second erasure queues no edits.
		settle()
		before := len(g.gh.Calls(githubtest.RouteEditIssue)) + len(g.gh.Calls(githubtest.RouteEditComment))
		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contact), header: bearer()}); r.Status != 200 || r.json(t)["already_erased"] != true {
			t.Fatalf("second erase: %d %s", r.Status, r.Body)
		}
		settle()
		if after := len(g.gh.Calls(githubtest.RouteEditIssue)) + len(g.gh.Calls(githubtest.RouteEditComment)); after != before {
			t.Errorf("the second erasure made %d more edits", after-before)
		}
		if before != 5 {
			t.Errorf("%d edits, want 5 (issue, portal reply, /send, note on ada's; ada's reply on bob's)", before)
		}
	})
}
