package store

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
)

// AddPortalToken finds or creates the link of (ticket, email) and records a
// new token hash for it.
func (tx *Tx) AddPortalToken(ctx context.Context, ticketID int64, email string, tokenHash []byte) (model.PortalLink, error) {
	var l model.PortalLink
	if err := tx.stmt(ctx, tx.s.q.UpsertPortalLink).GetContext(ctx, &l, ticketID, email, tx.now); err != nil {
		return model.PortalLink{}, fmt.Errorf("store: portal link: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.InsertPortalToken).ExecContext(ctx, l.ID, tokenHash, tx.now); err != nil {
		return model.PortalLink{}, fmt.Errorf("store: portal token: %w", err)
	}
	return l, nil
}

// PortalLinkByToken returns the link a token hash belongs to.
func (s *Store) PortalLinkByToken(ctx context.Context, tokenHash []byte) (model.PortalLink, error) {
	var l model.PortalLink
	if err := s.q.PortalLinkByToken.GetContext(ctx, &l, tokenHash); err != nil {
		return model.PortalLink{}, notFound(err, "portal link")
	}
	return l, nil
}

// RevokePortalTokens revokes every token issued so far for the ticket's
// links and marks the links revoked; it reports how many links were live.
// Tokens minted later work.
func (tx *Tx) RevokePortalTokens(ctx context.Context, ticketID int64) (int64, error) {
	res, err := tx.stmt(ctx, tx.s.q.RevokePortalLinks).ExecContext(ctx, tx.now, ticketID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke portal links: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: revoke portal links: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.RevokePortalTokens).ExecContext(ctx, tx.now, ticketID); err != nil {
		return 0, fmt.Errorf("store: revoke portal tokens: %w", err)
	}
	return n, nil
}

// LinkFacts is what decides whether a mail may carry a portal link.
type LinkFacts struct {
	TicketErased  bool `db:"ticket_erased"`
	PortalStopped bool `db:"portal_stopped"`
	// ContactErased: the address is an erased contact's (its pseudonym).
	ContactErased bool `db:"contact_erased"`
}

// PortalLinkFacts reads, in the transaction, what decides whether a mail
// about the ticket to email may carry a link.
func (tx *Tx) PortalLinkFacts(ctx context.Context, ticketID int64, email string) (LinkFacts, error) {
	var f LinkFacts
	if err := tx.stmt(ctx, tx.s.q.PortalLinkFacts).GetContext(ctx, &f, email, ticketID); err != nil {
		return LinkFacts{}, notFound(err, model.Reference(ticketID))
	}
	return f, nil
}

// StopPortal stops the portal of a ticket; false means it was stopped
// already (or there is no such ticket).
func (tx *Tx) StopPortal(ctx context.Context, ticketID int64) (bool, error) {
	return affected("stop portal")(tx.stmt(ctx, tx.s.q.StopPortal).ExecContext(ctx, tx.now, tx.now, ticketID))
}

// ResumePortal resumes the portal of a ticket; false means it was not
// stopped (or there is no such ticket).
func (tx *Tx) ResumePortal(ctx context.Context, ticketID int64) (bool, error) {
	return affected("resume portal")(tx.stmt(ctx, tx.s.q.ResumePortal).ExecContext(ctx, tx.now, ticketID))
}

// OnTicket reports whether email is the ticket's requester, one of its
// participants, or has a portal link to it.
func (s *Store) OnTicket(ctx context.Context, ticketID int64, email string) (bool, error) {
	var n int
	if err := s.q.OnTicket.GetContext(ctx, &n, ticketID, email, ticketID, email, ticketID, email); err != nil {
		return false, fmt.Errorf("store: on ticket: %w", err)
	}
	return n == 1, nil
}

// AddressKnown reports whether email is a contact's or a participant's.
func (s *Store) AddressKnown(ctx context.Context, email string) (bool, error) {
	var n int
	if err := s.q.AddressKnown.GetContext(ctx, &n, email, email); err != nil {
		return false, fmt.Errorf("store: address known: %w", err)
	}
	return n == 1, nil
}

// AddMessageRecipient records that a customer's message was addressed to
// email (To or Cc).
func (tx *Tx) AddMessageRecipient(ctx context.Context, messageID int64, email string) error {
	if _, err := tx.stmt(ctx, tx.s.q.AddMessageRecipient).ExecContext(ctx, messageID, email); err != nil {
		return fmt.Errorf("store: add message recipient: %w", err)
	}
	return nil
}

// PortalMessages returns the part of a ticket's timeline that one customer
// may see: what they sent, the customers' mails they were on, and what was
// mailed to them.
func (s *Store) PortalMessages(ctx context.Context, ticketID int64, email string) ([]model.Message, error) {
	msgs := []model.Message{}
	if err := s.q.PortalMessages.SelectContext(ctx, &msgs, ticketID, email, email, email); err != nil {
		return nil, fmt.Errorf("store: portal messages: %w", err)
	}
	return msgs, nil
}

// ReplyPayloads returns the payloads of the agent replies mailed to email on
// a ticket, by timeline message.
func (s *Store) ReplyPayloads(ctx context.Context, ticketID int64, email string) (map[int64]string, error) {
	var rows []struct {
		MessageID int64  `db:"message_id"`
		Payload   string `db:"payload"`
	}
	if err := s.q.ReplyPayloadsTo.SelectContext(ctx, &rows, ticketID, email); err != nil {
		return nil, fmt.Errorf("store: reply payloads: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.MessageID] = r.Payload
	}
	return out, nil
}

// CloseTicket closes an open ticket at closedAt, recording the portal
// retention in force; false means it was closed already (or does not exist:
// callers look the ticket up first).
func (tx *Tx) CloseTicket(ctx context.Context, ticketID int64, closedAt time.Time, retention time.Duration) (bool, error) {
	secs := int64(retention / time.Second)
	return affected("close ticket")(tx.stmt(ctx, tx.s.q.CloseTicket).ExecContext(ctx, closedAt.UTC(), secs, tx.now, ticketID))
}

// ReopenTicket opens a closed ticket again and clears closed_at; false means
// it was open already.
func (tx *Tx) ReopenTicket(ctx context.Context, ticketID int64) (bool, error) {
	return affected("reopen ticket")(tx.stmt(ctx, tx.s.q.ReopenTicket).ExecContext(ctx, tx.now, ticketID))
}

// SetMessageEmailID records the Message-ID a timeline message was mailed with.
func (tx *Tx) SetMessageEmailID(ctx context.Context, messageID int64, emailMessageID string) error {
	if _, err := tx.stmt(ctx, tx.s.q.SetMessageEmailID).ExecContext(ctx, emailMessageID, messageID); err != nil {
		return fmt.Errorf("store: set message id: %w", err)
	}
	return nil
}

// ThreadMessageIDs returns the Message-IDs on a ticket's timeline, oldest
// first, for the References header of the next mail.
func (tx *Tx) ThreadMessageIDs(ctx context.Context, ticketID int64) ([]string, error) {
	ids := []string{}
	if err := tx.stmt(ctx, tx.s.q.ThreadMessageIDs).SelectContext(ctx, &ids, ticketID); err != nil {
		return nil, fmt.Errorf("store: thread ids: %w", err)
	}
	return ids, nil
}

// UseSignupToken records a signup token's nonce as used; false means it was
// used before.
func (tx *Tx) UseSignupToken(ctx context.Context, nonceHash []byte, contactID int64) (bool, error) {
	res, err := tx.stmt(ctx, tx.s.q.UseSignupToken).ExecContext(ctx, nonceHash, contactID, tx.now)
	if err != nil {
		return false, fmt.Errorf("store: use signup token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: use signup token: %w", err)
	}
	return n == 1, nil
}
