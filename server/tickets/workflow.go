package tickets

import (
	"context"
	"fmt"
	"slices"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// Ticket changes that workflow actions make. Each takes depth, the depth of
// the event whose rule asked for it (stamped, plus one, on the events the
// change publishes, so that rules cannot set each other off forever), and
// also, which runs last inside the change's transaction: the workflow engine
// records its step there, so a step and its change commit together or not
// at all.

// SetPriority sets the ticket's priority and publishes
// ticket.priority_changed if it changed (false: it was that already). The
// priority must be one of the widget's configured priorities.
func (s *Service) SetPriority(ctx context.Context, ticketID int64, priority string, depth int, also func(*store.Tx) error) (bool, error) {
	widget, err := s.settings.Widget(ctx)
	if err != nil {
		return false, err
	}
	if !slices.Contains(widget.Priorities, priority) {
		return false, model.FieldErrors{"priority": fmt.Sprintf("%q is not one of the configured priorities", priority)}
	}
	var changed bool
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.TicketTx(ctx, ticketID)
		if err != nil {
			return err
		}
		if t.Priority != priority {
			if _, err := tx.SetTicketPriority(ctx, ticketID, priority); err != nil {
				return err
			}
			changed = true
			job := events.Job(events.TicketPriorityChanged, ticketID, 0, tx.Now()).After(depth)
			if err := s.jobs.Enqueue(ctx, tx.SQL(), job); err != nil {
				return err
			}
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("tickets: set priority of %s: %w", model.Reference(ticketID), err)
	}
	return changed, nil
}

// ChangeTags adds and removes tags (already normalized: lowercase, trimmed)
// and returns those that were actually added and removed.
func (s *Service) ChangeTags(ctx context.Context, ticketID int64, add, remove []string, also func(*store.Tx) error) (added, removed []string, err error) {
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		added, removed = nil, nil
		if _, err := tx.TicketTx(ctx, ticketID); err != nil {
			return err
		}
		for _, tag := range remove {
			ok, err := tx.RemoveTicketTag(ctx, ticketID, tag)
			if err != nil {
				return err
			}
			if ok {
				removed = append(removed, tag)
			}
		}
		for _, tag := range add {
			ok, err := tx.AddTicketTag(ctx, ticketID, tag)
			if err != nil {
				return err
			}
			if ok {
				added = append(added, tag)
			}
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("tickets: tags of %s: %w", model.Reference(ticketID), err)
	}
	return added, removed, nil
}

// Tags returns the ticket's tags in alphabetical order.
func (s *Service) Tags(ctx context.Context, ticketID int64) ([]string, error) {
	return s.store.TicketTags(ctx, ticketID)
}

// CloseNow closes an open ticket now and publishes ticket.closed; a closed
// ticket is left as it is (false). Portal links expire
// retention_after_close later, as with any close.
func (s *Service) CloseNow(ctx context.Context, ticketID int64, depth int, also func(*store.Tx) error) (bool, error) {
	var closed bool
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.TicketTx(ctx, ticketID); err != nil {
			return err
		}
		var err error
		if closed, err = tx.CloseTicketIfOpen(ctx, ticketID, tx.Now()); err != nil {
			return err
		}
		if closed {
			if err := s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.TicketClosed, ticketID, 0, tx.Now()).After(depth)); err != nil {
				return err
			}
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("tickets: close %s: %w", model.Reference(ticketID), err)
	}
	return closed, nil
}
