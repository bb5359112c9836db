package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// MailgunMaxSkew is how far a Mailgun timestamp may be from now; older
// signatures are stale, and tokens are remembered that long.
const MailgunMaxSkew = 5 * time.Minute

// ReplayGuard remembers webhook tokens. FirstUse records token until
// expires and reports whether it had not been seen before; an error means
// the answer is unknown (the caller should fail with 5xx so the provider
// retries).
type ReplayGuard interface {
	FirstUse(token string, expires time.Time) (bool, error)
}

// VerifyMailgun checks a Mailgun webhook signature: hex HMAC-SHA256 of
// timestamp+token under the signing key, a timestamp within MailgunMaxSkew of
// now, and a token never used before. Failures wrap ErrUnauthorized; a
// failing ReplayGuard is returned as is.
func VerifyMailgun(signingKey string, s MailgunSignature, now time.Time, seen ReplayGuard) error {
	if signingKey == "" {
		return unauthorized("mailgun: no signing key configured")
	}
	if s.Token == "" || s.Timestamp == "" || s.Signature == "" {
		return unauthorized("mailgun: signature fields missing")
	}
	got, err := hex.DecodeString(s.Signature)
	if err != nil {
		return unauthorized("mailgun: signature is not hex")
	}
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write([]byte(s.Timestamp + s.Token))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return unauthorized("mailgun: signature mismatch")
	}
	// Checked after the HMAC so that forged requests learn nothing and
	// cannot burn tokens.
	ts, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return unauthorized("mailgun: timestamp %q", s.Timestamp)
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > MailgunMaxSkew || d < -MailgunMaxSkew {
		return unauthorized("mailgun: timestamp %s is %s from now", at.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	if seen == nil {
		return errors.New("inbound: VerifyMailgun needs a ReplayGuard")
	}
	first, err := seen.FirstUse(s.Token, at.Add(MailgunMaxSkew))
	if err != nil {
		return fmt.Errorf("inbound: replay guard: %w", err)
	}
	if !first {
		return unauthorized("mailgun: token already used")
	}
	return nil
}

// MemoryReplayGuard is an in-process ReplayGuard for tests and single
// instances.
type MemoryReplayGuard struct {
	now   func() time.Time
	mu    sync.Mutex
	seen  map[string]time.Time
	calls int
}

// NewMemoryReplayGuard returns an empty guard; now defaults to time.Now.
func NewMemoryReplayGuard(now func() time.Time) *MemoryReplayGuard {
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayGuard{now: now, seen: map[string]time.Time{}}
}

// FirstUse implements ReplayGuard.
func (g *MemoryReplayGuard) FirstUse(token string, expires time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if g.calls++; g.calls%256 == 0 {
		g.prune(now)
	}
	if exp, ok := g.seen[token]; ok && now.Before(exp) {
		return false, nil
	}
	g.seen[token] = expires
	return true, nil
}

// prune forgets expired tokens so the map does not grow without bound.
func (g *MemoryReplayGuard) prune(now time.Time) {
	for t, exp := range g.seen {
		if !now.Before(exp) {
			delete(g.seen, t)
		}
	}
}
