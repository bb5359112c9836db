package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
)

// The GitHub sync's bookkeeping: webhook deliveries seen, posts made to
// GitHub, agent comments acted on and the issue state last applied.

// DeliveryRetention is how long webhook delivery ids are remembered; GitHub
// redelivers on request for a few days at most.
const DeliveryRetention = 30 * 24 * time.Hour

// RecordGitHubDelivery remembers a webhook delivery id and reports whether it
// is new; false means it was seen before. Deliveries older than
// DeliveryRetention are forgotten on the way.
func (tx *Tx) RecordGitHubDelivery(ctx context.Context, deliveryID, event string) (bool, error) {
	if _, err := tx.stmt(ctx, tx.s.q.PruneGitHubDeliveries).ExecContext(ctx, tx.now.Add(-DeliveryRetention)); err != nil {
		return false, fmt.Errorf("store: prune github deliveries: %w", err)
	}
	return affected("record github delivery")(tx.stmt(ctx, tx.s.q.InsertGitHubDelivery).ExecContext(ctx, deliveryID, event, tx.now))
}

// QueueGitHubPost records that something is to be posted to GitHub under
// key and reports whether the key is new; the caller enqueues the job that
// posts it only then, in the same transaction.
func (tx *Tx) QueueGitHubPost(ctx context.Context, key string, ticketID int64) (bool, error) {
	return affected("queue github post")(tx.stmt(ctx, tx.s.q.InsertGitHubPost).ExecContext(ctx, key, ticketID, tx.now))
}

// GitHubPost returns the post recorded under key.
func (s *Store) GitHubPost(ctx context.Context, key string) (model.GitHubPost, error) {
	var p model.GitHubPost
	if err := s.q.GitHubPostByKey.GetContext(ctx, &p, key); err != nil {
		return model.GitHubPost{}, notFound(err, "github post "+key)
	}
	return p, nil
}

// FinishGitHubPost records what GitHub made of a post (the issue number or
// the comment id); false means it was finished already.
func (tx *Tx) FinishGitHubPost(ctx context.Context, key string, githubID int64) (bool, error) {
	return affected("finish github post")(tx.stmt(ctx, tx.s.q.FinishGitHubPost).ExecContext(ctx, githubID, tx.now, key))
}

// SetGitHubIssueNumber links a ticket to its issue; false means the ticket
// had an issue already (it is never replaced).
func (tx *Tx) SetGitHubIssueNumber(ctx context.Context, ticketID, number int64) (bool, error) {
	return affected("set github issue number")(tx.stmt(ctx, tx.s.q.SetGitHubIssueNumber).ExecContext(ctx, number, tx.now, ticketID))
}

// TicketByGitHubIssue returns the ticket linked to an issue number.
func (s *Store) TicketByGitHubIssue(ctx context.Context, number int64) (model.Ticket, error) {
	var t model.Ticket
	if err := s.q.TicketByGitHubIssue.GetContext(ctx, &t, number); err != nil {
		return model.Ticket{}, notFound(err, fmt.Sprintf("ticket of issue #%d", number))
	}
	return t, nil
}

// Message returns one timeline message.
func (s *Store) Message(ctx context.Context, id int64) (model.Message, error) {
	var m model.Message
	if err := s.q.MessageByID.GetContext(ctx, &m, id); err != nil {
		return model.Message{}, notFound(err, fmt.Sprintf("message %d", id))
	}
	return m, nil
}

// RecordGitHubComment records what an agent's comment did and reports
// whether it is the first record; false means the comment was acted on
// already and the caller must roll back what it did.
func (tx *Tx) RecordGitHubComment(ctx context.Context, c model.GitHubComment) (bool, error) {
	return affected("record github comment")(tx.stmt(ctx, tx.s.q.InsertGitHubComment).ExecContext(ctx,
		c.CommentID, c.TicketID, c.Outcome, c.MessageID, c.Detail, tx.now))
}

// GitHubComment returns what was done with an agent's comment.
func (s *Store) GitHubComment(ctx context.Context, commentID int64) (model.GitHubComment, error) {
	var c model.GitHubComment
	if err := s.q.GitHubCommentByID.GetContext(ctx, &c, commentID); err != nil {
		return model.GitHubComment{}, notFound(err, fmt.Sprintf("github comment %d", commentID))
	}
	return c, nil
}

// AdvanceGitHubIssueState records that the ticket's issue changed to state at
// changedAt and reports whether that is the newest change seen; false means
// a later change was applied already and this one must be ignored.
func (tx *Tx) AdvanceGitHubIssueState(ctx context.Context, ticketID int64, state string, changedAt time.Time) (bool, error) {
	var id int64
	err := tx.stmt(ctx, tx.s.q.AdvanceGitHubIssueState).GetContext(ctx, &id, ticketID, state, changedAt.Unix())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: advance issue state: %w", err)
	}
	return true, nil
}

// TicketAndIssueState returns, read together, the ticket's status and its
// GitHub issue's state as portico last saw or set it ("" when it never
// changed since portico opened it).
func (s *Store) TicketAndIssueState(ctx context.Context, ticketID int64) (status, issueState string, err error) {
	var row struct {
		Status     string `db:"status"`
		IssueState string `db:"issue_state"`
	}
	if err := s.q.TicketAndIssueState.GetContext(ctx, &row, ticketID); err != nil {
		return "", "", notFound(err, model.Reference(ticketID))
	}
	return row.Status, row.IssueState, nil
}

// GitHubPosts returns every post recorded for a ticket.
func (s *Store) GitHubPosts(ctx context.Context, ticketID int64) ([]model.GitHubPost, error) {
	posts := []model.GitHubPost{}
	if err := s.q.GitHubPostsOfTicket.SelectContext(ctx, &posts, ticketID); err != nil {
		return nil, fmt.Errorf("store: github posts of %d: %w", ticketID, err)
	}
	return posts, nil
}

// GitHubPostsOfTicket returns every post recorded for a ticket, in the
// transaction.
func (tx *Tx) GitHubPostsOfTicket(ctx context.Context, ticketID int64) ([]model.GitHubPost, error) {
	posts := []model.GitHubPost{}
	if err := tx.stmt(ctx, tx.s.q.GitHubPostsOfTicket).SelectContext(ctx, &posts, ticketID); err != nil {
		return nil, fmt.Errorf("store: github posts of %d: %w", ticketID, err)
	}
	return posts, nil
}

// DeleteGitHubPost forgets a post that was never made, so that its key can
// be queued again; false when there is none or it was made.
func (tx *Tx) DeleteGitHubPost(ctx context.Context, key string) (bool, error) {
	return affected("delete github post")(tx.stmt(ctx, tx.s.q.DeleteGitHubPost).ExecContext(ctx, key))
}

// TicketsWithoutIssue returns the ids of the tickets that have no GitHub
// issue, were not erased and have no post keyed otherDesk + id (mirrored
// elsewhere, e.g. "discussion:"), oldest first, and how many erased ones
// have no issue either.
func (s *Store) TicketsWithoutIssue(ctx context.Context, otherDesk string) ([]int64, int64, error) {
	ids := []int64{}
	if err := s.q.TicketsWithoutIssue.SelectContext(ctx, &ids, otherDesk); err != nil {
		return nil, 0, fmt.Errorf("store: tickets without issue: %w", err)
	}
	var erased int64
	if err := s.q.CountErasedWithoutIssue.GetContext(ctx, &erased); err != nil {
		return nil, 0, fmt.Errorf("store: erased tickets without issue: %w", err)
	}
	return ids, erased, nil
}

// TicketErased reports whether the ticket was erased (privacy).
func (s *Store) TicketErased(ctx context.Context, ticketID int64) (bool, error) {
	var erased bool
	if err := s.q.TicketErased.GetContext(ctx, &erased, ticketID); err != nil {
		return false, notFound(err, model.Reference(ticketID))
	}
	return erased, nil
}

// affected reports whether an INSERT ... ON CONFLICT DO NOTHING or a
// guarded UPDATE changed a row; what names the statement in errors.
func affected(what string) func(sql.Result, error) (bool, error) {
	return func(res sql.Result, err error) (bool, error) {
		if err != nil {
			return false, fmt.Errorf("store: %s: %w", what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("store: %s: %w", what, err)
		}
		return n > 0, nil
	}
}
