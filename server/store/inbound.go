package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico/portico/server/model"
)

// ErrDuplicate means a row with the same unique key exists (e.g. a mail
// delivered twice with one Message-ID).
var ErrDuplicate = errors.New("duplicate")

func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	// modernc.org/sqlite reports SQLITE_CONSTRAINT_UNIQUE in its message.
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// TicketByMailID returns the ticket a Message-ID belongs to: one we sent or
// one of a customer's mails we stored.
func (s *Store) TicketByMailID(ctx context.Context, messageID string) (int64, error) {
	var id int64
	if err := s.q.TicketByMailID.GetContext(ctx, &id, messageID, messageID); err != nil {
		return 0, notFound(err, "message "+messageID)
	}
	return id, nil
}

// IsOwnMailID reports whether we sent a mail with this Message-ID.
func (s *Store) IsOwnMailID(ctx context.Context, messageID string) (bool, error) {
	var n int
	if err := s.q.CountOwnMailID.GetContext(ctx, &n, messageID); err != nil {
		return false, fmt.Errorf("store: own message id: %w", err)
	}
	return n > 0, nil
}

// MessageByMailID returns the timeline message stored with this Message-ID.
func (tx *Tx) MessageByMailID(ctx context.Context, messageID string) (model.Message, error) {
	var m model.Message
	if err := tx.stmt(ctx, tx.s.q.MessageByMailID).GetContext(ctx, &m, messageID); err != nil {
		return model.Message{}, notFound(err, "message "+messageID)
	}
	return m, nil
}

// IsParticipant reports whether email took part in the ticket: its contact,
// a recorded participant, or the author of one of its inbound messages.
func (s *Store) IsParticipant(ctx context.Context, ticketID int64, email string) (bool, error) {
	var n int
	if err := s.q.CountParticipant.GetContext(ctx, &n, ticketID, email, ticketID, email, ticketID, email); err != nil {
		return false, fmt.Errorf("store: participant: %w", err)
	}
	return n > 0, nil
}

// AddAttachment stores a file of an inbound message.
func (tx *Tx) AddAttachment(ctx context.Context, ticketID, messageID int64, a model.InboundAttachment) error {
	_, err := tx.stmt(ctx, tx.s.q.InsertAttachment).ExecContext(ctx, ticketID, messageID, a.Filename, a.ContentType, int64(len(a.Data)), a.Data, tx.now)
	if err != nil {
		return fmt.Errorf("store: add attachment: %w", err)
	}
	return nil
}

// Attachments lists a ticket's attachments without their data.
func (s *Store) Attachments(ctx context.Context, ticketID int64) ([]model.Attachment, error) {
	as := []model.Attachment{}
	if err := s.q.AttachmentsOfTicket.SelectContext(ctx, &as, ticketID); err != nil {
		return nil, fmt.Errorf("store: attachments of %d: %w", ticketID, err)
	}
	return as, nil
}

// Attachment returns one attachment with its data.
func (s *Store) Attachment(ctx context.Context, id int64) (model.Attachment, error) {
	var a model.Attachment
	if err := s.q.AttachmentByID.GetContext(ctx, &a, id); err != nil {
		return model.Attachment{}, notFound(err, fmt.Sprintf("attachment %d", id))
	}
	return a, nil
}

// MailgunTokens remembers Mailgun webhook tokens (inbound.ReplayGuard).
type MailgunTokens struct{ s *Store }

// MailgunTokens returns the replay guard for Mailgun webhooks.
func (s *Store) MailgunTokens() MailgunTokens { return MailgunTokens{s} }

// FirstUse records token until expires and reports whether it is new.
func (m MailgunTokens) FirstUse(token string, expires time.Time) (bool, error) {
	ctx := context.Background()
	var fresh bool
	err := m.s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.stmt(ctx, m.s.q.PruneMailgunTokens).ExecContext(ctx, tx.now); err != nil {
			return fmt.Errorf("store: prune mailgun tokens: %w", err)
		}
		res, err := tx.stmt(ctx, m.s.q.InsertMailgunToken).ExecContext(ctx, token, expires.UTC())
		if err != nil {
			return fmt.Errorf("store: mailgun token: %w", err)
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	return fresh, err
}
