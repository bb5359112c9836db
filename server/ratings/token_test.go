package ratings

import (
	"context"
	"strings"
	"testing"
	"time"
)

type anyone struct{}

func (anyone) Verify(context.Context, string, string) (bool, error) { return true, nil }

// A form token works for its link until it expires, and for nothing else.
func TestFormToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New(Deps{Turnstile: anyone{}, FormKey: []byte("form-key-for-tests"), Now: func() time.Time { return now }})
	tok := s.formToken(7, now.Add(FormLifetime))
	if !s.validFormToken(7, tok) {
		t.Fatalf("a fresh token %q was refused", tok)
	}
	exp, sig, _ := strings.Cut(tok, ".")
	other := New(Deps{Turnstile: anyone{}, FormKey: []byte("another-key"), Now: s.now})
	for name, bad := range map[string]string{
		"another link":         "",
		"empty":                "",
		"no signature":         exp,
		"later expiry":         "1900000000." + sig,
		"leading zero":         "0" + exp + "." + sig,
		"signature cut":        exp + "." + sig[:30],
		"not hex":              exp + "." + strings.Repeat("z", 32),
		"signed with another":  other.formToken(7, now.Add(FormLifetime)),
		"expired when it came": s.formToken(7, now),
	} {
		link := int64(7)
		if name == "another link" {
			bad, link = tok, 8
		}
		if s.validFormToken(link, bad) {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
	now = now.Add(FormLifetime)
	if s.validFormToken(7, tok) {
		t.Error("a token was accepted after its lifetime")
	}
}

func TestNewRequiresHumanCheckAndKey(t *testing.T) {
	for name, d := range map[string]Deps{"no human check": {FormKey: []byte("k")}, "no key": {Turnstile: anyone{}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not refuse", name)
				}
			}()
			New(d)
		}()
	}
}
