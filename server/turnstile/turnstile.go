// Package turnstile verifies Cloudflare Turnstile responses server-side
// (siteverify). Without a secret key every response passes and a warning is
// logged, so a fresh install works before Turnstile is set up.
package turnstile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// ErrUnavailable means siteverify could not be asked; callers refuse the
// request rather than let it through unchecked.
var ErrUnavailable = errors.New("turnstile: siteverify unavailable")

// Verifier checks responses against siteverify.
type Verifier struct {
	secret    string
	verifyURL string
	client    *http.Client
	log       *slog.Logger
	// warned makes the missing-secret warning appear once, not per reply.
	warned atomic.Bool
}

// New returns a verifier; client may be nil (a 10 s timeout client is used).
func New(secret, verifyURL string, client *http.Client, log *slog.Logger) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Verifier{secret: secret, verifyURL: verifyURL, client: client, log: log}
}

// Enabled reports whether a secret is configured.
func (v *Verifier) Enabled() bool { return v.secret != "" }

// siteverifyResponse is Cloudflare's documented answer.
type siteverifyResponse struct {
	Success    bool     `json:"success"`
	ErrorCodes []string `json:"error-codes"`
	Hostname   string   `json:"hostname"`
	Action     string   `json:"action"`
}

// Verify reports whether response (the cf-turnstile-response form field)
// proves a human. A network or server failure is ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, response, remoteIP string) (bool, error) {
	if v.secret == "" {
		if !v.warned.Swap(true) {
			v.log.WarnContext(ctx, "turnstile: no PORTICO_TURNSTILE_SECRET_KEY set; replies are accepted unchecked (logged once)")
		}
		return true, nil
	}
	response = strings.TrimSpace(response)
	if response == "" || len(response) > 2048 {
		return false, nil
	}
	form := url.Values{"secret": {v.secret}, "response": {response}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := v.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: siteverify answered %s", ErrUnavailable, res.Status)
	}
	var out siteverifyResponse
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 64<<10)).Decode(&out); err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !out.Success {
		v.log.InfoContext(ctx, "turnstile: response refused", "error_codes", out.ErrorCodes)
	}
	return out.Success, nil
}
