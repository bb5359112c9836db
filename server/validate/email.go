package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email validates a required email address: dot-atom local part, @, and a
// domain name with at least two labels. Non-ASCII letters are allowed in
// both parts (SMTPUTF8 and internationalised domains); quoted local parts,
// comments and IP-literal domains are not, since no real requester needs them.
// Domain limits are counted in characters, not in punycode octets.
func Email(s string) string {
	if Trim(s) == "" {
		return msgRequired
	}
	if !utf8.ValidString(s) {
		return msgEmail
	}
	if Runes(s) > MaxEmail {
		return tooLong(MaxEmail)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || !validLocal(local) || !validDomain(domain) {
		return msgEmail // a second @ fails validDomain
	}
	return ""
}

// validLocal checks a dot-atom: atext runs separated by single dots.
func validLocal(s string) bool {
	if s == "" || Runes(s) > MaxEmailLocal || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			// Printable ASCII except space and the specials of RFC 5322.
			if r <= ' ' || r == 0x7f || strings.ContainsRune(`()<>[]:;@\,"`, r) {
				return false
			}
		} else if !isWordRune(r) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	if Runes(s) > MaxEmailDomain {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if label == "" || Runes(label) > MaxDomainLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r < utf8.RuneSelf {
				if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
					return false
				}
			} else if !isWordRune(r) {
				return false
			}
		}
	}
	// An all-numeric last label means an IP address or a typo, never a TLD.
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0
}

// isWordRune reports whether a non-ASCII rune may appear in an address:
// letters, combining marks (needed by many scripts) and digits.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}
