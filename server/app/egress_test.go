package app_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/store"
)

// hookServer is a webhook receiver on 127.0.0.1 counting its requests.
func hookServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestWorkflowWebhookEgress: a webhook may not reach the inside. A URL
// naming an internal address is refused when the rule is saved; a rule
// saved while the allow-list named the address (or a name that resolves
// inside) is blocked when the webhook dials, the run log saying so without
// the address, and the receiver gets nothing. A redirect is not followed.
func TestWorkflowWebhookEgress(t *testing.T) {
	t.Parallel()
	hook, hits := hookServer(t, nil)
	port := mustPort(t, hook.URL)
	vars := env(t, store.SQLite)
	a := wfApp(t, vars, nil) // no PORTICO_OUTBOUND_ALLOW

	// Saving: 422 on the action's value, nothing stored.
	for target, want := range map[string]string{
		hook.URL + "/hook":                              "internal address",
		"http://[::1]:" + port + "/":                    "internal address",
		"http://[::ffff:127.0.0.1]:" + port + "/":       "internal address",
		"http://localhost:" + port + "/":                "internal address",
		"http://169.254.169.254/latest/meta-data/":      "internal address",
		"http://10.0.0.1/":                              "internal address",
		"http://[fd00::1]/":                             "internal address",
		"http://0.0.0.0:" + port + "/":                  "internal address",
		"http://2130706433:" + port + "/":               "four decimal numbers",
		"http://0177.0.0.1:" + port + "/":               "four decimal numbers",
		"https://user:secret@hooks.example.com/portico": "user or password",
		"gopher://hooks.example.com/":                   "http",
	} {
		r := do(t, a, req{method: "POST", path: "/support/admin/workflows", header: bearer(),
			body: wfRule("Leak", "ticket.created", scopeCond, `[{"type":"send_webhook","value":"`+target+`"}]`)})
		if r.Status != 422 {
			t.Errorf("webhook %s: %d %s, want 422", target, r.Status, r.Body)
			continue
		}
		if msg, _ := r.json(t)["errors"].(map[string]any)["actions[0].value"].(string); !strings.Contains(msg, want) {
			t.Errorf("webhook %s: %s, want an error on actions[0].value saying %q", target, r.Body, want)
		}
	}
	if rules := do(t, a, req{method: "GET", path: "/support/admin/workflows", header: bearer()}).json(t)["rules"].([]any); len(rules) != 2 {
		t.Errorf("%d rules stored, want the two defaults", len(rules))
	}

	// A rule saved by an instance whose allow-list named 127.0.0.1 (the
	// operator has since removed it): the dial is blocked.
	allowed := maps.Clone(vars)
	allowed["PORTICO_OUTBOUND_ALLOW"] = "127.0.0.1"
	other := newApp(t, allowed, app.Deps{}) // not serving: it only saves the rule
	for _, target := range []string{hook.URL + "/hook", "http://localhost:" + port + "/hook"} {
		do(t, other, req{method: "POST", path: "/support/admin/workflows", header: bearer(),
			body: wfRule("Leak "+target, "ticket.created", scopeCond, `[{"type":"send_webhook","value":"`+target+`"}]`)})
	}
	ref := wfFile(t, a, "ada@example.com", "x marks the spot")
	for _, target := range []string{hook.URL + "/hook", "http://localhost:" + port + "/hook"} {
		run := wfWaitRun(t, a, ref, "Leak "+target, "failed")
		if !strings.Contains(run.Error, "send_webhook: blocked: destination not allowed") || strings.Contains(run.Error, "127.0.0.1") ||
			strings.Contains(run.Error, "attempt") {
			t.Errorf("run log of %s: %q, want blocked at once without the address", target, run.Error)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal receiver got %d requests", n)
	}
}

// TestWorkflowWebhookRedirect: an allow-listed receiver's redirect is not
// followed; the run fails at once saying so.
func TestWorkflowWebhookRedirect(t *testing.T) {
	t.Parallel()
	target, targetHits := hookServer(t, nil)
	hook, hits := hookServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	vars := env(t, store.SQLite)
	vars["PORTICO_OUTBOUND_ALLOW"] = "127.0.0.1"
	a := wfApp(t, vars, nil)
	wfCreate(t, a, wfRule("Moved", "ticket.created", scopeCond, `[{"type":"send_webhook","value":"`+hook.URL+`/hook"}]`))
	ref := wfFile(t, a, "ada@example.com", "x again")
	run := wfWaitRun(t, a, ref, "Moved", "failed")
	if !strings.Contains(run.Error, "the webhook answered a redirect (307 Temporary Redirect), which is not followed") ||
		strings.Contains(run.Error, "elsewhere") {
		t.Errorf("run log: %q", run.Error)
	}
	if hits.Load() != 1 || targetHits.Load() != 0 {
		t.Errorf("receiver %d requests, redirect target %d; want 1 and 0", hits.Load(), targetHits.Load())
	}
}

func mustPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}
