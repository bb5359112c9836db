package github

import (
	"context"
	"errors"
	"fmt"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// The issue's state follows the ticket's (issue 16): a ticket closed in
// portico closes its issue (state_reason completed), a ticket reopened in
// portico reopens it, and a customer's reply that reopened the ticket is
// announced on the issue. The other way (the issue closed or reopened on
// GitHub) is issueEvent's.
//
// No loops: github_issue_states holds the issue's state as portico last saw
// it (from a webhook) or set it (from the answer to its own PATCH), with the
// issue's updated_at. A ticket change whose state the issue has already (it
// came from GitHub) queues nothing, and GitHub's webhook echoing portico's
// own PATCH (the same state at the same updated_at) changes nothing.

// IssueStateArgs brings the ticket's issue to the ticket's state at the time
// the job runs (so jobs that run out of order still leave the issue as the
// ticket is) and, when MessageID is set, comments that this customer
// message reopened the ticket. Key is its github_posts key.
type IssueStateArgs struct {
	TicketID  int64  `json:"ticket_id"`
	Key       string `json:"key"`
	MessageID int64  `json:"message_id,omitempty"`
}

// Kind names the job for River.
func (IssueStateArgs) Kind() string { return "github.issue_state" }

// onStateChanged queues what a ticket.closed or ticket.reopened asks of the
// issue, once however often the event is published. Tickets without an issue
// (filed while the sync was off) get theirs from the backfill, in the
// ticket's state then.
func (s *Service) onStateChanged(ctx context.Context, e events.Event) error {
	if _, err := s.store.GitHubPost(ctx, issueKey(e.TicketID)); errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if e.Kind == events.TicketReopened && e.MessageID != 0 {
		key := reopenKey(e.MessageID)
		return s.queuePost(ctx, key, e.TicketID, IssueStateArgs{TicketID: e.TicketID, Key: key, MessageID: e.MessageID})
	}
	status, known, err := s.states(ctx, e.TicketID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if (e.Kind == events.TicketClosed) != (status == model.StatusClosed) {
		// Changed again since: the later change's event brings the issue
		// in step.
		return nil
	}
	if known == status {
		// The change came from GitHub: nothing to tell it.
		return nil
	}
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("%s-%d-%d", e.Kind, e.TicketID, e.At.UnixNano())
	}
	key := stateKey(id)
	return s.queuePost(ctx, key, e.TicketID, IssueStateArgs{TicketID: e.TicketID, Key: key})
}

// states returns the ticket's status and its issue's state as portico last
// saw or set it, read together (read apart, a change landing between the
// reads would look like a difference to sync); an issue that never changed
// is open, as portico opened it.
func (s *Service) states(ctx context.Context, ticketID int64) (status, issue string, err error) {
	status, issue, err = s.store.TicketAndIssueState(ctx, ticketID)
	if issue == "" {
		issue = model.StatusOpen
	}
	return status, issue, err
}

// issueState runs IssueStateArgs. A retry finds the state set already and
// the reopen comment by its marker, so nothing is done twice.
func (s *Service) issueState(ctx context.Context, job *river.Job[IssueStateArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	post, finished, err := s.posted(ctx, a.Key)
	if finished || err != nil {
		return err
	}
	t, issue, err := s.issueOf(ctx, a.TicketID)
	if err != nil {
		return err
	}
	if err := s.syncIssueState(ctx, t); err != nil {
		return err
	}
	done := issue
	if a.MessageID != 0 {
		m, err := s.store.Message(ctx, a.MessageID)
		if err != nil {
			return gone(err)
		}
		var id int64
		if job.Attempt > 1 {
			if id, err = s.client.FindComment(ctx, issue, marker(a.Key), post.CreatedAt.Add(-lookBack)); err != nil {
				return s.retry(ctx, err)
			}
		}
		if id == 0 {
			if id, err = s.client.CreateComment(ctx, issue, reopenComment(m)); err != nil {
				return s.retry(ctx, err)
			}
		}
		done = id
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishGitHubPost(ctx, a.Key, done)
		return err
	})
}

// syncIssueState closes or reopens the ticket's issue while portico does not
// know it to be in the ticket's state, and records the state GitHub answered
// with its updated_at: the webhook that echoes this change then matches it
// and changes nothing. It looks again after each change, since the ticket
// (or, through a webhook, the issue) may have changed meanwhile. An issue
// deleted on GitHub is left alone.
func (s *Service) syncIssueState(ctx context.Context, t model.Ticket) error {
	issue := *t.GitHubIssueNumber
	for range maxStateRounds {
		status, known, err := s.states(ctx, t.ID)
		if err != nil || known == status {
			return err
		}
		got, err := s.client.SetIssueState(ctx, issue, status == model.StatusClosed)
		if notFound(err) {
			s.log.InfoContext(ctx, "github issue gone; its state is not synced", "ticket", t.Reference, "issue", issue)
			return nil
		}
		if err != nil {
			return s.retry(ctx, err)
		}
		var recorded bool
		err = s.store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			recorded, err = tx.AdvanceGitHubIssueState(ctx, t.ID, got.State, got.UpdatedAt)
			return err
		})
		if err != nil {
			return err
		}
		s.log.InfoContext(ctx, "github issue state set", "ticket", t.Reference, "issue", issue, "state", got.State, "recorded", recorded)
	}
	return fmt.Errorf("github: the state of %s keeps changing; trying again later", t.Reference)
}

// maxStateRounds bounds how often one job changes an issue's state while
// the ticket keeps changing under it; the job then retries with backoff.
const maxStateRounds = 3

// IssueState is an issue's state as GitHub answered a change of it.
type IssueState struct {
	State     string // "open" or "closed"
	UpdatedAt time.Time
}

// SetIssueState closes an issue as completed, or reopens it.
func (c *Client) SetIssueState(ctx context.Context, number int64, closed bool) (IssueState, error) {
	req := &gh.IssueRequest{State: gh.String(model.StatusOpen)}
	if closed {
		req.State, req.StateReason = gh.String(model.StatusClosed), gh.String("completed")
	}
	is, _, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, int(number), req)
	if err != nil {
		return IssueState{}, fmt.Errorf("github: set the state of #%d: %w", number, err)
	}
	return IssueState{State: is.GetState(), UpdatedAt: is.GetUpdatedAt().Time}, nil
}
