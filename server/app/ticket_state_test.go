package app_test

import (
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

// An admin closes and reopens a ticket over HTTP through the same Close and
// Reopen as workflows and GitHub: the second close changes nothing, the
// ticket's detail shows the state, and bad references answer 404.
func TestAdminCloseAndReopen(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		ref := fileTicket(t, a, ticketBody("state@example.com")).json(t)["reference"].(string)
		base := "/support/admin/tickets/" + ref
		status := func() string {
			return do(t, a, req{method: "GET", path: base, header: bearer()}).json(t)["status"].(string)
		}
		steps := []struct {
			path        string
			wantChanged bool
			wantStatus  string
		}{
			{"/close", true, "closed"},
			{"/close", false, "closed"},
			{"/reopen", true, "open"},
			{"/reopen", false, "open"},
		}
		for _, s := range steps {
			r := do(t, a, req{method: "POST", path: base + s.path, header: bearer()})
			if r.Status != 200 {
				t.Fatalf("POST %s: %d %s", s.path, r.Status, r.Body)
			}
			if got := r.json(t); got["changed"] != s.wantChanged || got["status"] != s.wantStatus || got["reference"] != ref {
				t.Errorf("POST %s = %v", s.path, got)
			}
			if got := status(); got != s.wantStatus {
				t.Errorf("after %s the ticket is %s", s.path, got)
			}
		}
		for _, path := range []string{"/support/admin/tickets/TK-99999/close", "/support/admin/tickets/nonsense/reopen"} {
			if r := do(t, a, req{method: "POST", path: path, header: bearer()}); r.Status != 404 {
				t.Errorf("POST %s: %d, want 404", path, r.Status)
			}
		}
		if r := do(t, a, req{method: "POST", path: base + "/close"}); r.Status != 401 {
			t.Errorf("signed out: %d, want 401", r.Status)
		}
	})
}
