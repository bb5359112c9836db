package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"
)

// GitHub's GraphQL API, which Discussions live in (REST has none of their
// mutations). The client is githubv4 over the REST client's own
// http.Client: the same token or App installation transport, the same
// timeout.

// graphQLEndpoint is the GraphQL URL beside a REST API root:
// https://api.github.com/ → https://api.github.com/graphql; GitHub
// Enterprise Server's https://host/api/v3/ → https://host/api/graphql; any
// other root (a fake in tests) → root + "graphql".
func graphQLEndpoint(rest *url.URL) string {
	u := *rest
	if strings.HasSuffix(u.Path, "/api/v3/") {
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// exchange is the HTTP answer to a GraphQL request. githubv4 keeps neither
// the status nor the headers, and they say how long a rate limit lasts.
type exchange struct {
	status int
	header http.Header
	body   []byte
}

// maxGraphQLAnswer bounds what is read of an answer (portico's queries ask
// for a page of 100 short nodes at most).
const maxGraphQLAnswer = 16 << 20

// capture records the last answer of a transport into last.
type capture struct {
	next http.RoundTripper
	last *exchange
}

func (t capture) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGraphQLAnswer))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	*t.last = exchange{status: resp.StatusCode, header: resp.Header, body: body}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// gql runs one GraphQL operation, named op in errors. GitHub refusing it
// comes back as a *GraphQLError (wrapped).
func (c *Client) gql(ctx context.Context, op string, run func(*githubv4.Client) error) error {
	var last exchange
	hc := c.gh.Client()
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = capture{next: next, last: &last}
	err := run(githubv4.NewEnterpriseClient(graphQLEndpoint(c.gh.BaseURL), hc))
	if err == nil {
		return nil
	}
	if last.status == 0 {
		return fmt.Errorf("github: %s: %w", op, err) // no answer at all
	}
	return fmt.Errorf("github: %s: %w", op, newGraphQLError(err, last))
}

// GraphQLError is GitHub refusing a GraphQL operation: an HTTP status other
// than 200, or entries in the answer's "errors" array.
type GraphQLError struct {
	// Status is the HTTP status (200 for errors in the array).
	Status int
	Errors []GraphQLErrorItem
	// Message is the "message" of a non-200 answer.
	Message string
	// Header holds the answer's headers (rate limits).
	Header http.Header
	cause  error
}

// GraphQLErrorItem is one entry of the "errors" array; Type is GitHub's
// (NOT_FOUND, FORBIDDEN, RATE_LIMITED, ...), absent from some errors.
type GraphQLErrorItem struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func newGraphQLError(cause error, x exchange) *GraphQLError {
	e := &GraphQLError{Status: x.status, Header: x.header, cause: cause}
	var body struct {
		Errors  []GraphQLErrorItem `json:"errors"`
		Message string             `json:"message"`
	}
	if json.Unmarshal(x.body, &body) == nil {
		e.Errors, e.Message = body.Errors, body.Message
	}
	return e
}

func (e *GraphQLError) Error() string {
	var parts []string
	for _, it := range e.Errors {
		if it.Type != "" {
			parts = append(parts, it.Type+": "+it.Message)
		} else {
			parts = append(parts, it.Message)
		}
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, "; ")
	case e.Status != http.StatusOK && e.Message != "":
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	case e.Status != http.StatusOK:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return e.cause.Error() // an answer githubv4 could not decode
}

func (e *GraphQLError) Unwrap() error { return e.cause }

// HasType reports whether an entry of the errors array has type t.
func (e *GraphQLError) HasType(t string) bool {
	for _, it := range e.Errors {
		if it.Type == t {
			return true
		}
	}
	return false
}

// rateLimitWait reports whether GitHub refused because of a rate limit,
// and how long to wait. GitHub's documented answers for GraphQL: the
// primary limit is a 200 with an error and X-RateLimit-Remaining: 0 (wait
// until X-RateLimit-Reset); a secondary one a 200 or 403 whose error says so
// (Retry-After seconds if sent, else the reset if the remaining count is 0,
// else at least a minute).
func (e *GraphQLError) rateLimitWait(now time.Time) (time.Duration, bool) {
	if !e.rateLimited() {
		return 0, false
	}
	h := e.Header
	if retryAfter := h.Get("Retry-After"); retryAfter != "" {
		if secs, err := strconv.Atoi(retryAfter); err == nil && secs >= 0 {
			return max(time.Duration(secs)*time.Second, time.Second), true
		}
		if at, err := http.ParseTime(retryAfter); err == nil {
			return until(at, now), true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return until(time.Unix(reset, 0), now), true
		}
	}
	return secondaryDefault, true
}

// rateLimited reports whether the refusal is a rate limit.
func (e *GraphQLError) rateLimited() bool {
	h := e.Header
	if e.Status == http.StatusTooManyRequests {
		return true
	}
	said := e.HasType("RATE_LIMITED") || strings.Contains(strings.ToLower(e.Error()), "rate limit")
	return (e.Status == http.StatusOK || e.Status == http.StatusForbidden) &&
		(said || h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != "")
}

// graphQLNotFound reports whether GitHub answered that the node (a
// discussion, a comment) does not exist (any more).
func graphQLNotFound(err error) bool {
	var ge *GraphQLError
	return errors.As(err, &ge) && ge.HasType("NOT_FOUND")
}

// graphQLForbidden reports whether GitHub refused the operation to portico
// (a comment portico may not edit).
func graphQLForbidden(err error) bool {
	var ge *GraphQLError
	return errors.As(err, &ge) && (ge.HasType("FORBIDDEN") || ge.Status == http.StatusForbidden) && !ge.rateLimited()
}

// What portico reads of discussions.

// DiscussionRepository is the repository's id and discussion categories.
type DiscussionRepository struct {
	ID      string
	Enabled bool
	// Categories are the repository's discussion categories (GitHub allows
	// at most 25).
	Categories []DiscussionCategory
}

// DiscussionCategory is a category of discussions.
type DiscussionCategory struct {
	ID, Name, Slug string
}

// Discussion is a discussion portico made or found.
type Discussion struct {
	ID     string
	Number int64
	URL    string
}

// DiscussionComment is a comment on a discussion: its node id and its
// database id (the "id" of webhook payloads).
type DiscussionComment struct {
	ID         string
	DatabaseID int64
}

// DiscussionRepository reads the repository's node id, whether Discussions
// are on and its categories.
func (c *Client) DiscussionRepository(ctx context.Context) (DiscussionRepository, error) {
	var q struct {
		Repository struct {
			ID                    string `graphql:"id"`
			HasDiscussionsEnabled bool
			DiscussionCategories  struct {
				Nodes []struct {
					ID   string `graphql:"id"`
					Name string
					Slug string
				}
			} `graphql:"discussionCategories(first: 100)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]any{"owner": githubv4.String(c.owner), "name": githubv4.String(c.repo)}
	if err := c.gql(ctx, "read discussion categories", func(g *githubv4.Client) error { return g.Query(ctx, &q, vars) }); err != nil {
		return DiscussionRepository{}, err
	}
	r := DiscussionRepository{ID: q.Repository.ID, Enabled: q.Repository.HasDiscussionsEnabled}
	for _, n := range q.Repository.DiscussionCategories.Nodes {
		r.Categories = append(r.Categories, DiscussionCategory{ID: n.ID, Name: n.Name, Slug: n.Slug})
	}
	return r, nil
}

// CreateDiscussion opens a discussion in a category.
func (c *Client) CreateDiscussion(ctx context.Context, repositoryID, categoryID, title, body string) (Discussion, error) {
	var m struct {
		CreateDiscussion struct {
			Discussion struct {
				ID     string `graphql:"id"`
				Number int64
				URL    string `graphql:"url"`
			}
		} `graphql:"createDiscussion(input: $input)"`
	}
	in := githubv4.CreateDiscussionInput{RepositoryID: githubv4.ID(repositoryID), CategoryID: githubv4.ID(categoryID),
		Title: githubv4.String(title), Body: githubv4.String(body)}
	if err := c.gql(ctx, "create discussion", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) }); err != nil {
		return Discussion{}, err
	}
	d := m.CreateDiscussion.Discussion
	return Discussion{ID: d.ID, Number: d.Number, URL: d.URL}, nil
}

// FindDiscussion returns a discussion created since since whose body
// starts with marker (false: none), newest first, looking through at most
// maxListPages pages.
func (c *Client) FindDiscussion(ctx context.Context, marker string, since time.Time) (Discussion, bool, error) {
	type query struct {
		Repository struct {
			Discussions struct {
				Nodes []struct {
					ID        string `graphql:"id"`
					Number    int64
					URL       string `graphql:"url"`
					Body      string
					CreatedAt time.Time
				}
				PageInfo pageInfo
			} `graphql:"discussions(first: 50, after: $cursor, orderBy: $order)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]any{
		"owner": githubv4.String(c.owner), "name": githubv4.String(c.repo), "cursor": (*githubv4.String)(nil),
		"order": githubv4.DiscussionOrder{Field: githubv4.DiscussionOrderFieldCreatedAt, Direction: githubv4.OrderDirectionDesc},
	}
	for page := 0; page < maxListPages; page++ {
		var q query
		if err := c.gql(ctx, "list discussions", func(g *githubv4.Client) error { return g.Query(ctx, &q, vars) }); err != nil {
			return Discussion{}, false, err
		}
		older := false
		for _, n := range q.Repository.Discussions.Nodes {
			if hasMarker(n.Body, marker) {
				return Discussion{ID: n.ID, Number: n.Number, URL: n.URL}, true, nil
			}
			older = older || n.CreatedAt.Before(since)
		}
		p := q.Repository.Discussions.PageInfo
		if older || !p.HasNextPage {
			break
		}
		vars["cursor"] = githubv4.NewString(githubv4.String(p.EndCursor))
	}
	return Discussion{}, false, nil
}

type pageInfo struct {
	HasNextPage bool
	EndCursor   string
}

// AddDiscussionComment comments on a discussion.
func (c *Client) AddDiscussionComment(ctx context.Context, discussionID, body string) (DiscussionComment, error) {
	var m struct {
		AddDiscussionComment struct {
			Comment struct {
				ID         string `graphql:"id"`
				DatabaseID int64  `graphql:"databaseId"`
			}
		} `graphql:"addDiscussionComment(input: $input)"`
	}
	in := githubv4.AddDiscussionCommentInput{DiscussionID: githubv4.ID(discussionID), Body: githubv4.String(body)}
	if err := c.gql(ctx, "comment on discussion", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) }); err != nil {
		return DiscussionComment{}, err
	}
	return DiscussionComment{ID: m.AddDiscussionComment.Comment.ID, DatabaseID: m.AddDiscussionComment.Comment.DatabaseID}, nil
}

// FindDiscussionComment returns the comment on a discussion whose body
// starts with marker (false: none), looking through at most maxListPages
// pages.
func (c *Client) FindDiscussionComment(ctx context.Context, discussionID, marker string) (DiscussionComment, bool, error) {
	type query struct {
		Node struct {
			Discussion struct {
				Comments struct {
					Nodes []struct {
						ID         string `graphql:"id"`
						DatabaseID int64  `graphql:"databaseId"`
						Body       string
					}
					PageInfo pageInfo
				} `graphql:"comments(first: 100, after: $cursor)"`
			} `graphql:"... on Discussion"`
		} `graphql:"node(id: $id)"`
	}
	vars := map[string]any{"id": githubv4.ID(discussionID), "cursor": (*githubv4.String)(nil)}
	for page := 0; page < maxListPages; page++ {
		var q query
		if err := c.gql(ctx, "list discussion comments", func(g *githubv4.Client) error { return g.Query(ctx, &q, vars) }); err != nil {
			return DiscussionComment{}, false, err
		}
		for _, n := range q.Node.Discussion.Comments.Nodes {
			if hasMarker(n.Body, marker) {
				return DiscussionComment{ID: n.ID, DatabaseID: n.DatabaseID}, true, nil
			}
		}
		p := q.Node.Discussion.Comments.PageInfo
		if !p.HasNextPage {
			break
		}
		vars["cursor"] = githubv4.NewString(githubv4.String(p.EndCursor))
	}
	return DiscussionComment{}, false, nil
}

// DiscussionClosed reports whether a discussion is closed.
func (c *Client) DiscussionClosed(ctx context.Context, discussionID string) (bool, error) {
	var q struct {
		Node struct {
			Discussion struct {
				Closed bool
			} `graphql:"... on Discussion"`
		} `graphql:"node(id: $id)"`
	}
	vars := map[string]any{"id": githubv4.ID(discussionID)}
	err := c.gql(ctx, "read discussion state", func(g *githubv4.Client) error { return g.Query(ctx, &q, vars) })
	return q.Node.Discussion.Closed, err
}

// resolved is why portico closes a discussion: its ticket was dealt with.
var resolved = githubv4.DiscussionCloseReasonResolved

// CloseDiscussion closes a discussion as resolved and returns its
// updatedAt, the time GitHub's webhook for the close will carry.
func (c *Client) CloseDiscussion(ctx context.Context, discussionID string) (time.Time, error) {
	var m struct {
		CloseDiscussion struct {
			Discussion struct{ UpdatedAt time.Time }
		} `graphql:"closeDiscussion(input: $input)"`
	}
	in := githubv4.CloseDiscussionInput{DiscussionID: githubv4.ID(discussionID), Reason: &resolved}
	err := c.gql(ctx, "close discussion", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) })
	return m.CloseDiscussion.Discussion.UpdatedAt, err
}

// ReopenDiscussion reopens a discussion and returns its updatedAt.
func (c *Client) ReopenDiscussion(ctx context.Context, discussionID string) (time.Time, error) {
	var m struct {
		ReopenDiscussion struct {
			Discussion struct{ UpdatedAt time.Time }
		} `graphql:"reopenDiscussion(input: $input)"`
	}
	in := githubv4.ReopenDiscussionInput{DiscussionID: githubv4.ID(discussionID)}
	err := c.gql(ctx, "reopen discussion", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) })
	return m.ReopenDiscussion.Discussion.UpdatedAt, err
}

// ReactToNode adds a reaction (githubv4.ReactionContentRocket, ...) to a
// discussion comment; GitHub keeps one reaction per content and user, so
// repeating it is harmless.
func (c *Client) ReactToNode(ctx context.Context, subjectID string, content githubv4.ReactionContent) error {
	var m struct {
		AddReaction struct {
			Reaction struct{ Content string }
		} `graphql:"addReaction(input: $input)"`
	}
	in := githubv4.AddReactionInput{SubjectID: githubv4.ID(subjectID), Content: content}
	return c.gql(ctx, "react", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) })
}

// EditDiscussion replaces a discussion's title and body.
func (c *Client) EditDiscussion(ctx context.Context, discussionID, title, body string) error {
	var m struct {
		UpdateDiscussion struct {
			Discussion struct {
				ID string `graphql:"id"`
			}
		} `graphql:"updateDiscussion(input: $input)"`
	}
	t, b := githubv4.String(title), githubv4.String(body)
	in := githubv4.UpdateDiscussionInput{DiscussionID: githubv4.ID(discussionID), Title: &t, Body: &b}
	return c.gql(ctx, "edit discussion", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) })
}

// EditDiscussionComment replaces a discussion comment's body.
func (c *Client) EditDiscussionComment(ctx context.Context, commentID, body string) error {
	var m struct {
		UpdateDiscussionComment struct {
			Comment struct {
				ID string `graphql:"id"`
			}
		} `graphql:"updateDiscussionComment(input: $input)"`
	}
	in := githubv4.UpdateDiscussionCommentInput{CommentID: githubv4.ID(commentID), Body: githubv4.String(body)}
	return c.gql(ctx, "edit discussion comment", func(g *githubv4.Client) error { return g.Mutate(ctx, &m, in, nil) })
}
