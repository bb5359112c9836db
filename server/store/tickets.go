package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/portico/portico/server/model"
)

// NewTicket is what CreateTicket needs.
type NewTicket struct {
	Subject     string
	Priority    string
	Channel     string
	ContactID   *int64
	RequesterID int64
	// Origin of a widget ticket (issue 17), validated by the caller.
	PageURL, PageTitle, Locale string
}

// CreateTicket inserts an open ticket.
func (tx *Tx) CreateTicket(ctx context.Context, in NewTicket) (model.Ticket, error) {
	var t model.Ticket
	err := tx.stmt(ctx, tx.s.q.InsertTicket).GetContext(ctx, &t,
		in.Subject, model.StatusOpen, in.Priority, in.Channel, in.ContactID, in.RequesterID, in.PageURL, in.PageTitle, in.Locale, tx.now, tx.now)
	if err != nil {
		return model.Ticket{}, fmt.Errorf("store: create ticket: %w", err)
	}
	return t, nil
}

// NewMessage is what AddMessage needs.
type NewMessage struct {
	TicketID       int64
	Direction      string
	Source         string
	AuthorName     string
	AuthorEmail    string
	Body           string
	EmailMessageID *string
	// Original is the message as it arrived (inbound mail before quote
	// stripping), kept for audit.
	Original string
}

// AddMessage appends a message to a ticket's timeline.
func (tx *Tx) AddMessage(ctx context.Context, in NewMessage) (model.Message, error) {
	var m model.Message
	err := tx.stmt(ctx, tx.s.q.InsertMessage).GetContext(ctx, &m,
		in.TicketID, in.Direction, in.Source, in.AuthorName, in.AuthorEmail, in.Body, in.EmailMessageID, in.Original, tx.now)
	if isUniqueViolation(err) {
		return model.Message{}, fmt.Errorf("store: add message: %w", ErrDuplicate)
	}
	if err != nil {
		return model.Message{}, fmt.Errorf("store: add message: %w", err)
	}
	return m, nil
}

// Ticket returns the ticket with this id.
func (s *Store) Ticket(ctx context.Context, id int64) (model.Ticket, error) {
	var t model.Ticket
	if err := s.q.TicketByID.GetContext(ctx, &t, id); err != nil {
		return model.Ticket{}, notFound(err, model.Reference(id))
	}
	return t, nil
}

// TicketFilter narrows ListTickets. Empty fields match everything.
type TicketFilter struct {
	Query  string // subject words, a reference or a contact email
	Status string
	Limit  int
	Offset int
}

// ListTickets returns one page of tickets, newest first, and the total that
// match the filter.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) ([]model.Ticket, int64, error) {
	like := likePattern(f.Query)
	args := []any{f.Status, f.Status, f.Query, like, strings.ToLower(f.Query), like}
	var total int64
	if err := s.q.CountTickets.GetContext(ctx, &total, args...); err != nil {
		return nil, 0, fmt.Errorf("store: count tickets: %w", err)
	}
	tickets := []model.Ticket{}
	if err := s.q.ListTickets.SelectContext(ctx, &tickets, append(args, f.Limit, f.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("store: list tickets: %w", err)
	}
	return tickets, total, nil
}

// Messages returns a ticket's whole timeline, oldest first.
func (s *Store) Messages(ctx context.Context, ticketID int64) ([]model.Message, error) {
	msgs := []model.Message{}
	if err := s.q.MessagesOfTicket.SelectContext(ctx, &msgs, ticketID); err != nil {
		return nil, fmt.Errorf("store: messages of %d: %w", ticketID, err)
	}
	return msgs, nil
}

// PortalLinks returns every portal link of a ticket.
func (s *Store) PortalLinks(ctx context.Context, ticketID int64) ([]model.PortalLink, error) {
	links := []model.PortalLink{}
	if err := s.q.PortalLinksOfTicket.SelectContext(ctx, &links, ticketID); err != nil {
		return nil, fmt.Errorf("store: portal links of %d: %w", ticketID, err)
	}
	return links, nil
}
