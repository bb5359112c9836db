package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

const guestPolicyPath = "/support/admin/settings/public-tickets"

// guestPolicyIs checks GET of the guest policy: the fields in force, the
// source and the start-up default.
func guestPolicyIs(t *testing.T, a *app.App, what string, want map[string]any, source string, def map[string]any) {
	t.Helper()
	r := do(t, a, req{method: "GET", path: guestPolicyPath, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("%s: GET %d %s", what, r.Status, r.Body)
	}
	checkGuestPolicy(t, what, r.json(t), want, source, def)
}

func checkGuestPolicy(t *testing.T, what string, got, want map[string]any, source string, def map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %#v, want %#v (%v)", what, k, got[k], v, got)
		}
	}
	if got["source"] != source {
		t.Errorf("%s: source = %#v, want %q", what, got["source"], source)
	}
	gotDef, _ := got["default"].(map[string]any)
	for k, v := range def {
		if gotDef[k] != v {
			t.Errorf("%s: default %s = %#v, want %#v (%v)", what, k, gotDef[k], v, got)
		}
	}
}

// TestGuestPolicyStartupDefault: PORTICO_GUEST_POLICY_* is in force until an
// admin saves a policy, which then wins, also across a restart with another
// default; DELETE brings the default back. Tickets follow what is in force.
func TestGuestPolicyStartupDefault(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars := env(t, d)
		vars["PORTICO_GUEST_POLICY_MODE"] = "guest_user"
		vars["PORTICO_GUEST_POLICY_USER_ID"] = "77"
		a := newApp(t, vars, app.Deps{})
		requesterOf := func(a *app.App, email string) float64 {
			t.Helper()
			r := fileTicket(t, a, ticketBody(email))
			if r.Status != 201 {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + r.json(t)["reference"].(string), header: bearer()}).json(t)
			return detail["requester_id"].(float64)
		}
		def77 := map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": 77.0, "guest_policy_signup_url_template": nil}

		guestPolicyIs(t, a, "start", def77, "default", def77)
		if got := requesterOf(a, "d1@example.com"); got != 77 {
			t.Errorf("start-up default: requester %v, want 77", got)
		}

		saved := map[string]any{"guest_policy_mode": "prompt_signup", "guest_policy_user_id": nil,
			"guest_policy_signup_url_template": "https://app.example/join?t={token}"}
		r := do(t, a, req{method: "PUT", path: guestPolicyPath, header: bearer(),
			body: `{"guest_policy_mode":"prompt_signup","guest_policy_signup_url_template":"https://app.example/join?t={token}"}`})
		if r.Status != 200 {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		checkGuestPolicy(t, "PUT answer", r.json(t), saved, "saved", def77)
		guestPolicyIs(t, a, "after PUT", saved, "saved", def77)
		if got := requesterOf(a, "d2@example.com"); got != 0 {
			t.Errorf("saved prompt_signup: requester %v, want 0", got)
		}

		// Restarted with another default: the saved policy still wins.
		a.Close()
		vars["PORTICO_GUEST_POLICY_USER_ID"] = "88"
		a = newApp(t, vars, app.Deps{})
		def88 := map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": 88.0, "guest_policy_signup_url_template": nil}
		guestPolicyIs(t, a, "after a restart", saved, "saved", def88)

		r = do(t, a, req{method: "DELETE", path: guestPolicyPath, header: bearer()})
		if r.Status != 200 {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		checkGuestPolicy(t, "DELETE answer", r.json(t), def88, "default", def88)
		guestPolicyIs(t, a, "after DELETE", def88, "default", def88)
		if got := requesterOf(a, "d3@example.com"); got != 88 {
			t.Errorf("after the reset: requester %v, want 88", got)
		}
		// Resetting again changes nothing.
		if r := do(t, a, req{method: "DELETE", path: guestPolicyPath, header: bearer()}); r.Status != 200 {
			t.Errorf("second DELETE: %d %s", r.Status, r.Body)
		}
		guestPolicyIs(t, a, "after a second DELETE", def88, "default", def88)

		// With a session (the admin page), a reset must come from our own
		// origin, as any write.
		cookie := signIn(t, a)
		if r := do(t, a, req{method: "PUT", path: guestPolicyPath, header: bearer(), body: `{"guest_policy_mode":"unassigned"}`}); r.Status != 200 {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		cross := map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}
		if r := do(t, a, req{method: "DELETE", path: guestPolicyPath, header: cross}); r.Status != 403 {
			t.Errorf("cross-site DELETE: %d %s", r.Status, r.Body)
		}
		guestPolicyIs(t, a, "after a refused DELETE", map[string]any{"guest_policy_mode": "unassigned"}, "saved", def88)
		own := map[string]string{"Cookie": cookie, "Origin": testOrigin}
		if r := do(t, a, req{method: "DELETE", path: guestPolicyPath, header: own}); r.Status != 200 {
			t.Errorf("DELETE with a session: %d %s", r.Status, r.Body)
		}
		guestPolicyIs(t, a, "after a session's DELETE", def88, "default", def88)
	})
}

// Without PORTICO_GUEST_POLICY_* the default is unassigned, and a reset
// returns to it.
func TestGuestPolicyNoStartupDefault(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	unassigned := map[string]any{"guest_policy_mode": "unassigned", "guest_policy_user_id": nil, "guest_policy_signup_url_template": nil}
	guestPolicyIs(t, a, "start", unassigned, "default", unassigned)
	if r := do(t, a, req{method: "PUT", path: guestPolicyPath, header: bearer(), body: `{"guest_policy_mode":"guest_user","guest_policy_user_id":5}`}); r.Status != 200 {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	guestPolicyIs(t, a, "after PUT", map[string]any{"guest_policy_mode": "guest_user", "guest_policy_user_id": 5.0}, "saved", unassigned)
	if r := do(t, a, req{method: "DELETE", path: guestPolicyPath, header: bearer()}); r.Status != 200 {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	guestPolicyIs(t, a, "after DELETE", unassigned, "default", unassigned)
}

// TestGuestPolicyStartupConfig: the default read from the YAML file, and a
// bad value stopping start-up with the variable named.
func TestGuestPolicyStartupConfig(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	file := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(file, []byte("guest_policy_mode: prompt_signup\nguest_policy_signup_url_template: https://app.example/signup?invite={token}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars["PORTICO_CONFIG"] = file
	a := newApp(t, vars, app.Deps{})
	signup := map[string]any{"guest_policy_mode": "prompt_signup", "guest_policy_user_id": nil,
		"guest_policy_signup_url_template": "https://app.example/signup?invite={token}"}
	guestPolicyIs(t, a, "from YAML", signup, "default", signup)

	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"PORTICO_GUEST_POLICY_MODE": "guests"}, `PORTICO_GUEST_POLICY_MODE: "guests" must be unassigned, guest_user or prompt_signup`},
		{map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user"}, "PORTICO_GUEST_POLICY_USER_ID: is required in guest_user mode"},
		{map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user", "PORTICO_GUEST_POLICY_USER_ID": "-4"}, `PORTICO_GUEST_POLICY_USER_ID: "-4" must be a positive whole number`},
		{map[string]string{"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE": "https://app.example/s?t={token}"},
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE: is only used in prompt_signup mode (PORTICO_GUEST_POLICY_MODE is unassigned)"},
	} {
		bad := env(t, store.SQLite)
		for k, v := range c.vars {
			bad[k] = v
		}
		_, err := config.Load(func(k string) (string, bool) { v, ok := bad[k]; return v, ok })
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: error %v, want %q", c.vars, err, c.want)
		}
	}
	// The file's value is checked the same way, named by file and key.
	if err := os.WriteFile(file, []byte("guest_policy_mode: guest_user\nguest_policy_user_id: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if want := file + `: guest_policy_user_id: "0" must be a positive whole number`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("bad file value: %v, want %q", err, want)
	}
}
