package github

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// The ticket side of the desk: what an issue and a mirrored comment show,
// and the agents' actions from GitHub, each recorded with the comment that
// caused it in one transaction (tickets' change and the record compose
// through store.RunInTx) so that a webhook job that runs twice acts once.

// Tickets is what the sync asks of the tickets service.
type Tickets interface {
	SendAgentReply(ctx context.Context, r tickets.AgentReply) (model.Message, error)
	AddInternalNote(ctx context.Context, n tickets.Note) (model.Message, error)
	Recipients(ctx context.Context, ticketID int64) ([]tickets.Recipient, error)
	Close(ctx context.Context, ticketID int64, c tickets.StateChange) (bool, error)
	Reopen(ctx context.Context, ticketID int64, c tickets.StateChange) (bool, error)
}

// errCommentHandled means the agent's GitHub comment was acted on already;
// nothing was done this time.
var errCommentHandled = errors.New("the GitHub comment was acted on already")

// issueSource is what a ticket's GitHub issue shows: the ticket, its contact
// (nil for a host-app user without email) and the customer's first message.
type issueSource struct {
	Ticket  model.Ticket
	Contact *model.Contact
	Message model.Message
	// Files are the message's attachments, as signed links.
	Files []fileLink
}

// issueSource returns what the issue of a ticket is made of; messageID is
// the message of the ticket.created event (0: the ticket's first message).
func (s *Service) issueSource(ctx context.Context, ticketID, messageID int64) (issueSource, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return issueSource{}, err
	}
	src := issueSource{Ticket: t}
	if c, ok, err := s.customer(ctx, t); err != nil {
		return issueSource{}, err
	} else if ok {
		src.Contact = &c
	}
	if messageID != 0 {
		if src.Message, err = s.store.Message(ctx, messageID); err != nil {
			return issueSource{}, err
		}
	} else {
		msgs, err := s.store.Messages(ctx, ticketID)
		if err != nil {
			return issueSource{}, err
		}
		if len(msgs) > 0 {
			src.Message = msgs[0]
		}
	}
	if src.Message.ID != 0 {
		if src.Files, err = s.fileLinks(ctx, src.Message.ID); err != nil {
			return issueSource{}, err
		}
	}
	return src, nil
}

// customerReply returns the message of a reply.created event with its
// ticket, and whether it is a customer's reply that GitHub should show (one
// from the portal or by email; agent replies and notes are not).
func (s *Service) customerReply(ctx context.Context, messageID int64) (model.Ticket, model.Message, bool, error) {
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

// customer returns the ticket's contact; false when it has none (a host-app
// user without email).
func (s *Service) customer(ctx context.Context, t model.Ticket) (model.Contact, bool, error) {
	if t.ContactID == nil {
		return model.Contact{}, false, nil
	}
	c, err := s.store.Contact(ctx, *t.ContactID)
	if err != nil {
		return model.Contact{}, false, err
	}
	return c, true, nil
}

// sendFromComment sends the agent's reply written as GitHub comment
// commentID, records the comment and queues the 🚀 reaction, all in one
// transaction. A comment acted on already answers errCommentHandled and
// sends nothing.
func (s *Service) sendFromComment(ctx context.Context, commentID int64, r tickets.AgentReply) error {
	r.Source = model.SourceGitHub
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		msg, err := s.tickets.SendAgentReply(ctx, r)
		if err != nil {
			return err
		}
		c := model.GitHubComment{CommentID: commentID, TicketID: r.TicketID, Outcome: model.GitHubCommentSent, MessageID: &msg.ID}
		if err := recordComment(ctx, tx, c); err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), ReactArgs{CommentID: commentID, Content: "rocket"})
	})
}

// noteFromComment records GitHub comment commentID as an internal note: a
// comment becomes one note, however often it is handled.
func (s *Service) noteFromComment(ctx context.Context, ticketID, commentID int64, author, body string) error {
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		msg, err := s.tickets.AddInternalNote(ctx, tickets.Note{TicketID: ticketID, Source: model.SourceGitHub, Author: author, Body: body})
		if err != nil {
			return err
		}
		return recordComment(ctx, tx, model.GitHubComment{CommentID: commentID, TicketID: ticketID, Outcome: model.GitHubCommentNote, MessageID: &msg.ID})
	})
}

// commandFailed records that the command in GitHub comment commentID could
// not be carried out and queues the comment that explains why, together.
func (s *Service) commandFailed(ctx context.Context, ticketID, commentID int64, failure string) error {
	return s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		c := model.GitHubComment{CommentID: commentID, TicketID: ticketID, Outcome: model.GitHubCommentFailed, Detail: failure}
		if err := recordComment(ctx, tx, c); err != nil {
			return err
		}
		key := noticeKey(commentID)
		return s.queuePostTx(ctx, tx, key, ticketID, PostCommentArgs{TicketID: ticketID, Key: key, Body: noticeComment(commentID, failure)})
	})
}

func recordComment(ctx context.Context, tx *store.Tx, c model.GitHubComment) error {
	first, err := tx.RecordGitHubComment(ctx, c)
	if err != nil {
		return err
	}
	if !first {
		return errCommentHandled
	}
	return nil
}

// applyIssueState closes the ticket (at closedAt, the issue's closed_at:
// the portal's retention clock starts there) or reopens it when its GitHub
// issue changed at changedAt (the issue's updated_at). A change older than
// one applied already is ignored (false), so webhooks handled out of order
// leave the ticket as the issue is.
func (s *Service) applyIssueState(ctx context.Context, ticketID int64, closed bool, closedAt, changedAt time.Time) (bool, error) {
	state := model.StatusOpen
	if closed {
		state = model.StatusClosed
	}
	var applied bool
	err := s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if applied, err = tx.AdvanceGitHubIssueState(ctx, ticketID, state, changedAt); err != nil || !applied {
			return err
		}
		if closed {
			_, err = s.tickets.Close(ctx, ticketID, tickets.StateChange{At: closedAt})
		} else {
			_, err = s.tickets.Reopen(ctx, ticketID, tickets.StateChange{})
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("github: %s %s: %w", state, model.Reference(ticketID), err)
	}
	return applied, nil
}
