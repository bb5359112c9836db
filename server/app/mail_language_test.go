package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// langMail is what a delivered mail says about its language.
type langMail struct {
	to, subject, lang, text, html string
}

func langMails(t *testing.T, mails *mailCounter, n int) map[string]langMail {
	t.Helper()
	out := map[string]langMail{}
	for _, m := range mails.next(t, n) {
		env := m.Envelope(t)
		out[m.To[0]] = langMail{to: m.To[0], subject: env.GetHeader("Subject"), lang: env.GetHeader("Content-Language"),
			text: strings.ReplaceAll(env.Text, "\r\n", "\n"), html: env.HTML}
	}
	return out
}

// wantLang checks a mail's Content-Language, <html lang>, subject and one
// sentence of its text.
func wantLang(t *testing.T, what string, m langMail, lang, subject, sentence string) {
	t.Helper()
	if m.lang != lang || !strings.Contains(m.html, `<html lang="`+lang+`">`) {
		t.Errorf("%s to %s: Content-Language %q, want %s; HTML starts %.120q", what, m.to, m.lang, lang, m.html)
	}
	if m.subject != subject {
		t.Errorf("%s to %s: Subject %q, want %q", what, m.to, m.subject, subject)
	}
	if !strings.Contains(m.text, sentence) {
		t.Errorf("%s to %s lacks %q:\n%s", what, m.to, sentence, m.text)
	}
}

// contactLocale is the language stored on the contact of a ticket, as the
// privacy export shows it.
func contactLocale(t *testing.T, a *app.App, ref string) string {
	t.Helper()
	doc, raw := exportOf(t, a, contactOf(t, a, ref))
	if doc.Contact.Locale == nil {
		t.Fatalf("the export has no locale: %s", raw)
	}
	return *doc.Contact.Locale
}

// TestMailLanguage: every customer mail speaks the recipient's language,
// chosen when it is sent: the contact's (from the widget, or the
// Content-Language of the mail that opened their ticket), else the admin's
// default_language, else English; on a /sendall each recipient gets their
// own.
func TestMailLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		a := ma.App
		mails := &mailCounter{srv: ma.mail}

		// A widget ticket filed in German: a German confirmation, and the
		// agent's later reply in German too.
		tk, err := a.Tickets.CreateFromWidget(ctx, tickets.WidgetSubmission{Email: "Anna@Example.com", Name: "Anna Schmidt",
			Subject: "Drucker", Description: "Der Drucker druckt nicht.", Language: "de", ClientIP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		first := fmt.Sprintf("<ticket-%d@acme.test>", tk.ID)
		m := langMails(t, mails, 1)["anna@example.com"]
		wantLang(t, "confirmation", m, "de", "["+tk.Reference+"] Wir haben Ihre Anfrage erhalten", "Vorgangsnummer: "+tk.Reference)
		if !strings.HasPrefix(m.text, "Guten Tag,\n") || !strings.Contains(m.text, "Unterhaltung ansehen: http") {
			t.Errorf("German confirmation:\n%q", m.text)
		}
		if got := contactLocale(t, a, tk.Reference); got != "de" {
			t.Errorf("the contact's language = %q", got)
		}
		if _, err := a.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: tk.ID, AuthorName: "grace", BodyText: "Bitte neu starten."}); err != nil {
			t.Fatal(err)
		}
		m = langMails(t, mails, 1)["anna@example.com"]
		wantLang(t, "agent reply", m, "de", "["+tk.Reference+"] Drucker", "Guten Tag Anna Schmidt,\n\ngrace hat auf Ihre Anfrage "+tk.Reference+" geantwortet:\n\nBitte neu starten.")

		// A ticket by mail with Content-Language: its sender is written to
		// in that language; one portico does not speak is not stored.
		_, carlRef := outcome(t, postmark(t, a, pm{From: "carl@example.com", To: "help@acme.test", Subject: "Factura",
			Text: "¿Dónde está mi factura?", MessageID: "<carl-1@example.com>", Extra: map[string]string{"Content-Language": "es-MX"}}))
		m = langMails(t, mails, 1)["carl@example.com"]
		wantLang(t, "confirmation by mail", m, "es", "["+carlRef+"] Hemos recibido su solicitud", "Hola:\n")
		if got := contactLocale(t, a, carlRef); got != "es" {
			t.Errorf("Content-Language: es-MX stored %q", got)
		}
		_, junRef := outcome(t, postmark(t, a, pm{From: "jun@example.com", To: "help@acme.test", Subject: "質問",
			Text: "こんにちは", MessageID: "<jun-1@example.com>", Extra: map[string]string{"Content-Language": "ja"}}))
		m = langMails(t, mails, 1)["jun@example.com"]
		wantLang(t, "confirmation to an unknown language", m, "en", "["+junRef+"] We received your request", "Hello,\n")
		if got := contactLocale(t, a, junRef); got != "" {
			t.Errorf("Content-Language: ja stored %q", got)
		}

		// The admin's default speaks to whoever has no language of their
		// own, the contacts who have one keep theirs.
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/portal", body: `{"default_language":"fr"}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("default_language fr: %d %s", r.Status, r.Body)
		}
		eve := fileTicket(t, a, `{"email":"eve@example.com","subject":"Question","description":"Hello?"}`).json(t)["reference"].(string)
		m = langMails(t, mails, 1)["eve@example.com"]
		wantLang(t, "confirmation under default_language fr", m, "fr", "["+eve+"] Nous avons bien reçu votre demande", "Bonjour,\n")
		if got := contactLocale(t, a, eve); got != "" {
			t.Errorf("the default was stored on the contact: %q", got)
		}

		// Anna answers with Carl (a contact, Spanish) and Dora (no contact)
		// on Cc; /sendall writes to each in their language.
		if o, _ := outcome(t, postmark(t, a, pm{From: "anna@example.com", To: "help@acme.test", Cc: "carl@example.com, dora@example.com",
			Subject: "Re: [" + tk.Reference + "] Drucker", Text: "Geht immer noch nicht.", MessageID: "<anna-2@example.com>", InReplyTo: first})); o != "appended" {
			t.Fatalf("anna's reply: %s", o)
		}
		recips, err := a.Tickets.Recipients(ctx, tk.ID)
		if err != nil || len(recips) != 3 {
			t.Fatalf("recipients = %v, %v", recips, err)
		}
		if _, err := a.Tickets.SendAgentReply(ctx, tickets.AgentReply{Source: model.SourceGitHub, TicketID: tk.ID, AuthorName: "grace", BodyText: "To all.", To: recips}); err != nil {
			t.Fatal(err)
		}
		got := langMails(t, mails, 3)
		subject := "[" + tk.Reference + "] Drucker"
		wantLang(t, "/sendall", got["anna@example.com"], "de", subject, "grace hat auf Ihre Anfrage")
		wantLang(t, "/sendall", got["carl@example.com"], "es", subject, "grace ha respondido a su solicitud")
		wantLang(t, "/sendall", got["dora@example.com"], "fr", subject, "grace a répondu à votre demande")
		for to, m := range got {
			if !strings.Contains(m.text, "To all.") {
				t.Errorf("/sendall to %s lacks the reply:\n%s", to, m.text)
			}
		}

		// The status mail follows the same rule.
		adminPost(t, a, "/support/admin/tickets/"+tk.Reference+"/close")
		m = langMails(t, mails, 1)["anna@example.com"]
		wantLang(t, "close mail", m, "de", "["+tk.Reference+"] Ihre Anfrage ist abgeschlossen", "Gut: http")
		settle()
		mails.none(t, "after the close")
	})
}
