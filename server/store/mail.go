package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// NewOutboundMail is what QueueMail needs.
type NewOutboundMail struct {
	TicketID       int64
	MessageID      *int64
	Kind           string
	ToEmail        string
	ToName         string
	EmailMessageID string
	InReplyTo      string
	Refs           string
	Payload        string
}

// QueueMail records a mail to send; its delivery job is enqueued in the same
// transaction by the caller.
func (tx *Tx) QueueMail(ctx context.Context, in NewOutboundMail) (model.OutboundMail, error) {
	var m model.OutboundMail
	err := tx.stmt(ctx, tx.s.q.InsertMail).GetContext(ctx, &m, in.TicketID, in.MessageID, in.Kind, in.ToEmail, in.ToName,
		in.EmailMessageID, in.InReplyTo, in.Refs, in.Payload, tx.now)
	if err != nil {
		return model.OutboundMail{}, fmt.Errorf("store: queue mail: %w", err)
	}
	return m, nil
}

// OutboundMail returns one queued mail, read outside any transaction (the
// delivery worker runs after the mail's commit, so the read pool sees it).
func (s *Store) OutboundMail(ctx context.Context, id int64) (model.OutboundMail, error) {
	var m model.OutboundMail
	if err := s.q.MailByID.GetContext(ctx, &m, id); err != nil {
		return model.OutboundMail{}, notFound(err, fmt.Sprintf("outbound mail %d", id))
	}
	return m, nil
}

// MarkMailSent records a delivered mail; false means it was no longer pending.
func (s *Store) MarkMailSent(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.stmt(ctx, s.q.MarkMailSent).ExecContext(ctx, tx.now, id)
		if err != nil {
			return fmt.Errorf("store: mark mail sent: %w", err)
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// MarkMailTried records a failed attempt; status becomes failed when the
// failure is final.
func (s *Store) MarkMailTried(ctx context.Context, id int64, final bool, cause string) error {
	status := model.MailPending
	if final {
		status = model.MailFailed
	}
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.stmt(ctx, s.q.MarkMailTried).ExecContext(ctx, status, cause, id); err != nil {
			return fmt.Errorf("store: mark mail tried: %w", err)
		}
		return nil
	})
}

// OutboundMails lists the mails of a ticket, oldest first.
func (s *Store) OutboundMails(ctx context.Context, ticketID int64) ([]model.OutboundMail, error) {
	mails := []model.OutboundMail{}
	if err := s.q.MailsOfTicket.SelectContext(ctx, &mails, ticketID); err != nil {
		return nil, fmt.Errorf("store: mails of %d: %w", ticketID, err)
	}
	return mails, nil
}
