package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// passing are the verdict headers a Postmark mail from example.com carries
// when SPF, DKIM and DMARC pass (so the sender counts as authenticated).
var passing = map[string]string{
	"Received-SPF":           "Pass (mx.postmarkapp.com: domain of sender@example.com designates 192.0.2.1 as permitted sender)",
	"Authentication-Results": "mx.postmarkapp.com; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com",
}

// The confirmation goes to an address nobody verified: it must not carry a
// word the submitter chose, or portico relays phishing under the company's
// name. Widget and inbound mail alike; the portal (behind the link) shows it.
func TestConfirmationEchoesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		hostile := []string{"phish", "Click", "locked", "Dear customer", "Bank Security", "Urgent", "verify your card"}
		body, _ := json.Marshal(map[string]string{
			"email": "victim@example.com", "name": "Click https://phish.example/login now",
			"subject":     "Your account is locked: https://phish.example/unlock",
			"description": "Dear customer, verify your card at https://phish.example/verify?u=1\n<a href=\"https://phish.example\">here</a>",
		})
		r := fileTicket(t, ma.App, string(body))
		if r.Status != 201 {
			t.Fatalf("widget: %d %s", r.Status, r.Body)
		}
		webRef := r.json(t)["reference"].(string)
		o, mailRef := outcome(t, postmark(t, ma.App, pm{From: "victim2@example.com", FromName: "Bank Security https://phish.example",
			To: "help@acme.test", Subject: "Urgent: https://phish.example/pay", Text: "Dear customer, verify your card at https://phish.example/pay",
			MessageID: "<relay-" + string(d) + "@example.com>", Extra: passing}))
		if o != "created" {
			t.Fatalf("inbound: %s", o)
		}
		for _, got := range ma.mail.Wait(2, 20*time.Second) {
			env := got.Envelope(t)
			ref := webRef
			if got.To[0] == "victim2@example.com" {
				ref = mailRef
			}
			if subj := env.GetHeader("Subject"); subj != "["+ref+"] We received your request" {
				t.Errorf("%s: Subject = %q", got.To[0], subj)
			}
			headers := ""
			for k, vs := range env.Root.Header {
				headers += k + ": " + strings.Join(vs, ", ") + "\n"
			}
			for _, part := range []struct{ name, s string }{{"headers", headers}, {"text", env.Text}, {"html", env.HTML}, {"raw", string(got.Raw)}} {
				for _, h := range hostile {
					if strings.Contains(strings.ToLower(part.s), strings.ToLower(h)) {
						t.Errorf("%s: the confirmation's %s carries %q:\n%s", got.To[0], part.name, h, part.s)
					}
				}
			}
			if !strings.Contains(env.Text, "Reference: "+ref) {
				t.Errorf("%s: no reference in the text:\n%s", got.To[0], env.Text)
			}
			page := do(t, ma.App, req{method: "GET", path: portalPath(t, env.Text)})
			if page.Status != 200 || !strings.Contains(string(page.Body), "verify your card") {
				t.Errorf("%s: the portal does not show the request: %d", got.To[0], page.Status)
			}
		}
	})
}

// One address gets at most PORTICO_MAIL_LIMIT_PER_RECIPIENT (default 20 an
// hour) automatic mails, whichever channel files the tickets: the 21st
// confirmation is dropped (recorded, not retried), its ticket is filed, and
// agent replies and other addresses are not affected.
func TestMailLimitPerRecipient(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := inboundEnv(t, d)
		ma := startMailApp(t, d, vars, app.Deps{})
		db := storeOf(t, d, vars, nil)
		var ids []int64
		for i := range 10 { // the widget allows 10 an hour per address
			r := fileTicket(t, ma.App, fmt.Sprintf(`{"email":"flood@example.com","subject":"w%d","description":"d"}`, i))
			if r.Status != 201 {
				t.Fatalf("widget %d: %d %s", i, r.Status, r.Body)
			}
			ids = append(ids, ticketIDOf(t, r.json(t)["reference"].(string)))
		}
		for i := range 11 { // spoofable inbound mail has no such limit
			o, ref := outcome(t, postmark(t, ma.App, pm{From: "flood@example.com", To: "help@acme.test", Subject: fmt.Sprintf("m%d", i),
				Text: "t", MessageID: fmt.Sprintf("<flood-%d-%s@example.com>", i, d), Extra: passing}))
			if o != "created" {
				t.Fatalf("inbound %d: %s", i, o)
			}
			ids = append(ids, ticketIDOf(t, ref))
		}
		ma.mail.Wait(20, 30*time.Second)

		// Every confirmation settles: 20 sent, 1 dropped with its reason.
		var sent, dropped int
		deadline := time.Now().Add(30 * time.Second)
		for {
			sent, dropped = 0, 0
			pending := false
			for _, id := range ids {
				ms, err := db.OutboundMails(context.Background(), id)
				if err != nil || len(ms) != 1 {
					t.Fatalf("mails of %d: %v %v", id, ms, err)
				}
				switch m := ms[0]; {
				case m.Status == model.MailSent:
					sent++
				case m.Status == model.MailFailed && strings.HasPrefix(m.LastError, mail.DroppedPrefix) &&
					strings.Contains(m.LastError, "PORTICO_MAIL_LIMIT_PER_RECIPIENT"):
					dropped++
				case m.Status == model.MailPending:
					pending = true
				default:
					t.Fatalf("mail %d: %s %q", m.ID, m.Status, m.LastError)
				}
			}
			if !pending || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if sent != 20 || dropped != 1 {
			t.Errorf("%d confirmations sent, %d dropped; want 20 and 1", sent, dropped)
		}
		if n, _ := inventory(t, ma.App); n != 21 {
			t.Errorf("%d tickets, want 21 (the ticket is filed even when its mail is dropped)", n)
		}

		// Agent mail is the product: never counted, never dropped.
		if _, err := ma.Tickets.SendAgentReply(context.Background(), tickets.AgentReply{Source: model.SourceGitHub, TicketID: ids[0], AuthorName: "Grace", BodyText: "We are on it."}); err != nil {
			t.Fatal(err)
		}
		if r := fileTicket(t, ma.App, ticketBody("someone-else@example.com")); r.Status != 201 {
			t.Fatalf("other address: %d", r.Status)
		}
		got := ma.mail.Wait(22, 30*time.Second)
		if mailTo(t, got[20:], "someone-else@example.com") == nil || mailTo(t, got[20:], "flood@example.com") == nil {
			t.Errorf("the agent reply or another address's confirmation did not go out")
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(ma.mail.Received()); n != 22 {
			t.Errorf("%d mails arrived, want 22", n)
		}
	})
}
