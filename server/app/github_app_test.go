package app_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/store"
)

// TestGitHubApp authenticates as a GitHub App installation: a JWT signed
// with the App's key buys an installation token, which the API calls carry.
// Comments made through the App are portico's own and ignored.
func TestGitHubApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGitHubApp(t, store.SQLite, func(v map[string]string) {
		delete(v, "PORTICO_GITHUB_TOKEN")
		v["PORTICO_GITHUB_APP_ID"] = "4242"
		v["PORTICO_GITHUB_APP_INSTALLATION_ID"] = "99"
		v["PORTICO_GITHUB_APP_PRIVATE_KEY_FILE"] = keyFile
	})
	g.gh.AppID = 4242
	ref := fileTicket(t, g.App, ticketBody("app@example.com")).json(t)["reference"].(string)
	issue := g.issueFor(t, ref)

	tokens := g.gh.Calls(githubtest.RouteAccessToken)
	if len(tokens) == 0 || tokens[0].Status != 201 || tokens[0].Path != "/app/installations/99/access_tokens" {
		t.Fatalf("access token calls: %+v", tokens)
	}
	create := g.gh.Calls(githubtest.RouteCreateIssue)
	if len(create) != 1 || !strings.HasPrefix(create[0].Auth, "token ghs_installation_") {
		t.Errorf("create issue calls: %+v", create)
	}

	// A comment made through the App (without portico's marker) is ignored;
	// the same comment by a person is a note.
	d, _ := g.gh.Comment(issue.Number, "portico[bot]", "NONE", "made by the app", githubtest.ViaApp(4242))
	g.deliverQueued(t, d)
	d, _ = g.gh.Comment(issue.Number, "grace", "MEMBER", "made by a person")
	g.deliverQueued(t, d)
	githubtest.Wait(t, "the note", 20*time.Second, func() bool { return len(g.ticket(t, ref)["messages"].([]any)) == 2 })
	settle()
	msgs := g.ticket(t, ref)["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["body"] != "made by a person" {
		t.Errorf("messages = %v", msgs)
	}
}
