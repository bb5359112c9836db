package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// What the GitHub sync needs of the tickets: the ticket behind an issue,
// what an issue and a mirrored comment show, and the agent's actions from
// GitHub, each recorded with the comment that caused it in one transaction
// so that a webhook job that runs twice acts once.

// ErrCommentHandled means the agent's GitHub comment was acted on already;
// nothing was done this time.
var ErrCommentHandled = errors.New("the GitHub comment was acted on already")

// TicketByIssue returns the ticket linked to a GitHub issue number
// (model.ErrNotFound if none is).
func (s *Service) TicketByIssue(ctx context.Context, number int64) (model.Ticket, error) {
	return s.store.TicketByGitHubIssue(ctx, number)
}

// IssueSource is what a ticket's GitHub issue shows: the ticket, its contact
// (nil for a host-app user without email) and the customer's first message.
type IssueSource struct {
	Ticket  model.Ticket
	Contact *model.Contact
	Message model.Message
}

// IssueSource returns what the issue of a ticket is made of; messageID is
// the message of the ticket.created event (0: the ticket's first message).
func (s *Service) IssueSource(ctx context.Context, ticketID, messageID int64) (IssueSource, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return IssueSource{}, err
	}
	src := IssueSource{Ticket: t}
	if t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil {
			return IssueSource{}, err
		}
		src.Contact = &c
	}
	if messageID != 0 {
		if src.Message, err = s.store.Message(ctx, messageID); err != nil {
			return IssueSource{}, err
		}
		return src, nil
	}
	msgs, err := s.store.Messages(ctx, ticketID)
	if err != nil {
		return IssueSource{}, err
	}
	if len(msgs) > 0 {
		src.Message = msgs[0]
	}
	return src, nil
}

// CustomerReply returns the message of a reply.created event with its
// ticket, and whether it is a customer's reply that GitHub should show (one
// from the portal or by email; agent replies and notes are not).
func (s *Service) CustomerReply(ctx context.Context, messageID int64) (model.Ticket, model.Message, bool, error) {
	m, err := s.store.Message(ctx, messageID)
	if err != nil {
		return model.Ticket{}, model.Message{}, false, err
	}
	if m.Direction != model.DirectionInbound || (m.Source != model.SourcePortal && m.Source != model.SourceEmail) {
		return model.Ticket{}, m, false, nil
	}
	t, err := s.store.Ticket(ctx, m.TicketID)
	if err != nil {
		return model.Ticket{}, model.Message{}, false, err
	}
	return t, m, true, nil
}

// ReplyFromGitHub is SendAgentReply for a reply written as GitHub comment
// commentID: the comment is recorded in the same transaction, and also (when
// set) runs there too (the caller queues the 🚀 reaction). A comment that
// was acted on already answers ErrCommentHandled and sends nothing.
func (s *Service) ReplyFromGitHub(ctx context.Context, commentID int64, r AgentReply, also func(*store.Tx) error) (model.Message, error) {
	return s.sendAgentReply(ctx, r, func(tx *store.Tx, msg model.Message) error {
		return s.recordComment(ctx, tx, model.GitHubComment{
			CommentID: commentID, TicketID: r.TicketID, Outcome: model.GitHubCommentSent, MessageID: &msg.ID,
		}, also)
	})
}

// NoteFromGitHub is AddInternalNote for GitHub comment commentID, recorded
// with the comment: a comment becomes one note, however often it is handled.
func (s *Service) NoteFromGitHub(ctx context.Context, ticketID, commentID int64, author, body string) (model.Message, error) {
	var msg model.Message
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		msg, err = tx.AddMessage(ctx, store.NewMessage{
			TicketID: ticketID, Direction: model.DirectionInternal, Source: model.SourceGitHub, AuthorName: author, Body: body,
		})
		if err != nil {
			return err
		}
		return s.recordComment(ctx, tx, model.GitHubComment{
			CommentID: commentID, TicketID: ticketID, Outcome: model.GitHubCommentNote, MessageID: &msg.ID,
		}, nil)
	})
	if err != nil {
		return model.Message{}, fmt.Errorf("tickets: note from GitHub comment %d: %w", commentID, err)
	}
	return msg, nil
}

// GitHubCommandFailed records that the command in GitHub comment commentID
// could not be carried out and why; also runs in the same transaction (the
// caller queues the comment that explains it).
func (s *Service) GitHubCommandFailed(ctx context.Context, ticketID, commentID int64, detail string, also func(*store.Tx) error) error {
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		return s.recordComment(ctx, tx, model.GitHubComment{
			CommentID: commentID, TicketID: ticketID, Outcome: model.GitHubCommentFailed, Detail: detail,
		}, also)
	})
	if err != nil {
		return fmt.Errorf("tickets: failed command in GitHub comment %d: %w", commentID, err)
	}
	return nil
}

func (s *Service) recordComment(ctx context.Context, tx *store.Tx, c model.GitHubComment, also func(*store.Tx) error) error {
	first, err := tx.RecordGitHubComment(ctx, c)
	if err != nil {
		return err
	}
	if !first {
		return ErrCommentHandled
	}
	if also != nil {
		return also(tx)
	}
	return nil
}

// ApplyIssueState closes the ticket (closedAt is the issue's closed_at: the
// portal's retention clock starts there) or reopens it, as Close and Reopen
// do, when its GitHub issue changed at changedAt (the issue's updated_at). A
// change older than one applied already is ignored (false), so webhooks
// handled out of order leave the ticket as the issue is.
func (s *Service) ApplyIssueState(ctx context.Context, ticketID int64, closed bool, closedAt, changedAt time.Time) (bool, error) {
	state, kind := model.StatusOpen, events.TicketReopened
	if closed {
		state, kind = model.StatusClosed, events.TicketClosed
	}
	var applied bool
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if applied, err = tx.AdvanceGitHubIssueState(ctx, ticketID, state, changedAt); err != nil || !applied {
			return err
		}
		if closed {
			_, err = tx.CloseTicket(ctx, ticketID, closedAt)
		} else {
			_, err = tx.ReopenTicket(ctx, ticketID)
		}
		if err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(kind, ticketID, 0, tx.Now()))
	})
	if err != nil {
		return false, fmt.Errorf("tickets: %s %s from GitHub: %w", state, model.Reference(ticketID), err)
	}
	return applied, nil
}

// Customer returns the ticket's customer (its contact), nil when the ticket
// has none (a host-app user without email).
func (s *Service) Customer(ctx context.Context, ticketID int64) (*model.Contact, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil || t.ContactID == nil {
		return nil, err
	}
	c, err := s.store.Contact(ctx, *t.ContactID)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
