package turnstile_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/server/turnstile"
)

// fakeSiteverify speaks Cloudflare's siteverify wire format: a form POST with
// secret, response and remoteip; a JSON answer with success and error-codes.
func fakeSiteverify(t *testing.T, secret string) (*httptest.Server, *[]string) {
	var seenIPs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("siteverify called with %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		seenIPs = append(seenIPs, r.PostForm.Get("remoteip"))
		out := map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
		switch {
		case r.PostForm.Get("secret") != secret:
			out["error-codes"] = []string{"invalid-input-secret"}
		case r.PostForm.Get("response") == "XXXX.DUMMY.TOKEN.XXXX":
			out = map[string]any{"success": true, "error-codes": []string{}, "hostname": "example.com"}
		case r.PostForm.Get("response") == "boom":
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &seenIPs
}

func TestVerify(t *testing.T) {
	srv, ips := fakeSiteverify(t, "sekret")
	log := slog.New(slog.DiscardHandler)
	v := turnstile.New("sekret", srv.URL, nil, log)
	ctx := context.Background()
	if ok, err := v.Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", "203.0.113.9"); !ok || err != nil {
		t.Errorf("valid response: %v, %v", ok, err)
	}
	if (*ips)[0] != "203.0.113.9" {
		t.Errorf("remoteip = %q", (*ips)[0])
	}
	for _, bad := range []string{"wrong", "", "   "} {
		if ok, err := v.Verify(ctx, bad, ""); ok || err != nil {
			t.Errorf("response %q: %v, %v", bad, ok, err)
		}
	}
	if ok, err := v.Verify(ctx, "boom", ""); ok || !errors.Is(err, turnstile.ErrUnavailable) {
		t.Errorf("siteverify 502: %v, %v", ok, err)
	}
	wrongSecret := turnstile.New("other", srv.URL, nil, log)
	if ok, _ := wrongSecret.Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", ""); ok {
		t.Error("accepted with the wrong secret")
	}
	down := turnstile.New("sekret", "http://127.0.0.1:1/siteverify", nil, log)
	if _, err := down.Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", ""); !errors.Is(err, turnstile.ErrUnavailable) {
		t.Errorf("siteverify down: %v", err)
	}
	off := turnstile.New("", srv.URL, nil, log)
	if ok, err := off.Verify(ctx, "", ""); !ok || err != nil || off.Enabled() {
		t.Errorf("no secret: %v, %v", ok, err)
	}
}
