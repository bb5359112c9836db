package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/shurcooL/githubv4"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// The discussion webhooks: discussion_comment (created) carries the agents'
// commands and notes, discussion (closed, reopened) the ticket's state. They
// arrive at the same signed endpoint as the issue events and are recorded
// and deduplicated the same way.

// Discussion webhook events.
const (
	eventDiscussion        = "discussion"
	eventDiscussionComment = "discussion_comment"
)

// DiscussionCommentEventArgs is a discussion_comment.created webhook, as
// much of it as acting on the comment needs.
type DiscussionCommentEventArgs struct {
	Delivery         string `json:"delivery"`
	DiscussionNumber int64  `json:"discussion_number"`
	DiscussionTitle  string `json:"discussion_title"`
	DiscussionURL    string `json:"discussion_url"`
	// CommentID is the comment's database id ("id" in the payload),
	// CommentNodeID its GraphQL node id.
	CommentID     int64  `json:"comment_id"`
	CommentNodeID string `json:"comment_node_id"`
	Body          string `json:"body"`
	Login         string `json:"login"`
	Association   string `json:"author_association"`
}

// Kind names the job for River.
func (DiscussionCommentEventArgs) Kind() string { return "github.discussion_comment_event" }

// DiscussionEventArgs is a discussion.closed or discussion.reopened webhook.
// ChangedAt is the discussion's updated_at: GitHub sends no closed_at for
// discussions, and the close is what updated it.
type DiscussionEventArgs struct {
	Delivery  string    `json:"delivery"`
	Number    int64     `json:"discussion_number"`
	Closed    bool      `json:"closed"`
	ChangedAt time.Time `json:"changed_at"`
}

// Kind names the job for River.
func (DiscussionEventArgs) Kind() string { return "github.discussion_event" }

// discussionPayload holds the fields portico reads of discussion and
// discussion_comment webhooks.
type discussionPayload struct {
	Action     string `json:"action"`
	Discussion *struct {
		Number    int64      `json:"number"`
		Title     string     `json:"title"`
		HTMLURL   string     `json:"html_url"`
		UpdatedAt *time.Time `json:"updated_at"`
	} `json:"discussion"`
	Comment *struct {
		ID     int64  `json:"id"`
		NodeID string `json:"node_id"`
		Body   string `json:"body"`
		User   *struct {
			Login string `json:"login"`
		} `json:"user"`
		AuthorAssociation string `json:"author_association"`
	} `json:"comment"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// isDiscussionEvent reports whether Accept hands the delivery to
// acceptDiscussion.
func isDiscussionEvent(event string) bool {
	return event == eventDiscussion || event == eventDiscussionComment
}

// acceptDiscussion is Accept for the discussion events. They are accepted
// whatever the desk setting says: tickets mirrored to discussions before a
// switch to issues keep working.
func (s *Service) acceptDiscussion(ctx context.Context, d Delivery) (string, error) {
	var p discussionPayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if !s.Enabled() || p.Repository == nil || !strings.EqualFold(p.Repository.FullName, s.repo) ||
		p.Discussion == nil || p.Discussion.Number <= 0 {
		return OutcomeIgnored, nil
	}
	var job river.JobArgs
	switch {
	case d.Event == eventDiscussionComment && p.Action == "created" && p.Comment != nil && p.Comment.ID > 0 && p.Comment.NodeID != "":
		c := p.Comment
		args := DiscussionCommentEventArgs{Delivery: d.ID, DiscussionNumber: p.Discussion.Number, DiscussionTitle: p.Discussion.Title,
			DiscussionURL: p.Discussion.HTMLURL, CommentID: c.ID, CommentNodeID: c.NodeID, Body: c.Body, Association: c.AuthorAssociation}
		if c.User != nil {
			args.Login = c.User.Login
		}
		job = args
	case d.Event == eventDiscussion && (p.Action == "closed" || p.Action == "reopened"):
		changed := s.now().UTC()
		if p.Discussion.UpdatedAt != nil {
			changed = p.Discussion.UpdatedAt.UTC()
		}
		job = DiscussionEventArgs{Delivery: d.ID, Number: p.Discussion.Number, Closed: p.Action == "closed", ChangedAt: changed}
	default:
		return OutcomeIgnored, nil
	}
	return s.queueDelivery(ctx, d, job)
}

// discussionCommentEvent acts on an agent's comment on a ticket's
// discussion as commentEvent does on an issue comment: a command from
// someone with write access is carried out (🚀 says it went out, a comment
// explains a failure); anything else becomes an internal note. Portico's own
// comments (they start with its marker) are skipped; the record of what a
// comment did commits with the action, so each comment acts once.
func (s *Service) discussionCommentEvent(ctx context.Context, job *river.Job[DiscussionCommentEventArgs]) error {
	a := job.Args
	t, err := s.store.TicketByGitHubDiscussion(ctx, a.DiscussionNumber)
	if errors.Is(err, model.ErrNotFound) {
		return nil // not a ticket's discussion
	}
	if err != nil {
		return err
	}
	if isOwnPost(a.Body) {
		return nil
	}
	if _, err := s.store.GitHubDiscussionComment(ctx, a.CommentID); err == nil {
		return nil // acted on already
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	cmd, isCommand := parseCommand(a.Body)
	if isCommand && s.Enabled() {
		allowed, err := s.mayCommand(ctx, a.Login)
		if err != nil {
			return s.retry(ctx, err)
		}
		if !allowed {
			s.log.InfoContext(ctx, "github command ignored: author lacks write access", "ticket", t.Reference, "discussion_comment", a.CommentID, "login", a.Login)
			isCommand = false
		}
	}
	if !isCommand {
		return handled(s.noteFromDiscussionComment(ctx, t.ID, a, strings.TrimSpace(a.Body)))
	}
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	// /reply's {{issue_*}} placeholders name the discussion.
	reply, failure, err := s.compose(ctx, t, cmd, CommentEventArgs{Login: a.Login,
		IssueTitle: a.DiscussionTitle, IssueNumber: a.DiscussionNumber, IssueURL: a.DiscussionURL})
	if err != nil {
		return s.retry(ctx, err)
	}
	if failure == "" {
		err = s.sendFromDiscussionComment(ctx, t.ID, a, reply)
		if !errors.Is(err, tickets.ErrNoRecipient) {
			if err == nil {
				s.log.InfoContext(ctx, "agent reply sent from a github discussion", "ticket", t.Reference, "command", cmd.Name,
					"discussion_comment", a.CommentID, "delivery", a.Delivery)
			}
			return handled(err)
		}
		failure = noRecipient
	}
	s.log.InfoContext(ctx, "github command not carried out", "ticket", t.Reference, "discussion_comment", a.CommentID, "why", failure)
	return handled(s.discussionCommandFailed(ctx, t.ID, a, failure))
}

// sendFromDiscussionComment sends the agent's reply, records the comment
// and queues the 🚀 reaction, all in one transaction.
func (s *Service) sendFromDiscussionComment(ctx context.Context, ticketID int64, a DiscussionCommentEventArgs, r tickets.AgentReply) error {
	r.Source = model.SourceGitHub
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		msg, err := s.tickets.SendAgentReply(ctx, r)
		if err != nil {
			return err
		}
		c := model.GitHubDiscussionComment{CommentID: a.CommentID, NodeID: a.CommentNodeID, TicketID: ticketID,
			Outcome: model.GitHubCommentSent, MessageID: &msg.ID}
		if err := recordDiscussionComment(ctx, tx, c); err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), DiscussionReactArgs{CommentNodeID: a.CommentNodeID, Content: string(githubv4.ReactionContentRocket)})
	})
}

// noteFromDiscussionComment records the comment as an internal note.
func (s *Service) noteFromDiscussionComment(ctx context.Context, ticketID int64, a DiscussionCommentEventArgs, body string) error {
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		msg, err := s.tickets.AddInternalNote(ctx, tickets.Note{TicketID: ticketID, Source: model.SourceGitHub, Author: a.Login, Body: body})
		if err != nil {
			return err
		}
		return recordDiscussionComment(ctx, tx, model.GitHubDiscussionComment{CommentID: a.CommentID, NodeID: a.CommentNodeID,
			TicketID: ticketID, Outcome: model.GitHubCommentNote, MessageID: &msg.ID})
	})
}

// discussionCommandFailed records that the command could not be carried out
// and queues the comment that explains why, together.
func (s *Service) discussionCommandFailed(ctx context.Context, ticketID int64, a DiscussionCommentEventArgs, failure string) error {
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		c := model.GitHubDiscussionComment{CommentID: a.CommentID, NodeID: a.CommentNodeID, TicketID: ticketID,
			Outcome: model.GitHubCommentFailed, Detail: failure}
		if err := recordDiscussionComment(ctx, tx, c); err != nil {
			return err
		}
		key := discussionNoticeKey(a.CommentID)
		return s.queuePostTx(ctx, tx, key, ticketID, PostDiscussionCommentArgs{TicketID: ticketID, Key: key, Body: noticeComment(a.CommentID, failure)})
	})
}

func recordDiscussionComment(ctx context.Context, tx *store.Tx, c model.GitHubDiscussionComment) error {
	first, err := tx.RecordGitHubDiscussionComment(ctx, c)
	if err != nil {
		return err
	}
	if !first {
		return errCommentHandled
	}
	return nil
}

// discussionEvent closes or reopens the ticket of the discussion; a change
// older than one applied already is ignored (the issues' state table keeps
// the order: a ticket is on one desk only).
func (s *Service) discussionEvent(ctx context.Context, job *river.Job[DiscussionEventArgs]) error {
	a := job.Args
	t, err := s.store.TicketByGitHubDiscussion(ctx, a.Number)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	state := model.StatusOpen
	if a.Closed {
		state = model.StatusClosed
	}
	if last, at, err := s.store.GitHubIssueState(ctx, t.ID); err == nil && last == state && at == a.ChangedAt.Unix() {
		// The echo of a change portico made itself (discussionState): the
		// ticket may have changed since, and must not be changed back.
		s.log.InfoContext(ctx, "github discussion state: portico's own change", "ticket", t.Reference, "closed", a.Closed, "delivery", a.Delivery)
		return nil
	} else if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	applied, err := s.applyIssueState(ctx, t.ID, a.Closed, a.ChangedAt, a.ChangedAt)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "github discussion state", "ticket", t.Reference, "closed", a.Closed, "applied", applied, "delivery", a.Delivery)
	return nil
}
