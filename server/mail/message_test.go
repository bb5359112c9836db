package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBytesRejectsInjection(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*Message){
		"subject CRLF":       func(m *Message) { m.Subject = "hi\r\nBcc: victim@example.net" },
		"subject LF":         func(m *Message) { m.Subject = "hi\nBcc: victim@example.net" },
		"subject CR":         func(m *Message) { m.Subject = "hi\rBcc: victim@example.net" },
		"subject NUL":        func(m *Message) { m.Subject = "hi\x00" },
		"from name":          func(m *Message) { m.From.Name = "Support\r\nBcc: victim@example.net" },
		"to name":            func(m *Message) { m.To.Name = "Jane\nX-Evil: 1" },
		"to email":           func(m *Message) { m.To.Email = "jane@example.org\r\nBcc: victim@example.net" },
		"to with name":       func(m *Message) { m.To.Email = "Jane <jane@example.org>" },
		"to list":            func(m *Message) { m.To.Email = "jane@example.org, victim@example.net" },
		"to empty":           func(m *Message) { m.To.Email = "" },
		"to not an address":  func(m *Message) { m.To.Email = "jane" },
		"from email":         func(m *Message) { m.From.Email = "support@example.com\nBcc: x@y" },
		"reply-to":           func(m *Message) { m.ReplyTo = "reply+1.abcdef01@example.com\r\nBcc: x@y" },
		"reply-to with name": func(m *Message) { m.ReplyTo = "R <reply+1.abcdef01@example.com>" },
		"message-id CRLF":    func(m *Message) { m.MessageID = "<a@b>\r\nBcc: x@y" },
		"message-id bare":    func(m *Message) { m.MessageID = "a@b" },
		"message-id empty":   func(m *Message) { m.MessageID = "" },
		"message-id no at":   func(m *Message) { m.MessageID = "<ab>" },
		"message-id space":   func(m *Message) { m.MessageID = "<a b@c>" },
		"message-id nested":  func(m *Message) { m.MessageID = "<a<b@c>" },
		"in-reply-to":        func(m *Message) { m.InReplyTo = "<a@b>\nX: y" },
		"references":         func(m *Message) { m.References = []string{"<a@b>", "<c@d>\r\nBcc: x@y"} },
		"references two":     func(m *Message) { m.References = []string{"<a@b> <c@d>"} },
		"no body":            func(m *Message) { m.Text, m.HTML = "", "" },
		"content-language":   func(m *Message) { m.Language = "de\r\nBcc: victim@example.net" },
	}
	for name, mutate := range cases {
		m := xssMessage(t, false)
		mutate(&m)
		b, err := m.Bytes(time.Now())
		if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) || b != nil {
			t.Errorf("%s: Bytes = %d bytes, %v; want ErrInvalidMessage", name, len(b), err)
		}
	}
}

func TestBytesHeaders(t *testing.T) {
	t.Parallel()
	m := xssMessage(t, false)
	m.HTML = "" // text only: a single text/plain part
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	b, err := m.Bytes(now)
	if err != nil {
		t.Fatal(err)
	}
	env := parse(t, b)
	if got := env.GetHeader("Message-ID"); got != m.MessageID {
		t.Errorf("Message-ID = %q, want %q", got, m.MessageID)
	}
	if got := env.GetHeader("Date"); got != "Wed, 04 Mar 2026 05:06:07 +0100" {
		t.Errorf("Date = %q", got)
	}
	if env.Root.ContentType != "text/plain" || env.HTML != "" {
		t.Errorf("text-only message is %s", env.Root.ContentType)
	}
	for _, h := range []string{"User-Agent", "X-Mailer", "Bcc", "Cc", "Content-Language"} {
		if v := env.GetHeaderValues(h); len(v) != 0 {
			t.Errorf("unexpected %s: %q", h, v)
		}
	}
	// The language a mail is written in, for clients that read it out or
	// offer a translation.
	m.Language = "de"
	b, err = m.Bytes(now)
	if err != nil {
		t.Fatal(err)
	}
	if got := parse(t, b).GetHeaderValues("Content-Language"); len(got) != 1 || got[0] != "de" {
		t.Errorf("Content-Language = %q", got)
	}
	// Tabs are harmless in a header and survive.
	m.Subject = "a\tb"
	if _, err := m.Bytes(now); err != nil {
		t.Errorf("tab refused: %v", err)
	}
	// Header lines stay within RFC 5322's 998 characters even for long
	// reference chains.
	m.References = nil
	for i := range 40 {
		m.References = append(m.References, ReplyMessageID(42, int64(i), testDomain))
	}
	b, err = m.Bytes(now)
	if err != nil {
		t.Fatal(err)
	}
	head := string(b[:strings.Index(string(b), "\r\n\r\n")])
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d characters", len(line))
		}
	}
	if got := strings.Fields(parse(t, b).GetHeader("References")); len(got) != 40 || got[39] != m.References[39] {
		t.Errorf("References = %q", got)
	}
}
