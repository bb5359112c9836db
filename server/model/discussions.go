package model

import "time"

// GitHub Discussions as the agents' desk (issue 16).

// GitHubDiscussion is the discussion a ticket is mirrored to: what
// Ticket.GitHubIssueNumber is for a ticket mirrored to an issue. NodeID is
// how GitHub's GraphQL API addresses it.
type GitHubDiscussion struct {
	TicketID  int64     `db:"ticket_id"`
	Number    int64     `db:"number"`
	NodeID    string    `db:"node_id"`
	CreatedAt time.Time `db:"created_at"`
}

// GitHubNodePost is a post with the node id of what GitHub made of it (set
// with GitHubID once accepted): discussions and their comments are edited
// and reacted to by node id.
type GitHubNodePost struct {
	GitHubPost
	NodeID *string `db:"node_id"`
}

// GitHubDiscussionComment records what an agent's discussion comment did,
// as GitHubComment does for issue comments; NodeID addresses the comment
// (a reaction, a redaction).
type GitHubDiscussionComment struct {
	CommentID int64     `db:"comment_id"`
	NodeID    string    `db:"node_id"`
	TicketID  int64     `db:"ticket_id"`
	Outcome   string    `db:"outcome"`
	MessageID *int64    `db:"message_id"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}
