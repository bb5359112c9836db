package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/portico/portico/server/store"
)

// Redaction after an erasure (issue 10): what GitHub shows of erased data is
// replaced with a notice, by a durable job that the erasure enqueues in its
// own transaction (privacy.Redactor). Portico's own posts keep their marker,
// so a retried post still finds them and the webhook still knows them.

// RedactArgs edits the issue of an erased ticket (Whole: title, body, every
// mirrored reply and the agents' comments portico acted on), or only the
// comments that mirrored some messages (a participant's replies on someone
// else's ticket).
type RedactArgs struct {
	TicketID   int64   `json:"ticket_id"`
	Whole      bool    `json:"whole,omitempty"`
	MessageIDs []int64 `json:"message_ids,omitempty"`
}

// Kind names the job for River.
func (RedactArgs) Kind() string { return "github.redact" }

// Redaction notices.
const (
	redactedIssue   = "🔒 **Erased.** The personal data of this ticket was erased in portico; this issue keeps only its number and dates."
	redactedComment = "🔒 _Erased in portico: this comment held personal data._"
)

// RedactTicket queues the redaction of a ticket's issue inside the erasing
// transaction. With the sync off nothing is queued: GitHub cannot be
// reached, and the erasure must not wait for it.
func (s *Service) RedactTicket(ctx context.Context, tx *store.Tx, ticketID int64) error {
	if !s.Enabled() {
		return nil
	}
	return s.jobs.Enqueue(ctx, tx.SQL(), RedactArgs{TicketID: ticketID, Whole: true})
}

// RedactMessages queues the redaction of the comments that mirrored these
// messages of a ticket.
func (s *Service) RedactMessages(ctx context.Context, tx *store.Tx, ticketID int64, messageIDs []int64) error {
	if !s.Enabled() || len(messageIDs) == 0 {
		return nil
	}
	return s.jobs.Enqueue(ctx, tx.SQL(), RedactArgs{TicketID: ticketID, MessageIDs: messageIDs})
}

// errPostPending makes the redaction wait for a post still on its way.
var errPostPending = errors.New("a post to the issue is still on its way; redacting after it")

// redact edits what the erasure asks for. Edits are idempotent, so a retry
// simply does them again; a post still on its way (the issue of a ticket
// erased right after it was filed) makes the job retry later, so that it is
// redacted too. Issues and comments deleted on GitHub are skipped, and so
// are agents' comments portico may not edit.
func (s *Service) redact(ctx context.Context, job *river.Job[RedactArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	t, err := s.store.Ticket(ctx, a.TicketID)
	if err != nil {
		return gone(err)
	}
	posts, agentComments, err := s.store.RedactionTargets(ctx, a.TicketID)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, id := range a.MessageIDs {
		// The reply's comment, and the notice that it reopened the ticket
		// (it names the customer).
		wanted[messageKey(id)] = true
		wanted[reopenKey(id)] = true
	}
	edits := 0
	for _, p := range posts {
		isIssue := p.Key == issueKey(t.ID)
		// A whole ticket: its issue, the mirrored replies, reopen notices and
		// the ratings.
		mirror := strings.HasPrefix(p.Key, "message:") || strings.HasPrefix(p.Key, "reopen:") || strings.HasPrefix(p.Key, "rating:")
		if !(a.Whole && (isIssue || mirror)) && !wanted[p.Key] {
			continue
		}
		if p.GitHubID == nil {
			return fmt.Errorf("github: redact %s: %w", t.Reference, errPostPending)
		}
		if isIssue {
			err = s.client.EditIssue(ctx, *p.GitHubID, issueTitle(t), marker(p.Key)+"\n"+redactedIssue)
		} else {
			err = s.client.EditComment(ctx, *p.GitHubID, marker(p.Key)+"\n"+redactedComment)
		}
		if err = s.skipGone(ctx, err, false); err != nil {
			return err
		}
		edits++
	}
	if a.Whole {
		for _, id := range agentComments {
			err := s.client.EditComment(ctx, id, redactedComment)
			if err = s.skipGone(ctx, err, true); err != nil {
				return err
			}
			edits++
		}
	}
	n, err := s.redactDiscussion(ctx, t, a)
	if err != nil {
		return err
	}
	edits += n
	s.log.InfoContext(ctx, "github redacted", "ticket", t.Reference, "whole", a.Whole, "edits", edits)
	return nil
}

// skipGone lets the redaction go on past an issue or comment deleted on
// GitHub (404, 410) and, for agents' comments, one portico may not edit
// (403 that is no rate limit); anything else retries the job.
func (s *Service) skipGone(ctx context.Context, err error, agents bool) error {
	if err == nil {
		return nil
	}
	if _, limited := rateLimitWait(err, s.now()); !limited {
		var er *gh.ErrorResponse
		forbidden := errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden
		if notFound(err) || (agents && forbidden) {
			s.log.InfoContext(ctx, "github redaction skipped", "err", err)
			return nil
		}
	}
	return s.retry(ctx, err)
}

// EditIssue replaces an issue's title and body.
func (c *Client) EditIssue(ctx context.Context, number int64, title, body string) error {
	if _, _, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, int(number), &gh.IssueRequest{Title: &title, Body: &body}); err != nil {
		return fmt.Errorf("github: edit issue #%d: %w", number, err)
	}
	return nil
}

// EditComment replaces an issue comment's body.
func (c *Client) EditComment(ctx context.Context, commentID int64, body string) error {
	if _, _, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, commentID, &gh.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("github: edit comment %d: %w", commentID, err)
	}
	return nil
}
