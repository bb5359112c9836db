package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// StateChange says when and why a ticket is closed or reopened.
type StateChange struct {
	// At is when the change happened; zero means now (the transaction's
	// time). The GitHub sync passes the closed_at, so the portal's
	// retention clock starts when the agent closed the issue.
	At time.Time
	// Depth is the depth of the events the change publishes: 0 unless a
	// workflow action makes it, then one more than the depth of the event
	// that started the run, so that rules cannot set each other off forever.
	Depth int
	// MessageID is the customer's message that reopened the ticket (a reply
	// by portal or mail; 0 for other changes). ticket.reopened carries it,
	// so the GitHub sync can say on the issue who reopened it and how.
	MessageID int64
}

// Close is the one way a ticket closes (workflow action, GitHub issue
// closed, admin): an open ticket is closed at c.At, and ticket.closed is
// published and the customer's status mail queued in the same transaction;
// a closed ticket is left as it is (false); model.ErrNotFound when there is
// no such ticket. Portal links expire retention_after_close after the close:
// the value in force now is recorded with the close, so a later change of the
// setting does not move this ticket's expiry. Run it with a context from
// store.RunInTx to close in the caller's transaction.
func (s *Service) Close(ctx context.Context, ticketID int64, c StateChange) (bool, error) {
	return s.change(ctx, "close", ticketID, c, s.closeTx)
}

// Reopen is the one way a ticket reopens (a customer's reply by portal or
// mail, GitHub issue reopened, admin): a closed ticket is opened, its
// closed_at cleared (which stops the portal's retention clock),
// ticket.reopened published and the customer's status mail queued; an open
// ticket is left as it is (false).
func (s *Service) Reopen(ctx context.Context, ticketID int64, c StateChange) (bool, error) {
	return s.change(ctx, "reopen", ticketID, c, s.reopenTx)
}

// change runs a state change in its own transaction, or the caller's.
func (s *Service) change(ctx context.Context, verb string, ticketID int64, c StateChange,
	fn func(context.Context, *store.Tx, int64, StateChange) (bool, error)) (bool, error) {
	var changed bool
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		changed, err = fn(ctx, tx, ticketID, c)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("tickets: %s %s: %w", verb, model.Reference(ticketID), err)
	}
	return changed, nil
}

func (s *Service) closeTx(ctx context.Context, tx *store.Tx, ticketID int64, c StateChange) (bool, error) {
	at := c.At
	if at.IsZero() {
		at = tx.Now()
	}
	portal, err := s.settings.Portal(ctx)
	if err != nil {
		return false, err
	}
	closed, err := tx.CloseTicket(ctx, ticketID, at, portal.Retention)
	if err != nil || !closed {
		return false, exists(ctx, tx, ticketID, err)
	}
	mails, err := s.recordStatusMail(ctx, tx, ticketID, model.MailStatusClosed)
	if err != nil {
		return false, err
	}
	return true, s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.TicketClosed, ticketID, 0, tx.Now()).AtDepth(c.Depth).WithMails(mails...))
}

func (s *Service) reopenTx(ctx context.Context, tx *store.Tx, ticketID int64, c StateChange) (bool, error) {
	reopened, err := tx.ReopenTicket(ctx, ticketID)
	if err != nil || !reopened {
		return false, exists(ctx, tx, ticketID, err)
	}
	mails, err := s.recordStatusMail(ctx, tx, ticketID, model.MailStatusReopened)
	if err != nil {
		return false, err
	}
	return true, s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.TicketReopened, ticketID, c.MessageID, tx.Now()).AtDepth(c.Depth).WithMails(mails...))
}

// exists is err, or model.ErrNotFound when no ticket has this id: a change
// that changed nothing says which of the two it was.
func exists(ctx context.Context, tx *store.Tx, ticketID int64, err error) error {
	if err != nil {
		return err
	}
	_, err = tx.TicketTx(ctx, ticketID)
	return err
}
