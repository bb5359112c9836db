package inbound

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrUnauthorized wraps every authentication failure; the handler answers
// 401 and stores nothing.
var ErrUnauthorized = errors.New("inbound: unauthorized")

// unauthorized wraps ErrUnauthorized with the reason (for logs, not for the
// response body).
func unauthorized(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, fmt.Sprintf(format, args...))
}

// CheckBasicAuth compares an Authorization header ("Basic base64(user:pass)")
// with the configured "user:pass" (PORTICO_POSTMARK_BASIC_AUTH) in constant
// time. An empty expectation accepts nothing.
func CheckBasicAuth(header, expected string) bool {
	if expected == "" {
		return false
	}
	scheme, enc, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return false
	}
	return equalSecret(string(got), expected)
}

// CheckSharedSecret compares the X-Portico-Inbound-Secret header with
// PORTICO_INBOUND_SECRET in constant time. An empty secret accepts nothing.
func CheckSharedSecret(header, expected string) bool {
	return expected != "" && equalSecret(header, expected)
}

// equalSecret compares digests so neither content nor length leaks through
// timing.
func equalSecret(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
