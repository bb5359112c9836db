package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// Held inbound mail and the dedup keys of Message-ID-less mail (issue 13).
// Their queries run unprepared (see queries/held.sql).

// NewHeldMail is an inbound mail to hold for an agent.
type NewHeldMail struct {
	TicketID  int64
	DedupKey  string
	Provider  string
	FromEmail string
	FromName  string
	Subject   string
	Reason    string
	Auth      string
	Payload   string
}

// HoldMail stores a held mail; ErrDuplicate when one with the same dedup
// key is held already.
func (tx *Tx) HoldMail(ctx context.Context, h NewHeldMail) (model.HeldMail, error) {
	var out model.HeldMail
	err := tx.tx.GetContext(ctx, &out, tx.s.q.HoldMail,
		h.TicketID, h.DedupKey, h.Provider, h.FromEmail, h.FromName, h.Subject, h.Reason, h.Auth, h.Payload, tx.now)
	if isUniqueViolation(err) {
		return model.HeldMail{}, ErrDuplicate
	}
	if err != nil {
		return model.HeldMail{}, fmt.Errorf("store: hold mail: %w", err)
	}
	return out, nil
}

// HeldMails lists held mail, oldest first, without payloads.
func (s *Store) HeldMails(ctx context.Context, limit int) ([]model.HeldMail, error) {
	out := []model.HeldMail{}
	if err := s.read.SelectContext(ctx, &out, s.q.HeldMails, limit); err != nil {
		return nil, fmt.Errorf("store: held mails: %w", err)
	}
	return out, nil
}

// HeldMail returns one held mail with its payload.
func (s *Store) HeldMail(ctx context.Context, id int64) (model.HeldMail, error) {
	var out model.HeldMail
	if err := s.read.GetContext(ctx, &out, s.q.HeldMail, id); err != nil {
		return model.HeldMail{}, notFound(err, fmt.Sprintf("held mail %d", id))
	}
	return out, nil
}

// DeleteHeldMail removes a held mail; model.ErrNotFound when there is none.
func (tx *Tx) DeleteHeldMail(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, tx.s.q.DeleteHeldMail, id)
	if err != nil {
		return fmt.Errorf("store: delete held mail %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: delete held mail %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("held mail %d: %w", id, model.ErrNotFound)
	}
	return nil
}

// RecordDedupKey remembers the synthetic key of a mail without a
// Message-ID, filed into ticketID; ErrDuplicate when it was filed before.
func (tx *Tx) RecordDedupKey(ctx context.Context, key string, ticketID int64) error {
	_, err := tx.tx.ExecContext(ctx, tx.s.q.InsertDedupKey, key, ticketID, tx.now)
	if isUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: inbound dedup key: %w", err)
	}
	return nil
}

// InboundSeen reports whether a mail was filed already: by its Message-ID
// among the stored messages, or by its synthetic dedup key.
func (s *Store) InboundSeen(ctx context.Context, messageID, dedupKey string) (bool, error) {
	var n int
	err := s.read.GetContext(ctx, &n, s.q.InboundSeen, messageID, messageID, dedupKey, dedupKey)
	if err != nil {
		return false, fmt.Errorf("store: inbound seen: %w", err)
	}
	return n > 0, nil
}
