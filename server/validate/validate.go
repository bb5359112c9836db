// Package validate is the one place the field rules live. The server uses it
// and the widget compiles it to WebAssembly, so it depends on the standard
// library only and avoids fmt, encoding/json, net and regexp, which would
// bloat the wasm binary. A guard test enforces this.
//
// Validators return "" for a valid value, or a message meant to follow the
// field's label ("must be at most 500 characters"). Lengths count characters
// (runes), not bytes. Callers trim inputs with Trim before validating.
package validate

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits, in characters.
const (
	MaxEmail       = 320
	MaxEmailLocal  = 64  // the part before @
	MaxEmailDomain = 255 // the part after @
	MaxDomainLabel = 63  // one dot-separated part of a domain
	MaxName        = 255
	MaxSubject     = 500
	MaxDescription = 10000
	MaxPriorities  = 10
	MaxPriority    = 32
)

// Field names used as keys in the map returned by Ticket.
const (
	FieldEmail       = "email"
	FieldName        = "name"
	FieldSubject     = "subject"
	FieldDescription = "description"
	FieldPriority    = "priority"
)

const (
	msgRequired      = "is required"
	msgEmail         = "is not a valid email address"
	msgInvalidUTF8   = "contains invalid characters"
	msgControlName   = "must not contain tabs, line breaks or other control characters"
	msgControlLine   = "must not contain line breaks or other control characters"
	msgControlText   = "must not contain control characters other than tabs and line breaks"
	msgColor         = "must be a hex color like #1a73e8 or #fff"
	msgPosition      = "must be bottom-right or bottom-left"
	msgOrigin        = "must be * or an origin like https://example.com"
	msgOriginPath    = "must not contain a path, query or fragment (remove everything after the host and port)"
	msgOriginCase    = "must be lowercase, like https://example.com"
	msgOriginPort    = "must have a port between 1 and 65535"
	msgOriginDefault = "must leave out the default port (:80 for http, :443 for https)"
)

// Trim removes leading and trailing white space.
func Trim(s string) string { return strings.TrimSpace(s) }

// Runes returns the length of s in characters.
func Runes(s string) int { return utf8.RuneCountInString(s) }

func tooLong(n int) string { return "must be at most " + grouped(n) + " characters" }

// grouped formats n with thousands separators: 10000 → "10,000".
func grouped(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// text checks the rules shared by free-text fields. keep reports which
// control characters are acceptable.
func text(s string, required bool, maxRunes int, keep func(rune) bool, msgControl string) string {
	if Trim(s) == "" {
		if required {
			return msgRequired
		}
		return ""
	}
	if !utf8.ValidString(s) {
		return msgInvalidUTF8
	}
	if Runes(s) > maxRunes {
		return tooLong(maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !keep(r) {
			return msgControl
		}
	}
	return ""
}

func none(rune) bool { return false }

// Name validates the optional requester name.
func Name(s string) string {
	return text(s, false, MaxName, none, msgControlName)
}

// Subject validates the required one-line ticket subject; tabs are allowed.
func Subject(s string) string {
	return text(s, true, MaxSubject, func(r rune) bool { return r == '\t' }, msgControlLine)
}

// Description validates the required ticket body. Line breaks and tabs are
// allowed; other control characters (NUL in particular, which PostgreSQL
// rejects in text) are not.
func Description(s string) string {
	return text(s, true, MaxDescription, func(r rune) bool { return r == '\t' || r == '\n' || r == '\r' }, msgControlText)
}

// Reply validates a customer's reply on the portal: the rules of a ticket's
// description, and a too-long reply is told its length, since a pasted log
// is the usual cause.
func Reply(s string) string {
	msg := Description(s)
	if n := Runes(s); msg == tooLong(MaxDescription) {
		msg += " (it has " + grouped(n) + ")"
	}
	return msg
}

// Priority validates an optional priority against the allowed list; the
// caller substitutes its default for "".
func Priority(s string, allowed []string) string {
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return ""
		}
	}
	if len(allowed) == 0 {
		return "must be left empty"
	}
	return "must be one of: " + strings.Join(allowed, ", ")
}

// TicketInput is a ticket as submitted through the widget.
type TicketInput struct {
	Email       string
	Name        string
	Subject     string
	Description string
	Priority    string
	// RequireEmail makes Email mandatory. When false an empty Email is
	// accepted, but a non-empty one must still be valid.
	RequireEmail bool
}

// Ticket validates every field of in and returns a message per invalid
// field, keyed by the Field constants, or nil if all are valid.
func Ticket(in TicketInput, priorities []string) map[string]string {
	var errs map[string]string
	add := func(field, msg string) {
		if msg == "" {
			return
		}
		if errs == nil {
			errs = make(map[string]string)
		}
		errs[field] = msg
	}
	if in.RequireEmail || Trim(in.Email) != "" {
		add(FieldEmail, Email(in.Email))
	}
	add(FieldName, Name(in.Name))
	add(FieldSubject, Subject(in.Subject))
	add(FieldDescription, Description(in.Description))
	add(FieldPriority, Priority(in.Priority, priorities))
	return errs
}

// Color validates a #RGB or #RRGGBB hex color.
func Color(s string) string {
	if (len(s) != 4 && len(s) != 7) || s[0] != '#' {
		return msgColor
	}
	for i := 1; i < len(s); i++ {
		if !isHex(s[i]) {
			return msgColor
		}
	}
	return ""
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Position validates the widget's screen corner.
func Position(s string) string {
	if s == "bottom-right" || s == "bottom-left" {
		return ""
	}
	return msgPosition
}

// Origin validates an allowed embedding origin: "*" or scheme://host[:port]
// with scheme http or https. It must match the browser's Origin header
// byte for byte, hence lowercase only and no default port.
func Origin(s string) string {
	if s == "*" {
		return ""
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return msgOrigin
	}
	if strings.ContainsAny(rest, "/?#") {
		return msgOriginPath
	}
	for i := 0; i < len(rest); i++ {
		if 'A' <= rest[i] && rest[i] <= 'Z' {
			return msgOriginCase
		}
	}

	port, hasPort := "", false
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 || !validIPv6(rest[1:end]) {
			return msgOrigin
		}
		if after := rest[end+1:]; after != "" {
			if after[0] != ':' {
				return msgOrigin
			}
			port, hasPort = after[1:], true
		}
	} else {
		host := rest
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port, hasPort = rest[:i], rest[i+1:], true
		}
		if !validHost(host) {
			return msgOrigin
		}
	}
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || port[0] < '1' || port[0] > '9' || n > 65535 {
			return msgOriginPort
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			return msgOriginDefault
		}
	}
	return ""
}

// validHost accepts lowercase ASCII host names and IPv4 addresses (browsers
// send IDNs in punycode).
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if len(label) == 0 || len(label) > MaxDomainLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validIPv6 is a shape check only; the browser will never send a malformed
// one, so a typo simply never matches.
func validIPv6(h string) bool {
	if len(h) < 2 || len(h) > 45 || strings.Count(h, ":") < 2 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isHex(h[i]) && h[i] != ':' && h[i] != '.' {
			return false
		}
	}
	return true
}

// Priorities validates the configured priority list.
func Priorities(list []string) string {
	if len(list) == 0 {
		return "must list at least one priority"
	}
	if len(list) > MaxPriorities {
		return "must list at most " + strconv.Itoa(MaxPriorities) + " priorities"
	}
	for i, p := range list {
		if p == "" {
			return "must not contain an empty priority"
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "priority " + strconv.Quote(p) + " must use only lowercase letters, digits, - and _"
			}
		}
		if len(p) > MaxPriority { // ASCII only by now, so bytes are characters
			return "priority " + strconv.Quote(p) + " must be at most " + strconv.Itoa(MaxPriority) + " characters"
		}
		for _, q := range list[:i] {
			if p == q {
				return "priority " + strconv.Quote(p) + " is listed more than once"
			}
		}
	}
	return ""
}
