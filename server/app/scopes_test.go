package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/store"
)

const scopeCond = `{"all":[{"field":"subject","operator":"contains","value":"x"}]}`

// signIn returns the session cookie of the first admin.
func signIn(t *testing.T, a *app.App) string {
	t.Helper()
	r := do(t, a, req{method: "POST", path: "/support/admin/api/session", body: `{"email":"root@example.com","password":"correct-horse-battery"}`})
	if r.Status != 200 {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	return strings.SplitN(r.Header.Get("Set-Cookie"), ";", 2)[0]
}

// TestAdminTokenScopes: a token limited to contacts promotes a contact and
// is refused everything else with a 403 naming the scope, changing
// nothing; a signed-in admin keeps every scope.
func TestAdminTokenScopes(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_ADMIN_API_TOKEN_SCOPES"] = "contacts"
	a := newApp(t, vars, app.Deps{})
	cookie := signIn(t, a)
	session := func(extra ...string) map[string]string {
		h := map[string]string{"Cookie": cookie, "Origin": testOrigin}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}

	if r := fileTicket(t, a, ticketBody("scoped@example.com")); r.Status != 201 {
		t.Fatal(r.Status)
	}
	// The session reads tickets (every scope) and creates a rule.
	list := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=scoped@", header: session()})
	if list.Status != 200 {
		t.Fatalf("session lists tickets: %d %s", list.Status, list.Body)
	}
	contactID := fmt.Sprint(list.json(t)["tickets"].([]any)[0].(map[string]any)["contact_id"])
	rule := do(t, a, req{method: "POST", path: "/support/admin/workflows", header: session(),
		body: wfRule("Session rule", "ticket.created", scopeCond, `[{"type":"add_tag","value":"x"}]`)})
	if rule.Status != 201 {
		t.Fatalf("session creates a rule: %d %s", rule.Status, rule.Body)
	}
	ruleID := fmt.Sprint(rule.json(t)["id"])
	if r := do(t, a, req{method: "GET", path: "/support/admin/settings/portal", header: session()}); r.Status != 200 {
		t.Errorf("session reads settings: %d %s", r.Status, r.Body)
	}

	// The token promotes the contact.
	r := do(t, a, req{method: "POST", path: "/support/admin/contacts/" + contactID + "/promote", body: `{"user_id":42}`, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("contacts token promotes: %d %s", r.Status, r.Body)
	}

	// And nothing else.
	refused := []struct{ method, path, body, scope string }{
		{"POST", "/support/admin/workflows", wfRule("Token rule", "ticket.created", scopeCond, `[{"type":"close"}]`), "workflows"},
		{"PUT", "/support/admin/workflows/" + ruleID, wfRule("Renamed", "ticket.created", scopeCond, `[{"type":"close"}]`), "workflows"},
		{"POST", "/support/admin/workflows/" + ruleID + "/disable", "", "workflows"},
		{"DELETE", "/support/admin/workflows/" + ruleID, "", "workflows"},
		{"GET", "/support/admin/workflows", "", "workflows"},
		{"GET", "/support/admin/settings/portal", "", "settings"},
		{"GET", "/support/admin/settings/public-tickets", "", "settings"},
		{"PUT", "/support/admin/settings/widget", `{"priorities":["low"]}`, "settings"},
		{"GET", "/support/admin/tickets", "", "tickets"},
		{"GET", "/support/admin/settings/privacy", "", "privacy"},
		{"GET", "/support/admin/contacts/" + contactID + "/export", "", "privacy"},
		{"POST", "/support/admin/contacts/" + contactID + "/erase", `{"confirm":true}`, "privacy"},
	}
	for _, c := range refused {
		r := do(t, a, req{method: c.method, path: c.path, body: c.body, header: bearer()})
		if r.Status != 403 {
			t.Errorf("%s %s with a contacts token: %d %s, want 403", c.method, c.path, r.Status, r.Body)
			continue
		}
		if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, `lacks the "`+c.scope+`" scope`) {
			t.Errorf("%s %s: error %q does not name the %s scope", c.method, c.path, msg, c.scope)
		}
	}

	// Nothing changed: the rule is as the session made it, the contact is
	// not erased.
	got := do(t, a, req{method: "GET", path: "/support/admin/workflows/" + ruleID, header: session()}).json(t)
	if got["name"] != "Session rule" || got["enabled"] != true {
		t.Errorf("rule after refused changes = %v", got)
	}
	if n := len(do(t, a, req{method: "GET", path: "/support/admin/workflows", header: session()}).json(t)["rules"].([]any)); n < 1 {
		t.Errorf("%d rules", n)
	}
	for _, rl := range do(t, a, req{method: "GET", path: "/support/admin/workflows", header: session()}).json(t)["rules"].([]any) {
		if rl.(map[string]any)["name"] == "Token rule" {
			t.Error("the refused rule was stored")
		}
	}
	tk := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=scoped@", header: session()}).json(t)
	if n := tk["total"].(float64); n != 1 {
		t.Errorf("tickets of the contact after a refused erase: %v", n)
	}
}

// TestAdminTokenScopesCoverEveryRoute: every admin route but the session
// and server info asks for a scope, so a route added without one is caught
// here: a token with only the contacts scope is refused all the others.
func TestAdminTokenScopesCoverEveryRoute(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_ADMIN_API_TOKEN_SCOPES"] = "contacts"
	a := newApp(t, vars, app.Deps{})
	open := map[string]bool{
		"/support/admin/api/session": true, "/support/admin/api/info": true,
		"/support/admin/contacts/:id/promote": true, "/support/admin/signup-tokens/verify": true,
		// Reads nothing and writes nothing: it parses a period for the
		// settings pages of any scope.
		"/support/admin/settings/period": true,
		// The first-run set-up: a one-time token, no admin session or token.
		"/support/admin/api/setup": true,
	}
	n := 0
	for _, rt := range a.HTTP().Routes() {
		if !strings.HasPrefix(rt.Path, "/support/admin/") || open[rt.Path] || rt.Method == "HEAD" {
			continue
		}
		path := strings.NewReplacer(":reference", "TK-1", ":id", "1").Replace(rt.Path)
		r := do(t, a, req{method: rt.Method, path: path, body: "{}", header: bearer()})
		if r.Status != 403 {
			t.Errorf("%s %s with a contacts token: %d %s, want 403", rt.Method, rt.Path, r.Status, r.Body)
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d admin routes checked", n)
	}
}
