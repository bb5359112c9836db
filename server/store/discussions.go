package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// GitHub Discussions as the agents' desk: which discussion each ticket is
// mirrored to, the node ids of the posts made there, and the agents'
// discussion comments acted on.

// LinkGitHubDiscussion links a ticket to its discussion; false means the
// ticket had one already (it is never replaced).
func (tx *Tx) LinkGitHubDiscussion(ctx context.Context, ticketID, number int64, nodeID string) (bool, error) {
	return affected("link github discussion")(tx.stmt(ctx, tx.s.q.InsertGitHubDiscussion).ExecContext(ctx, ticketID, number, nodeID, tx.now))
}

// GitHubDiscussionOfTicket returns the discussion a ticket is mirrored to.
func (s *Store) GitHubDiscussionOfTicket(ctx context.Context, ticketID int64) (model.GitHubDiscussion, error) {
	var d model.GitHubDiscussion
	if err := s.q.GitHubDiscussionOfTicket.GetContext(ctx, &d, ticketID); err != nil {
		return model.GitHubDiscussion{}, notFound(err, fmt.Sprintf("discussion of ticket %d", ticketID))
	}
	return d, nil
}

// TicketByGitHubDiscussion returns the ticket linked to a discussion number.
func (s *Store) TicketByGitHubDiscussion(ctx context.Context, number int64) (model.Ticket, error) {
	var t model.Ticket
	if err := s.q.TicketByGitHubDiscussion.GetContext(ctx, &t, number); err != nil {
		return model.Ticket{}, notFound(err, fmt.Sprintf("ticket of discussion #%d", number))
	}
	return t, nil
}

// FinishGitHubNodePost records what GitHub made of a post: its number or
// database id and its node id; false means it was finished already.
func (tx *Tx) FinishGitHubNodePost(ctx context.Context, key string, githubID int64, nodeID string) (bool, error) {
	return affected("finish github post")(tx.stmt(ctx, tx.s.q.FinishGitHubNodePost).ExecContext(ctx, githubID, nodeID, tx.now, key))
}

// GitHubNodePost returns the post recorded under key, with its node id.
func (s *Store) GitHubNodePost(ctx context.Context, key string) (model.GitHubNodePost, error) {
	var p model.GitHubNodePost
	if err := s.q.GitHubNodePostByKey.GetContext(ctx, &p, key); err != nil {
		return model.GitHubNodePost{}, notFound(err, "github post "+key)
	}
	return p, nil
}

// RecordGitHubDiscussionComment records what an agent's discussion comment
// did and reports whether it is the first record; false means the comment
// was acted on already and the caller must roll back what it did.
func (tx *Tx) RecordGitHubDiscussionComment(ctx context.Context, c model.GitHubDiscussionComment) (bool, error) {
	return affected("record github discussion comment")(tx.stmt(ctx, tx.s.q.InsertGitHubDiscussionComment).ExecContext(ctx,
		c.CommentID, c.NodeID, c.TicketID, c.Outcome, c.MessageID, c.Detail, tx.now))
}

// GitHubDiscussionComment returns what was done with an agent's discussion
// comment.
func (s *Store) GitHubDiscussionComment(ctx context.Context, commentID int64) (model.GitHubDiscussionComment, error) {
	var c model.GitHubDiscussionComment
	if err := s.q.GitHubDiscussionCommentByID.GetContext(ctx, &c, commentID); err != nil {
		return model.GitHubDiscussionComment{}, notFound(err, fmt.Sprintf("github discussion comment %d", commentID))
	}
	return c, nil
}

// DiscussionRedactionTargets returns portico's posts on a ticket's
// discussion (the discussion, mirrored replies, notices; NodeID nil while a
// post is on its way) and the node ids of the agents' comments it acted on,
// for the redaction that follows an erasure. It reads from the write pool:
// the job runs right after the erasure committed.
func (s *Store) DiscussionRedactionTargets(ctx context.Context, ticketID int64) ([]model.GitHubNodePost, []string, error) {
	posts := []model.GitHubNodePost{}
	if err := s.q.GitHubDiscussionPostsOfTicket.SelectContext(ctx, &posts, ticketID); err != nil {
		return nil, nil, fmt.Errorf("store: github discussion posts of %d: %w", ticketID, err)
	}
	comments := []string{}
	if err := s.q.GitHubDiscussionAgentComments.SelectContext(ctx, &comments, ticketID); err != nil {
		return nil, nil, fmt.Errorf("store: github discussion comments of %d: %w", ticketID, err)
	}
	return posts, comments, nil
}

// GitHubIssueState returns the issue or discussion state last applied to a
// ticket and when it changed (Unix seconds, as AdvanceGitHubIssueState
// keeps it).
func (s *Store) GitHubIssueState(ctx context.Context, ticketID int64) (string, int64, error) {
	var row struct {
		State     string `db:"state"`
		ChangedAt int64  `db:"changed_at"`
	}
	if err := s.q.GitHubIssueStateOfTicket.GetContext(ctx, &row, ticketID); err != nil {
		return "", 0, notFound(err, fmt.Sprintf("github state of ticket %d", ticketID))
	}
	return row.State, row.ChangedAt, nil
}
