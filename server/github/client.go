package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"
)

// ClientOptions say how to reach the repository.
type ClientOptions struct {
	// Repository is "owner/name".
	Repository string
	// Token is a personal access token (or any bearer token).
	Token string
	// AppID, InstallationID and AppPrivateKeyFile authenticate as a GitHub
	// App installation instead; they win over Token when AppID is set.
	AppID             int64
	InstallationID    int64
	AppPrivateKeyFile string
	// APIURL is the REST API root with a trailing slash
	// (https://api.github.com/, a GitHub Enterprise URL, a fake in tests).
	APIURL string
	// HTTPClient carries the requests (its Transport and Timeout are used).
	HTTPClient *http.Client
}

// Client is the part of the GitHub REST API that portico uses, on one
// repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	appID       int64
}

// NewClient builds the client; errors name the setting that is wrong.
func NewClient(o ClientOptions) (*Client, error) {
	owner, repo, ok := strings.Cut(o.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("PORTICO_GITHUB_REPOSITORY: %q is not owner/name", o.Repository)
	}
	apiURL := o.APIURL
	if apiURL == "" {
		apiURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	base, err := url.Parse(apiURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("PORTICO_GITHUB_API_URL: %q is not an http(s) URL", o.APIURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}

	var client *gh.Client
	switch {
	case o.AppID != 0:
		if o.InstallationID == 0 {
			return nil, errors.New("PORTICO_GITHUB_APP_INSTALLATION_ID: required with PORTICO_GITHUB_APP_ID")
		}
		if o.AppPrivateKeyFile == "" {
			return nil, errors.New("PORTICO_GITHUB_APP_PRIVATE_KEY_FILE: required with PORTICO_GITHUB_APP_ID")
		}
		// The installation transport signs a JWT with the App's key, trades
		// it for an installation token and renews that before it expires.
		itr, err := ghinstallation.NewKeyFromFile(transport, o.AppID, o.InstallationID, o.AppPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PORTICO_GITHUB_APP_PRIVATE_KEY_FILE: %w", err)
		}
		itr.BaseURL = strings.TrimSuffix(apiURL, "/")
		client = gh.NewClient(&http.Client{Transport: itr, Timeout: hc.Timeout})
	case o.Token != "":
		client = gh.NewClient(&http.Client{Transport: transport, Timeout: hc.Timeout}).WithAuthToken(o.Token)
	default:
		return nil, errors.New("PORTICO_GITHUB_REPOSITORY is set: set PORTICO_GITHUB_TOKEN, or PORTICO_GITHUB_APP_ID with " +
			"PORTICO_GITHUB_APP_PRIVATE_KEY_FILE and PORTICO_GITHUB_APP_INSTALLATION_ID")
	}
	// BaseURL is set as given: WithEnterpriseURLs would append api/v3/ to
	// any host that does not start with "api.".
	client.BaseURL = base
	client.UploadURL = base
	return &Client{gh: client, owner: owner, repo: repo, appID: o.AppID}, nil
}

// maxListPages bounds how far a search for an earlier post looks back.
const maxListPages = 10

// CreateIssue opens an issue and returns its number.
func (c *Client) CreateIssue(ctx context.Context, title, body string, labels []string) (int64, error) {
	issue, _, err := c.gh.Issues.Create(ctx, c.owner, c.repo, &gh.IssueRequest{Title: &title, Body: &body, Labels: &labels})
	if err != nil {
		return 0, fmt.Errorf("github: create issue: %w", err)
	}
	return int64(issue.GetNumber()), nil
}

// FindIssue returns the number of an issue updated since since whose body
// starts with marker, or 0. It lists issues (consistent at once) rather
// than searching (the search index lags behind by seconds to minutes).
func (c *Client) FindIssue(ctx context.Context, marker string, since time.Time) (int64, error) {
	opts := &gh.IssueListByRepoOptions{State: "all", Sort: "created", Direction: "desc", Since: since,
		ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxListPages; page++ {
		issues, resp, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		if err != nil {
			return 0, fmt.Errorf("github: list issues: %w", err)
		}
		for _, is := range issues {
			if !is.IsPullRequest() && hasMarker(is.GetBody(), marker) {
				return int64(is.GetNumber()), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return 0, nil
}

// CreateComment comments on an issue and returns the comment's id.
func (c *Client) CreateComment(ctx context.Context, issue int64, body string) (int64, error) {
	comment, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, int(issue), &gh.IssueComment{Body: &body})
	if err != nil {
		return 0, fmt.Errorf("github: comment on #%d: %w", issue, err)
	}
	return comment.GetID(), nil
}

// FindComment returns the id of a comment on the issue, updated since
// since, whose body starts with marker, or 0.
func (c *Client) FindComment(ctx context.Context, issue int64, marker string, since time.Time) (int64, error) {
	opts := &gh.IssueListCommentsOptions{Since: &since, ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxListPages; page++ {
		comments, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, int(issue), opts)
		if err != nil {
			return 0, fmt.Errorf("github: list comments of #%d: %w", issue, err)
		}
		for _, cm := range comments {
			if hasMarker(cm.GetBody(), marker) {
				return cm.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return 0, nil
}

// React adds a reaction (e.g. "rocket") to an issue comment. GitHub answers
// an existing reaction with 200, so repeating it is harmless.
func (c *Client) React(ctx context.Context, commentID int64, content string) error {
	if _, _, err := c.gh.Reactions.CreateIssueCommentReaction(ctx, c.owner, c.repo, commentID, content); err != nil {
		return fmt.Errorf("github: react to comment %d: %w", commentID, err)
	}
	return nil
}

// errNoFile means the repository has no such file.
var errNoFile = errors.New("no such file in the repository")

// File returns a text file of the repository's default branch (Contents
// API); errNoFile when there is none (or the path is a directory).
func (c *Client) File(ctx context.Context, path string) (string, error) {
	file, _, resp, err := c.gh.Repositories.GetContents(ctx, c.owner, c.repo, path, nil)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", errNoFile
	}
	if err != nil {
		return "", fmt.Errorf("github: get %s: %w", path, err)
	}
	if file == nil || file.GetType() != "file" {
		return "", errNoFile
	}
	text, err := file.GetContent()
	if err != nil {
		return "", fmt.Errorf("github: decode %s: %w", path, err)
	}
	return text, nil
}

// notFound reports whether GitHub answered that the thing is gone (404 or
// 410).
func notFound(err error) bool {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode == http.StatusNotFound || er.Response.StatusCode == http.StatusGone
	}
	return false
}

// Permission is the login's permission on the repository: "admin",
// "write", "read" or "none" (GitHub folds maintain into write and triage
// into read). A login GitHub does not know is "none".
func (c *Client) Permission(ctx context.Context, login string) (string, error) {
	level, _, err := c.gh.Repositories.GetPermissionLevel(ctx, c.owner, c.repo, login)
	if notFound(err) {
		return "none", nil
	}
	if err != nil {
		return "", fmt.Errorf("github: permission of %s: %w", login, err)
	}
	return level.GetPermission(), nil
}

// Private reports whether the repository is private (or internal).
func (c *Client) Private(ctx context.Context) (bool, error) {
	repo, _, err := c.gh.Repositories.Get(ctx, c.owner, c.repo)
	if err != nil {
		return false, fmt.Errorf("github: get repository: %w", err)
	}
	return repo.GetPrivate() || repo.GetVisibility() == "internal", nil
}
