package inbound

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/server/model"
)

func TestParseMIME(t *testing.T) {
	type att struct{ Filename, ContentType string }
	tests := []struct {
		file        string
		from        model.Address
		to, cc      []model.Address
		subject     string
		messageID   string
		inReplyTo   string
		references  []string
		returnPath  string
		contentType string
		text        string // substring of Text
		html        string // substring of HTML
		body        string // StripQuoted(BodyText(m))
		atts        []att
		auto        string // AutoReplyReason
	}{
		{
			file:        "gmail_reply.eml", // multipart/alternative, quoted-printable UTF-8
			from:        model.Address{Name: "Jane Doe", Email: "jane.doe@gmail.com"},
			to:          []model.Address{{Name: "Support", Email: "reply+42.1a2b3c4d@support.example.com"}},
			cc:          []model.Address{{Name: "Bob Martin", Email: "bob@example.org"}, {Email: "accounts@example.org"}},
			subject:     "Re: [TK-42] Invoice shows the wrong VAT régime",
			messageID:   "<CAF=1q2w3e4r5t6y7u8i9o0p@mail.gmail.com>",
			inReplyTo:   "<ticket-42-reply-7@support.example.com>",
			references:  []string{"<ticket-42@support.example.com>", "<ticket-42-reply-7@support.example.com>"},
			returnPath:  "jane.doe@gmail.com",
			contentType: "multipart/alternative",
			text:        "Café receipts are attached in the next mail.",
			html:        `<div class="gmail_quote">`,
			body:        "Thanks, the new invoice looks right. Café receipts are attached in the next mail.\n\nJane",
		},
		{
			file:        "outlook_reply.eml", // base64, Windows-1252, Outlook header block
			from:        model.Address{Name: "Jürgen Müller", Email: "juergen.mueller@example.de"},
			to:          []model.Address{{Name: "reply+42.1a2b3c4d@support.example.com", Email: "reply+42.1a2b3c4d@support.example.com"}},
			subject:     "AW: [TK-42] Invoice shows the wrong VAT regime",
			messageID:   "<AM6PR05MB1234A1B2C3D4E5F6@AM6PR05MB1234.eurprd05.prod.outlook.com>",
			inReplyTo:   "<ticket-42-reply-7@support.example.com>",
			returnPath:  "juergen.mueller@example.de",
			contentType: "text/plain",
			text:        "That’s fixed now – thank you! The € amount is correct.",
			body:        "Hi team,\n\nThat’s fixed now – thank you! The € amount is correct.\n\nKind regards,\nJürgen Müller\nFinance | Example GmbH",
		},
		{
			file:        "latin1_qp.eml", // ISO-8859-1 quoted-printable, French attribution
			from:        model.Address{Name: "André Lefèvre", Email: "andre.lefevre@example.fr"},
			to:          []model.Address{{Email: "reply+42.1a2b3c4d@support.example.com"}},
			subject:     "Re\u00a0: [TK-42] Problème de connexion",
			messageID:   "<5f3c9a1e-2b7d-4c1a-9e8f-aa11bb22cc33@example.fr>",
			references:  []string{"<ticket-42@support.example.com>"},
			contentType: "text/plain",
			text:        "Le problème persiste après la mise à jour. Ça bloque toute l'équipe.",
			body:        "Bonjour,\n\nLe problème persiste après la mise à jour. Ça bloque toute l'équipe.\n\nCordialement,\nAndré",
		},
		{
			file:        "cp1252_as_latin1.eml", // 8bit Windows-1252 labelled ISO-8859-1
			from:        model.Address{Name: "Marie Curie", Email: "marie@example.com"},
			to:          []model.Address{{Email: "support@support.example.com"}},
			subject:     "Pricing question",
			messageID:   "<1234.5678@example.com>",
			contentType: "text/plain",
			body:        "The “Pro” plan costs €49 – please confirm.",
		},
		{
			file:        "attachments.eml", // mixed > related > alternative, inline image, RFC 2231 name
			from:        model.Address{Name: "Tom Baker", Email: "tom@example.net"},
			to:          []model.Address{{Name: "Support", Email: "support@support.example.com"}},
			subject:     "Screenshot of the error",
			messageID:   "<att-test-1@example.net>",
			contentType: "multipart/mixed",
			html:        `<img src="cid:shot@example.net">`,
			body:        "See the screenshot below and the PDF.",
			atts: []att{
				{"invoice-2024-117.pdf", "application/pdf"},
				{"übersicht.txt", "text/plain"},
				{"screenshot.png", "image/png"},
			},
		},
		{
			file:        "dsn_bounce.eml",
			from:        model.Address{Name: "Mail Delivery System", Email: "mailer-daemon@mx.example.org"},
			to:          []model.Address{{Email: "reply+42.1a2b3c4d@support.example.com"}},
			subject:     "Undelivered Mail Returned to Sender",
			messageID:   "<20240514100000.ABC1234@mx.example.org>",
			returnPath:  "<>",
			contentType: "multipart/report",
			text:        "550 5.1.1 User unknown",
			body:        "This is the mail system at host mx.example.org.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<nobody@example.org>: host mx.example.org said: 550 5.1.1 User unknown",
			atts:        []att{{"part-2.txt", "message/delivery-status"}, {"part-3.txt", "text/rfc822-headers"}},
			auto:        "sender is mailer-daemon (bounce)",
		},
		{
			file:        "html_only_base64.eml", // no text part: BodyText converts the HTML
			from:        model.Address{Name: "Lee Chang", Email: "lee@example.com"},
			to:          []model.Address{{Email: "support@support.example.com"}},
			subject:     "Re: [TK-7] Cancel order",
			messageID:   "<html-only-1@example.com>",
			inReplyTo:   "<ticket-7@support.example.com>",
			contentType: "text/html",
			html:        "go ahead &amp; cancel",
			body:        "Yes, please go ahead & cancel it.\n\nThanks,\nLee",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := ParseMIME(fixture(t, "mime/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var atts []att
			for _, a := range m.Attachments {
				atts = append(atts, att{a.Filename, a.ContentType})
			}
			checks := []struct {
				name      string
				got, want any
			}{
				{"From", m.From, tt.from},
				{"To", m.To, tt.to},
				{"Cc", m.Cc, tt.cc},
				{"Subject", m.Subject, tt.subject},
				{"MessageID", m.MessageID, tt.messageID},
				{"InReplyTo", m.InReplyTo, tt.inReplyTo},
				{"References", m.References, tt.references},
				{"ReturnPath", m.ReturnPath, tt.returnPath},
				{"ContentType", m.ContentType, tt.contentType},
				{"Text", strings.Contains(m.Text, tt.text), true},
				{"HTML", strings.Contains(m.HTML, tt.html), true},
				{"Body", StripQuoted(BodyText(m)), tt.body},
				{"Attachments", atts, tt.atts},
				{"AutoReplyReason", AutoReplyReason(m, "support.example.com"), tt.auto},
				{"Provider", m.Provider, ""},
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestParseMIMEHeaders(t *testing.T) {
	raw := "From: a@example.com\r\n" +
		"To: b@example.com\r\n" +
		"Message-ID: bare-id@example.com\r\n" +
		"In-Reply-To: <x@example.com> (Jane's message of Mon)\r\n" +
		"References: <r1@example.com>\r\n\t<r2@example.com>,<r3@example.com>\r\n" +
		"Subject: =?UTF-8?B?w5xiZXJzaWNodA==?=\r\n" +
		"X-Autoreply: yes\r\n" +
		"\r\nhello\x00 world\xff\r\n"
	m, err := ParseMIME([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != "<bare-id@example.com>" || m.InReplyTo != "<x@example.com>" {
		t.Errorf("MessageID %q InReplyTo %q", m.MessageID, m.InReplyTo)
	}
	if want := []string{"<r1@example.com>", "<r2@example.com>", "<r3@example.com>"}; !reflect.DeepEqual(m.References, want) {
		t.Errorf("References = %q", m.References)
	}
	if m.Subject != "Übersicht" || m.Header("X-Autoreply") != "yes" || m.Header("Message-Id") != "bare-id@example.com" {
		t.Errorf("Subject %q X-Autoreply %q Message-Id %q", m.Subject, m.Header("X-Autoreply"), m.Header("Message-Id"))
	}
	// NUL and invalid UTF-8 never reach the store.
	if !utf8Clean(m.Text) || !strings.HasPrefix(m.Text, "hello world") {
		t.Errorf("Text = %q", m.Text)
	}
	if got := AutoReplyReason(m, ""); got != "X-Autoreply header" {
		t.Errorf("AutoReplyReason = %q", got)
	}
}

func TestParseMIMEUnparsable(t *testing.T) {
	for _, raw := range []string{"", "  \r\n", "\r\n\r\njust a body"} {
		if _, err := ParseMIME([]byte(raw)); !errors.Is(err, ErrUnparsable) {
			t.Errorf("ParseMIME(%q) error = %v, want ErrUnparsable", raw, err)
		}
	}
}

func FuzzParseMIME(f *testing.F) {
	for _, name := range []string{"gmail_reply.eml", "outlook_reply.eml", "latin1_qp.eml", "attachments.eml", "dsn_bounce.eml", "html_only_base64.eml"} {
		f.Add(fixture(f, "mime/"+name))
	}
	f.Add([]byte("Content-Type: multipart/mixed\r\n\r\n--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMIME(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error %v does not wrap ErrUnparsable", err)
			}
			return
		}
		checkInvariants(t, m)
	})
}
