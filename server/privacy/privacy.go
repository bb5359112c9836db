// Package privacy looks after the personal data of people who never made an
// account. It keeps it out of logs (masked email addresses, secret tokens
// stripped from URL paths), exports everything held about a contact as one
// document, erases a contact for good (pseudonym, empty bodies, revoked
// links, GitHub redaction queued in the same transaction, audited), and
// purges tickets closed for longer than the purge_closed_after setting.
package privacy

import (
	"regexp"
	"strings"
)

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
var portalToken = regexp.MustCompile(`(?i)(/portal/)[0-9a-f]{16,}`)

// RedactPath removes secret tokens from a request path before it is logged.
func RedactPath(path string) string {
	if !strings.Contains(path, "/portal/") {
		return path
	}
	return portalToken.ReplaceAllString(path, "${1}[token]")
}
