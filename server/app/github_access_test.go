package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/store"
)

// Only people who may push to the repository speak to customers: GitHub's
// author_association says MEMBER for an org member with read access, so the
// permission is asked for, once per login within the cache's lifetime.
func TestGitHubCommandNeedsWriteAccess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		r := fileTicket(t, g.App, ticketBody("perm@example.com"))
		ref := r.json(t)["reference"].(string)
		issue := g.issueFor(t, ref)
		g.mail.Wait(1, 20*time.Second) // the confirmation

		for login, perm := range map[string]string{"triager": "read", "outsider": "none"} {
			g.gh.SetPermission(login, perm)
			dl, _ := g.gh.Comment(issue.Number, login, "MEMBER", "/send from "+login)
			g.deliverQueued(t, dl)
		}
		githubtest.Wait(t, "two notes", 20*time.Second, func() bool {
			n := 0
			for _, m := range g.ticket(t, ref)["messages"].([]any) {
				if m.(map[string]any)["direction"] == "internal" {
					n++
				}
			}
			return n == 2
		})
		settle()
		if n := len(g.mail.Received()); n != 1 {
			t.Fatalf("%d mails: a read-only member's /send went out", n)
		}

		// Maintainers (GitHub answers "write") and admins may; grace twice
		// costs one permission call.
		g.gh.SetPermission("boss", "admin")
		for i, c := range []struct{ login, text string }{{"grace", "first"}, {"grace", "second"}, {"boss", "third"}} {
			dl, _ := g.gh.Comment(issue.Number, c.login, "MEMBER", "/send "+c.text)
			g.deliverQueued(t, dl)
			got := g.mail.Wait(2+i, 20*time.Second)
			if text := got[1+i].Envelope(t).Text; !strings.Contains(text, c.text) {
				t.Fatalf("mail %d:\n%s", 2+i, text)
			}
		}
		calls := map[string]int{}
		for _, c := range g.gh.Calls(githubtest.RoutePermission) {
			login := strings.TrimSuffix(strings.TrimPrefix(c.Path, "/repos/acme/support/collaborators/"), "/permission")
			calls[login]++
		}
		if calls["grace"] != 1 || calls["boss"] != 1 {
			t.Errorf("permission calls = %v, want one per login", calls)
		}
	})
}

// A public mirror repository publishes customers' mail: the admin page says
// so (and the log, at start).
func TestGitHubPublicRepositoryWarning(t *testing.T) {
	t.Parallel()
	g := startGitHubApp(t, store.SQLite)
	info := do(t, g.App, req{method: "GET", path: "/support/admin/api/info", header: bearer()})
	if info.Status != 200 {
		t.Fatalf("info: %d %s", info.Status, info.Body)
	}
	if _, ok := info.json(t)["github_repository_warning"]; ok {
		t.Errorf("a private repository is warned about: %s", info.Body)
	}

	public := startGitHubApp(t, store.SQLite)
	public.gh.SetPublic(true)
	info = do(t, public.App, req{method: "GET", path: "/support/admin/api/info", header: bearer()})
	w, _ := info.json(t)["github_repository_warning"].(string)
	if !strings.Contains(w, "public") || !strings.Contains(w, "private") {
		t.Errorf("warning = %q (%s)", w, info.Body)
	}
}
