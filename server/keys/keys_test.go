package keys

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

var master = []byte("master-secret-0123456789abcdef0123456789")

// Every purpose gets its own key, none is the master, and the labels are
// pinned: changing one would break every address already sent.
func TestPurposeKeys(t *testing.T) {
	t.Parallel()
	r, err := New(Options{Master: master, Requester: []byte("host-app-key-0123456789abcdef01234567")})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]byte{"reply-address": r.ReplyAddress(), "signup": r.Signup(), "requester": r.Requester(), "master": master}
	for a, ka := range all {
		if len(ka) < 32 {
			t.Errorf("%s key is %d bytes", a, len(ka))
		}
		for b, kb := range all {
			if a < b && bytes.Equal(ka, kb) {
				t.Errorf("%s and %s keys are equal", a, b)
			}
		}
	}
	for label, got := range map[string][]byte{"portico reply-address v1": r.ReplyAddress(), "portico signup-token v1": r.Signup()} {
		want, _ := hkdf.Key(sha256.New, master, nil, label, 32)
		if !bytes.Equal(got, want) {
			t.Errorf("key for %q is not HKDF-SHA256(master, %q)", label, label)
		}
	}
	again, _ := New(Options{Master: master})
	if !bytes.Equal(again.ReplyAddress(), r.ReplyAddress()) || again.Requester() != nil {
		t.Error("derivation is not deterministic, or a requester key appeared from nowhere")
	}
	other, _ := New(Options{Master: []byte("another-master-secret-0123456789abcdef")})
	if bytes.Equal(other.ReplyAddress(), r.ReplyAddress()) {
		t.Error("different masters derive the same key")
	}
}

func TestLegacyGrace(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	r, err := New(Options{Master: master, Since: since, Grace: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Legacy(since.Add(-time.Hour)), master) || !bytes.Equal(r.Legacy(since.Add(24*time.Hour-time.Nanosecond)), master) {
		t.Error("legacy key refused during the grace")
	}
	if r.Legacy(since.Add(24*time.Hour)) != nil || r.Legacy(since.Add(48*time.Hour)) != nil {
		t.Error("legacy key still given after the grace")
	}
	none, _ := New(Options{Master: master, Since: since})
	if none.Legacy(since) != nil || none.Legacy(since.Add(-time.Hour)) != nil {
		t.Error("grace 0 still gives the legacy key")
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{}); err == nil {
		t.Error("no master accepted")
	}
	_, err := New(Options{Master: master, Requester: bytes.Clone(master)})
	if err == nil || !strings.Contains(err.Error(), "PORTICO_REQUESTER_SIGNING_KEY must differ") {
		t.Errorf("requester key equal to the master: %v", err)
	}
	if _, err := New(Options{Master: master, Grace: -time.Second}); err == nil {
		t.Error("negative grace accepted")
	}
}
