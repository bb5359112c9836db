package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
)

// "My tickets" (issue 17): one-time sign-in tokens mailed to a customer, the
// short portal sessions they open, and the list of the customer's tickets.
// Tokens are random and stored as their SHA-256 only; every lookup is by
// that hash.

// LiveContactByEmail returns the contact of a (normalized) address unless it
// was erased.
func (s *Store) LiveContactByEmail(ctx context.Context, email string) (model.Contact, error) {
	var c model.Contact
	if err := s.q.LiveContactByEmail.GetContext(ctx, &c, email); err != nil {
		return model.Contact{}, notFound(err, "contact")
	}
	return c, nil
}

// LatestLiveTicketOf returns the newest ticket a contact filed that is not
// erased.
func (s *Store) LatestLiveTicketOf(ctx context.Context, contactID int64) (int64, error) {
	var id int64
	if err := s.q.LatestLiveTicketOf.GetContext(ctx, &id, contactID); err != nil {
		return 0, notFound(err, fmt.Sprintf("tickets of contact %d", contactID))
	}
	return id, nil
}

// AddSigninToken records a sign-in token for the contact, valid until
// expiresAt, and prunes tokens that expired before pruneBefore.
// model.ErrNotFound when the contact is erased or no longer has this
// address: nothing is recorded.
func (tx *Tx) AddSigninToken(ctx context.Context, contactID int64, email string, tokenHash []byte, expiresAt, pruneBefore time.Time) error {
	var n int
	if err := tx.stmt(ctx, tx.s.q.CountLiveContact).GetContext(ctx, &n, contactID, email); err != nil {
		return fmt.Errorf("store: contact %d: %w", contactID, err)
	}
	if n == 0 {
		return fmt.Errorf("contact %d: %w", contactID, model.ErrNotFound)
	}
	if _, err := tx.stmt(ctx, tx.s.q.PruneSigninTokens).ExecContext(ctx, pruneBefore.UTC()); err != nil {
		return fmt.Errorf("store: prune sign-in tokens: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.InsertSigninToken).ExecContext(ctx, tokenHash, contactID, tx.now, expiresAt.UTC()); err != nil {
		return fmt.Errorf("store: sign-in token: %w", err)
	}
	return nil
}

// SigninTokenLive reports whether a token can still be used at now: unused,
// unexpired, its contact not erased. model.ErrNotFound for a token never
// issued (or pruned).
func (s *Store) SigninTokenLive(ctx context.Context, tokenHash []byte, now time.Time) (bool, error) {
	var live int
	if err := s.q.SigninTokenState.GetContext(ctx, &live, now.UTC(), tokenHash); err != nil {
		return false, notFound(err, "sign-in token")
	}
	return live == 1, nil
}

// UseSigninToken spends a live token and returns its contact; false when
// the token is unknown, used, expired or its contact erased. Of two
// concurrent uses exactly one gets true.
func (tx *Tx) UseSigninToken(ctx context.Context, tokenHash []byte) (int64, bool, error) {
	var contactID int64
	err := tx.stmt(ctx, tx.s.q.UseSigninToken).GetContext(ctx, &contactID, tx.now, tokenHash, tx.now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: use sign-in token: %w", err)
	}
	return contactID, true, nil
}

// AddPortalSession records a session of the contact until expiresAt and
// drops the sessions that ended.
func (tx *Tx) AddPortalSession(ctx context.Context, contactID int64, tokenHash []byte, expiresAt time.Time) error {
	if _, err := tx.stmt(ctx, tx.s.q.PrunePortalSessions).ExecContext(ctx, tx.now); err != nil {
		return fmt.Errorf("store: prune portal sessions: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.InsertPortalSession).ExecContext(ctx, tokenHash, contactID, tx.now, expiresAt.UTC()); err != nil {
		return fmt.Errorf("store: portal session: %w", err)
	}
	return nil
}

// PortalSession is a signed-in customer: their contact and when the
// session ends.
type PortalSession struct {
	model.Contact
	ExpiresAt time.Time `db:"expires_at"`
}

// PortalSessionByToken returns the session with this token hash if it is
// still open at now and its contact not erased.
func (s *Store) PortalSessionByToken(ctx context.Context, tokenHash []byte, now time.Time) (PortalSession, error) {
	var ps PortalSession
	if err := s.q.PortalSession.GetContext(ctx, &ps, tokenHash, now.UTC()); err != nil {
		return PortalSession{}, notFound(err, "portal session")
	}
	return ps, nil
}

// DeletePortalSession ends a session (sign out).
func (tx *Tx) DeletePortalSession(ctx context.Context, tokenHash []byte) error {
	if _, err := tx.stmt(ctx, tx.s.q.DeletePortalSession).ExecContext(ctx, tokenHash); err != nil {
		return fmt.Errorf("store: delete portal session: %w", err)
	}
	return nil
}

// ContactTicket is one of a contact's tickets as their list shows it: the
// last message they may see, and their portal link (nil: none yet).
type ContactTicket struct {
	model.Ticket
	LastMessageAt *time.Time `db:"last_message_at"`
	LinkID        *int64     `db:"link_id"`
	LinkRevokedAt *time.Time `db:"link_revoked_at"`
}

// ContactTickets returns up to limit of the tickets a contact filed that are
// not erased, newest first; email is the contact's address, whose portal
// links are read.
func (s *Store) ContactTickets(ctx context.Context, contactID int64, email string, limit int) ([]ContactTicket, error) {
	ts := []ContactTicket{}
	if err := s.q.ContactTickets.SelectContext(ctx, &ts, email, contactID, limit); err != nil {
		return nil, fmt.Errorf("store: tickets of contact %d: %w", contactID, err)
	}
	return ts, nil
}

// ContactTicketByID returns one of ContactTickets; model.ErrNotFound when
// the contact did not file it or it was erased.
func (s *Store) ContactTicketByID(ctx context.Context, contactID int64, email string, ticketID int64) (ContactTicket, error) {
	var t ContactTicket
	if err := s.q.ContactTicket.GetContext(ctx, &t, email, ticketID, contactID); err != nil {
		return ContactTicket{}, notFound(err, model.Reference(ticketID))
	}
	return t, nil
}
