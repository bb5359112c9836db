package logmask

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"dana@example.org": "d***@example.org", " Émile@exemple.fr ": "É***@exemple.fr", "nope": "***", "@x.org": "***", "": "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactPath(t *testing.T) {
	tok := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for in, want := range map[string]string{
		"/portal/" + tok:                    "/portal/[token]",
		"/portal/" + tok + "/replies":       "/portal/[token]/replies",
		"/portal/" + tok + "/attachments/3": "/portal/[token]/attachments/3",
		"/support/widget/tickets":           "/support/widget/tickets",
		"/portal/short":                     "/portal/short",
		"/portal/signin/" + tok:             "/portal/signin/[token]",
		"/portal/tickets/TK-12":             "/portal/tickets/TK-12",
	} {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	tok := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for in, want := range map[string]string{
		"550 5.1.1 <Ada.Lovelace@example.com>: Recipient address rejected": "550 5.1.1 <A***@example.com>: Recipient address rejected",
		"to Émile@exemple.fr and bob+tag@mail.example.org":                 "to É***@exemple.fr and b***@mail.example.org",
		"reply+12.deadbeef@acme.test":                                      "r***@acme.test",
		"<ticket-12@acme.test> <ticket-12-reply-34@acme.test>":             "<ticket-12@acme.test> <ticket-12-reply-34@acme.test>",
		"<ticket-12x@acme.test>":                                           "<t***@acme.test>",
		"GET /portal/" + tok + "/replies":                                  "GET /portal/[token]/replies",
		"token=" + tok:                                                     "token=[token]",
		"nothing to see @ all":                                             "nothing to see @ all",
		"":                                                                 "",
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("who", "ada@example.com")
	log = slog.New(LogHandler(log.Handler())) // wrapping twice scrubs once
	log.WithGroup("g").Info("mail to ada@example.com failed",
		"err", errors.New("smtp: 550 <ada@example.com> unknown"),
		"list", []string{"x@example.com"},
		"str", stringer("y@example.com"),
		"map", map[string]string{"to": "z@example.com"},
		"n", 42,
		slog.Group("inner", "to", "w@example.com"),
		"ok", "<ticket-1@acme.test>")
	out := buf.String()
	for _, leak := range []string{"ada@", "x@", "y@", "z@", "w@"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q leaked: %s", leak, out)
		}
	}
	for _, keep := range []string{`"n":42`, `<ticket-1@acme.test>`, `a***@example.com`, `"inner":{"to":"w***@example.com"}`} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q missing: %s", keep, out)
		}
	}
}
