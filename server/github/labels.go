package github

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Labels and assignees of issues, for workflow actions (add_tag, remove_tag,
// set_department, assign). IssueLabels implements workflows.IssueLabeler.

// IssueLabels reaches the repository's issue labels and assignees; nil when
// the sync is off.
type IssueLabels struct {
	client *Client
	now    func() time.Time
}

// IssueLabels returns the labeler, or nil when no repository is configured.
func (s *Service) IssueLabels() *IssueLabels {
	if s.client == nil {
		return nil
	}
	return &IssueLabels{client: s.client, now: s.now}
}

// rateLimited is a GitHub rate limit, with how long to wait.
type rateLimited struct {
	err  error
	wait time.Duration
}

func (r rateLimited) Error() string { return r.err.Error() }
func (r rateLimited) Unwrap() error { return r.err }

// RetryAfter is how long to wait before trying again.
func (r rateLimited) RetryAfter() time.Duration { return r.wait }

func (l *IssueLabels) wrap(err error) error {
	if wait, ok := rateLimitWait(err, l.now()); ok {
		return rateLimited{err: err, wait: wait}
	}
	return err
}

// AddLabels adds labels to an issue (GitHub creates labels that do not exist
// yet; labels the issue has stay once).
func (l *IssueLabels) AddLabels(ctx context.Context, issue int64, labels []string) error {
	c := l.client
	if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, int(issue), labels); err != nil {
		return l.wrap(fmt.Errorf("github: add labels to #%d: %w", issue, err))
	}
	return nil
}

// RemoveLabel removes a label from an issue; an issue without it is fine.
func (l *IssueLabels) RemoveLabel(ctx context.Context, issue int64, label string) error {
	c := l.client
	// go-github puts the name into the path as it is.
	if _, err := c.gh.Issues.RemoveLabelForIssue(ctx, c.owner, c.repo, int(issue), url.PathEscape(label)); err != nil {
		if notFound(err) {
			return nil
		}
		return l.wrap(fmt.Errorf("github: remove label %q from #%d: %w", label, issue, err))
	}
	return nil
}

// AddAssignees assigns logins to an issue (GitHub ignores logins that
// cannot be assigned in the repository).
func (l *IssueLabels) AddAssignees(ctx context.Context, issue int64, logins []string) error {
	c := l.client
	if _, _, err := c.gh.Issues.AddAssignees(ctx, c.owner, c.repo, int(issue), logins); err != nil {
		return l.wrap(fmt.Errorf("github: assign #%d: %w", issue, err))
	}
	return nil
}
