// Package logmask keeps personal data and secrets out of logs: email
// addresses masked, portal tokens stripped from paths and free text. It is
// wrapped around the process's slog handler at start-up.
package logmask

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Log lines are kept free of personal data where they are written (ids, not
// addresses; MaskEmail where an address helps). LogHandler is the net under
// that for text portico does not write itself: an SMTP server's refusal
// quoting the recipient, a job error River logs, a customer's Message-ID.

// emailLike matches addresses, also inside <…> and after "mailto:".
var emailLike = regexp.MustCompile(`[\p{L}\p{N}._%+\-=]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)

// ownMessageID matches the local part of portico's own Message-IDs
// (ticket-12@…, ticket-12-reply-34@…): no personal data, and they say which
// mail a line is about.
var ownMessageID = regexp.MustCompile(`^ticket-\d+(?:-reply-\d+)?$`)

// secretHex matches portal tokens (and any other 64-hex value) wherever they
// appear, not only in paths.
var secretHex = regexp.MustCompile(`\b[0-9a-fA-F]{64}\b`)

// Scrub masks email addresses (MaskEmail) and 64-hex tokens in free text.
func Scrub(s string) string {
	if strings.Contains(s, "@") {
		s = emailLike.ReplaceAllStringFunc(s, func(addr string) string {
			if local, _, _ := strings.Cut(addr, "@"); ownMessageID.MatchString(local) {
				return addr
			}
			return MaskEmail(addr)
		})
	}
	if len(s) >= 64 {
		s = secretHex.ReplaceAllString(s, "[token]")
	}
	return s
}

// LogHandler wraps h so that every message and attribute (errors, groups,
// values that print as text) goes through Scrub.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(scrubHandler); ok {
		return h
	}
	return scrubHandler{h}
}

type scrubHandler struct{ next slog.Handler }

func (s scrubHandler) Enabled(ctx context.Context, l slog.Level) bool { return s.next.Enabled(ctx, l) }

func (s scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return s.next.Handle(ctx, out)
}

func (s scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = scrubAttr(a)
	}
	return scrubHandler{s.next.WithAttrs(clean)}
}

func (s scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{s.next.WithGroup(name)}
}

func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = scrubAttr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Scrub(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Scrub(x.String()))
		case []string:
			clean := make([]string, len(x))
			for i, s := range x {
				clean[i] = Scrub(s)
			}
			return slog.Any(a.Key, clean)
		default:
			if text := fmt.Sprint(x); Scrub(text) != text {
				return slog.String(a.Key, Scrub(text))
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// MaskEmail keeps the first letter of the local part and the domain:
// "dana@example.org" → "d***@example.org". Anything without an @ is masked
// whole.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(email), "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// portalToken matches the secret part of portal URLs.
var portalToken = regexp.MustCompile(`(?i)(/portal/(?:signin/)?)[0-9a-f]{16,}`)

// RedactPath removes secret tokens from a request path before it is logged.
func RedactPath(path string) string {
	if !strings.Contains(path, "/portal/") {
		return path
	}
	return portalToken.ReplaceAllString(path, "${1}[token]")
}
