package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/shurcooL/githubv4"

	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
)

func TestGitHubGraphQLEndpoint(t *testing.T) {
	for rest, want := range map[string]string{
		"https://api.github.com/":            "https://api.github.com/graphql",
		"https://ghe.example.com/api/v3/":    "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:4321/":             "http://127.0.0.1:4321/graphql",
		"https://proxy.example.com/github/":  "https://proxy.example.com/github/graphql",
		"https://proxy.example.com/api/v3x/": "https://proxy.example.com/api/v3x/graphql",
	} {
		u, _ := url.Parse(rest)
		if got := graphQLEndpoint(u); got != want {
			t.Errorf("graphQLEndpoint(%s) = %s, want %s", rest, got, want)
		}
	}
}

func discussionClient(t *testing.T) (*Client, *githubtest.Server) {
	t.Helper()
	fake := githubtest.Start(t, "acme/support")
	c, err := NewClient(ClientOptions{Repository: fake.Repository(), Token: fake.Token, APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

// TestGitHubDiscussionClient runs every GraphQL call portico makes against
// the fake, which parses the queries githubv4 builds and checks them against
// GitHub's schema.
func TestGitHubDiscussionClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, fake := discussionClient(t)

	repo, err := c.DiscussionRepository(ctx)
	if err != nil || repo.Enabled || len(repo.Categories) != 0 || repo.ID == "" {
		t.Fatalf("Discussions off: %+v, %v", repo, err)
	}
	fake.EnableDiscussions("General", "Q&A", "Customer support")
	if repo, err = c.DiscussionRepository(ctx); err != nil || !repo.Enabled || len(repo.Categories) != 3 {
		t.Fatalf("Discussions on: %+v, %v", repo, err)
	}
	support := repo.Categories[2]
	if support.Name != "Customer support" || support.Slug != "customer-support" || support.ID == "" {
		t.Errorf("category = %+v", support)
	}

	d, err := c.CreateDiscussion(ctx, repo.ID, support.ID, "[TK-1] Cannot log in", marker("ticket:1")+"\nhello")
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Discussions()
	if len(got) != 1 || got[0].Number != d.Number || got[0].ID != d.ID || got[0].CategoryID != support.ID ||
		got[0].Title != "[TK-1] Cannot log in" || !strings.HasSuffix(d.URL, "/acme/support/discussions/1") {
		t.Fatalf("discussion %+v, fake has %+v", d, got)
	}
	for _, call := range fake.Calls(githubtest.RouteGraphQL) {
		if call.Auth != "Bearer "+fake.Token || call.Status != http.StatusOK {
			t.Errorf("graphql call: auth %q, status %d", call.Auth, call.Status)
		}
	}

	// A retried job finds what an earlier try made, by its marker.
	if found, ok, err := c.FindDiscussion(ctx, marker("ticket:1"), time.Now().Add(-time.Hour)); err != nil || !ok || found.ID != d.ID {
		t.Errorf("FindDiscussion = %+v, %v, %v", found, ok, err)
	}
	if _, ok, err := c.FindDiscussion(ctx, marker("ticket:2"), time.Now().Add(-time.Hour)); err != nil || ok {
		t.Errorf("FindDiscussion of another ticket = %v, %v", ok, err)
	}

	cm, err := c.AddDiscussionComment(ctx, d.ID, marker("message:7")+"\n📨 Reply via portal")
	if err != nil || cm.ID == "" || cm.DatabaseID == 0 {
		t.Fatalf("AddDiscussionComment = %+v, %v", cm, err)
	}
	for i := range 120 { // more than a page of comments
		if _, err := c.AddDiscussionComment(ctx, d.ID, "filler "+strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	last, err := c.AddDiscussionComment(ctx, d.ID, marker("message:8")+"\nlast")
	if err != nil {
		t.Fatal(err)
	}
	if found, ok, err := c.FindDiscussionComment(ctx, d.ID, marker("message:8")); err != nil || !ok || found != last {
		t.Errorf("FindDiscussionComment on page 2 = %+v, %v, %v; want %+v", found, ok, err, last)
	}
	if comments := fake.DiscussionComments(d.Number); len(comments) != 122 || comments[0].DatabaseID != cm.DatabaseID {
		t.Errorf("%d comments", len(comments))
	}

	if closed, err := c.DiscussionClosed(ctx, d.ID); err != nil || closed {
		t.Errorf("DiscussionClosed = %v, %v", closed, err)
	}
	at, err := c.CloseDiscussion(ctx, d.ID)
	if err != nil || at.IsZero() {
		t.Fatalf("CloseDiscussion = %v, %v", at, err)
	}
	if dd := fake.Discussions()[0]; !dd.Closed || dd.StateReason != "resolved" || !dd.UpdatedAt.Equal(at) {
		t.Errorf("closed discussion %+v, updatedAt %v", dd, at)
	}
	if closed, err := c.DiscussionClosed(ctx, d.ID); err != nil || !closed {
		t.Errorf("DiscussionClosed = %v, %v", closed, err)
	}
	reopenedAt, err := c.ReopenDiscussion(ctx, d.ID)
	if err != nil || !reopenedAt.After(at) || fake.Discussions()[0].Closed {
		t.Errorf("ReopenDiscussion = %v, %v", reopenedAt, err)
	}

	if err := c.ReactToNode(ctx, cm.ID, githubv4.ReactionContentRocket); err != nil {
		t.Fatal(err)
	}
	if err := c.ReactToNode(ctx, cm.ID, githubv4.ReactionContentRocket); err != nil {
		t.Fatal(err)
	}
	if re := fake.DiscussionReactions(); len(re) != 1 || re[0].CommentID != cm.DatabaseID || re[0].Content != "ROCKET" {
		t.Errorf("reactions = %+v", re)
	}

	if err := c.EditDiscussion(ctx, d.ID, "[TK-1] x", "erased"); err != nil {
		t.Fatal(err)
	}
	if err := c.EditDiscussionComment(ctx, cm.ID, "erased too"); err != nil {
		t.Fatal(err)
	}
	if dd, cc := fake.Discussions()[0], fake.DiscussionComments(d.Number)[0]; dd.Body != "erased" || dd.Title != "[TK-1] x" || cc.Body != "erased too" {
		t.Errorf("edits: %q %q %q", dd.Title, dd.Body, cc.Body)
	}
	for _, call := range fake.GraphQLCalls("") {
		if len(call.Errors) > 0 {
			t.Errorf("%v answered errors %v to:\n%s", call.Fields, call.Errors, call.Query)
		}
	}
}

// TestGitHubGraphQLErrors: GitHub's "errors" array and refusals become
// *GraphQLError (wrapped, with GitHub's type and message); rate limits say
// how long to wait, and a job then snoozes instead of failing.
func TestGitHubGraphQLErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, fake := discussionClient(t)
	fake.EnableDiscussions("General")
	repo, err := c.DiscussionRepository(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDiscussion(ctx, repo.ID, repo.Categories[0].ID, "t", "b")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := &Service{now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}
	snoozed := func(err error) time.Duration {
		var sn *river.JobSnoozeError
		if !errors.As(s.retryGraphQL(ctx, err), &sn) {
			return 0
		}
		return sn.Duration
	}

	// A node that does not exist: NOT_FOUND in the errors array.
	_, err = c.AddDiscussionComment(ctx, "D_nope", "hello")
	var ge *GraphQLError
	if !errors.As(err, &ge) || !ge.HasType("NOT_FOUND") || !graphQLNotFound(err) || !strings.Contains(err.Error(), "comment on discussion") ||
		!strings.Contains(err.Error(), "Could not resolve to a node with the global id of 'D_nope'") {
		t.Errorf("unknown node: %v", err)
	}
	if snoozed(err) != 0 {
		t.Error("NOT_FOUND snoozed the job")
	}

	// An error GitHub puts in the array for a mutation.
	fake.FailGraphQL("closeDiscussion", githubtest.GraphQLErr("FORBIDDEN", "Resource not accessible by integration"))
	_, err = c.CloseDiscussion(ctx, d.ID)
	if !errors.As(err, &ge) || !ge.HasType("FORBIDDEN") || ge.Status != 200 || !graphQLForbidden(err) ||
		err.Error() != "github: close discussion: FORBIDDEN: Resource not accessible by integration" {
		t.Errorf("forbidden: %v", err)
	}
	if fake.Discussions()[0].Closed {
		t.Error("the failed close closed the discussion")
	}

	// Primary rate limit: 200, RATE_LIMITED, X-RateLimit-Remaining: 0.
	reset := now.Add(90 * time.Second).Truncate(time.Second)
	fake.FailGraphQL("addDiscussionComment", githubtest.GraphQLRateLimit(reset))
	_, err = c.AddDiscussionComment(ctx, d.ID, "limited")
	if !errors.As(err, &ge) || !ge.HasType("RATE_LIMITED") || graphQLForbidden(err) {
		t.Errorf("rate limit: %v", err)
	}
	if wait := snoozed(err); wait != reset.Sub(now)+time.Second {
		t.Errorf("primary limit: snoozed %v, want until the reset (+1 s) %v", wait, reset.Sub(now)+time.Second)
	}
	if n := len(fake.DiscussionComments(d.Number)); n != 0 {
		t.Errorf("%d comments after a rate limit", n)
	}

	// Secondary rate limit: 403 with Retry-After, before GraphQL runs.
	fake.Fail(githubtest.RouteGraphQL, githubtest.SecondaryRateLimit(http.StatusForbidden, 7))
	_, err = c.DiscussionClosed(ctx, d.ID)
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Errorf("secondary limit: %v", err)
	}
	if wait := snoozed(err); wait != 7*time.Second {
		t.Errorf("secondary limit: snoozed %v, want 7s", wait)
	}

	// A gateway error is retried with backoff, not snoozed.
	fake.Fail(githubtest.RouteGraphQL, githubtest.BadGateway(false))
	if _, err = c.DiscussionRepository(ctx); !errors.As(err, &ge) || ge.Status != http.StatusBadGateway || snoozed(err) != 0 {
		t.Errorf("502: %v", err)
	}

	// A wrong token: 401.
	bad, err := NewClient(ClientOptions{Repository: fake.Repository(), Token: "wrong", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.DiscussionRepository(ctx); !errors.As(err, &ge) || ge.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("bad token: %v", err)
	}

	// A field GitHub does not have fails schema validation on the fake, as
	// it would on GitHub.
	var q struct {
		Repository struct{ Nonsense string } `graphql:"repository(owner: $owner, name: $name)"`
	}
	err = c.gql(ctx, "nonsense", func(g *githubv4.Client) error {
		return g.Query(ctx, &q, map[string]any{"owner": githubv4.String("acme"), "name": githubv4.String("support")})
	})
	if err == nil || !strings.Contains(err.Error(), "Field 'nonsense' doesn't exist on type 'Repository'") {
		t.Errorf("unknown field: %v", err)
	}
}

// TestGitHubDiscussionCategories: a category is found by name or slug and
// kept for categoryTTL; a name not kept is asked again; the desk setting
// refuses what cannot work (sync off, Discussions off, no such category).
func TestGitHubDiscussionCategories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, fake := discussionClient(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := &Service{client: c, repo: fake.Repository(), now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}
	reads := func() int { return len(fake.GraphQLCalls("repository")) }

	if _, _, err := s.discussionCategory(ctx, "General"); err == nil || !strings.Contains(err.Error(), "Discussions are not enabled on acme/support") {
		t.Errorf("Discussions off: %v", err)
	}
	fake.EnableDiscussions("General", "Q&A")
	repoID, cat, err := s.discussionCategory(ctx, "q-a")
	if err != nil || cat.Name != "Q&A" || repoID == "" {
		t.Fatalf("by slug: %+v, %v", cat, err)
	}
	n := reads()
	if _, cat, err := s.discussionCategory(ctx, "GENERAL"); err != nil || cat.Name != "General" || reads() != n {
		t.Errorf("cached, by name in another case: %+v, %v, %d reads", cat, err, reads()-n)
	}
	fake.EnableDiscussions("Support")
	if _, cat, err := s.discussionCategory(ctx, "Support"); err != nil || cat.Name != "Support" || reads() != n+1 {
		t.Errorf("a new category: %+v, %v, %d reads", cat, err, reads()-n)
	}
	now = now.Add(categoryTTL)
	if _, _, err := s.discussionCategory(ctx, "General"); err != nil || reads() != n+2 {
		t.Errorf("expired: %v, %d reads", err, reads()-n)
	}
	_, _, err = s.discussionCategory(ctx, "Ideas")
	var ce categoryError
	if !errors.As(err, &ce) || ce.Error() != `acme/support has no discussion category "Ideas" (it has "General", "Q&A", "Support")` {
		t.Errorf("unknown: %v", err)
	}

	d, err := s.checkDesk(ctx, settings.Desk{Mode: settings.DeskDiscussions, DiscussionCategory: "general"})
	if err != nil || d.DiscussionCategory != "General" {
		t.Errorf("checkDesk = %+v, %v: the category's own name is stored", d, err)
	}
	var fe model.FieldErrors
	if _, err := s.checkDesk(ctx, settings.Desk{Mode: settings.DeskDiscussions, DiscussionCategory: "Ideas"}); !errors.As(err, &fe) || fe["discussion_category"] == "" {
		t.Errorf("unknown category: %v", err)
	}
	fake.Fail(githubtest.RouteGraphQL, githubtest.BadGateway(false))
	if _, err := s.checkDesk(ctx, settings.Desk{Mode: settings.DeskDiscussions, DiscussionCategory: "Ideas"}); !errors.Is(err, ErrGitHubUnavailable) {
		t.Errorf("GitHub down: %v", err)
	}
	off := &Service{now: s.now, log: s.log}
	if _, err := off.checkDesk(ctx, settings.Desk{Mode: settings.DeskDiscussions, DiscussionCategory: "General"}); !errors.As(err, &fe) || fe["desk"] == "" {
		t.Errorf("sync off: %v", err)
	}
	if d, err := off.checkDesk(ctx, settings.Desk{Mode: settings.DeskIssues}); err != nil || d.Mode != settings.DeskIssues {
		t.Errorf("issues with the sync off: %+v, %v", d, err)
	}
}

// TestGitHubDiscussionClientAsApp: GraphQL goes through the same App
// installation transport as REST (an installation token, bought with the
// App's JWT).
func TestGitHubDiscussionClientAsApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := githubtest.Start(t, "acme/support")
	fake.AppID = 4242
	fake.EnableDiscussions("General")
	c, err := NewClient(ClientOptions{Repository: fake.Repository(), AppID: 4242, InstallationID: 99, AppPrivateKeyFile: keyFile, APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if repo, err := c.DiscussionRepository(context.Background()); err != nil || len(repo.Categories) != 1 {
		t.Fatalf("as an App: %+v, %v", repo, err)
	}
	calls := fake.Calls(githubtest.RouteGraphQL)
	if len(fake.Calls(githubtest.RouteAccessToken)) != 1 || len(calls) != 1 || !strings.HasPrefix(calls[0].Auth, "token ghs_installation_") {
		t.Errorf("graphql calls %+v", calls)
	}
}
