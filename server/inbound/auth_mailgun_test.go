package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"
)

const mailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

func signMailgun(key string, ts time.Time, token string) MailgunSignature {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(stamp + token))
	return MailgunSignature{Timestamp: stamp, Token: token, Signature: hex.EncodeToString(mac.Sum(nil))}
}

func TestVerifyMailgun(t *testing.T) {
	now := time.Date(2024, 5, 14, 9, 12, 0, 0, time.UTC)
	guard := NewMemoryReplayGuard(func() time.Time { return now })
	good := signMailgun(mailgunKey, now.Add(-time.Minute), "token-good-0123456789")
	if err := VerifyMailgun(mailgunKey, good, now, guard); err != nil {
		t.Fatalf("good signature: %v", err)
	}

	tests := map[string]struct {
		key string
		sig MailgunSignature
	}{
		"replayed token":    {mailgunKey, good},
		"wrong key":         {mailgunKey, signMailgun("other-key", now, "token-1")},
		"stale (6 min)":     {mailgunKey, signMailgun(mailgunKey, now.Add(-6*time.Minute), "token-2")},
		"future (6 min)":    {mailgunKey, signMailgun(mailgunKey, now.Add(6*time.Minute), "token-3")},
		"no key configured": {"", signMailgun("", now, "token-4")},
		"empty token":       {mailgunKey, signMailgun(mailgunKey, now, "")},
		"signature not hex": {mailgunKey, MailgunSignature{Timestamp: good.Timestamp, Token: "token-5", Signature: "zz"}},
		"truncated": {mailgunKey, func() MailgunSignature {
			s := signMailgun(mailgunKey, now, "token-6")
			s.Signature = s.Signature[:62]
			return s
		}()},
		"timestamp swapped": {mailgunKey, func() MailgunSignature {
			s := signMailgun(mailgunKey, now, "token-7")
			s.Timestamp = strconv.FormatInt(now.Unix()+1, 10)
			return s
		}()},
		"timestamp not int": {mailgunKey, signMailgunRaw(mailgunKey, "soon", "token-8")},
		"missing fields":    {mailgunKey, MailgunSignature{}},
	}
	for name, tt := range tests {
		if err := VerifyMailgun(tt.key, tt.sig, now, guard); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}

	// A forged request must not burn the token of a genuine one.
	genuine := signMailgun(mailgunKey, now, "token-forged-first")
	forged := genuine
	forged.Signature = hex.EncodeToString(make([]byte, 32))
	if err := VerifyMailgun(mailgunKey, forged, now, guard); !errors.Is(err, ErrUnauthorized) {
		t.Fatal(err)
	}
	if err := VerifyMailgun(mailgunKey, genuine, now, guard); err != nil {
		t.Errorf("genuine after forged: %v", err)
	}

	// Within 5 minutes either way is fine.
	if err := VerifyMailgun(mailgunKey, signMailgun(mailgunKey, now.Add(4*time.Minute), "token-edge"), now, guard); err != nil {
		t.Errorf("4 min ahead: %v", err)
	}
}

func signMailgunRaw(key, stamp, token string) MailgunSignature {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(stamp + token))
	return MailgunSignature{Timestamp: stamp, Token: token, Signature: hex.EncodeToString(mac.Sum(nil))}
}

type brokenGuard struct{}

func (brokenGuard) FirstUse(string, time.Time) (bool, error) { return false, errors.New("db down") }

func TestVerifyMailgunGuardErrors(t *testing.T) {
	now := time.Now()
	sig := signMailgun(mailgunKey, now, "token-x")
	// A failing store is not the sender's fault: not ErrUnauthorized, so
	// the handler can answer 5xx and Mailgun retries.
	err := VerifyMailgun(mailgunKey, sig, now, brokenGuard{})
	if err == nil || errors.Is(err, ErrUnauthorized) {
		t.Errorf("broken guard: err = %v", err)
	}
	if err := VerifyMailgun(mailgunKey, sig, now, nil); err == nil || errors.Is(err, ErrUnauthorized) {
		t.Errorf("nil guard: err = %v", err)
	}
}

func TestMemoryReplayGuard(t *testing.T) {
	now := time.Date(2024, 5, 14, 9, 0, 0, 0, time.UTC)
	g := NewMemoryReplayGuard(func() time.Time { return now })
	exp := now.Add(5 * time.Minute)
	if ok, _ := g.FirstUse("a", exp); !ok {
		t.Fatal("first use refused")
	}
	if ok, _ := g.FirstUse("a", exp); ok {
		t.Fatal("second use accepted")
	}
	if ok, _ := g.FirstUse("b", exp); !ok {
		t.Fatal("other token refused")
	}
	now = exp.Add(time.Second)
	if ok, _ := g.FirstUse("a", now.Add(5*time.Minute)); !ok {
		t.Error("token refused after it expired")
	}
	// Expired tokens are pruned.
	for i := range 600 {
		_, _ = g.FirstUse(strconv.Itoa(i), now.Add(time.Minute))
	}
	now = now.Add(time.Hour)
	for i := range 300 {
		_, _ = g.FirstUse("late-"+strconv.Itoa(i), now.Add(time.Minute))
	}
	g.mu.Lock()
	n := len(g.seen)
	g.mu.Unlock()
	if n > 300 {
		t.Errorf("%d tokens kept, expired ones not pruned", n)
	}
}
