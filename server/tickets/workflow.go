package tickets

import (
	"context"
	"fmt"
	"slices"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// Ticket changes that workflow actions make (closing is Close). The workflow
// engine runs each with a context from store.RunInTx and records its step in
// the same transaction, so that a step and its change commit together or not
// at all.

// SetPriority sets the ticket's priority and publishes
// ticket.priority_changed, at depth, if it changed (false: it was that
// already). The priority must be one of the widget's configured priorities.
func (s *Service) SetPriority(ctx context.Context, ticketID int64, priority string, depth int) (bool, error) {
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
		if err != nil || t.Priority == priority {
			return err
		}
		if _, err := tx.SetTicketPriority(ctx, ticketID, priority); err != nil {
			return err
		}
		changed = true
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.TicketPriorityChanged, ticketID, 0, tx.Now()).AtDepth(depth))
	})
	if err != nil {
		return false, fmt.Errorf("tickets: set priority of %s: %w", model.Reference(ticketID), err)
	}
	return changed, nil
}

// ChangeTags adds and removes tags (already normalized: lowercase, trimmed)
// and returns those that were actually added and removed.
func (s *Service) ChangeTags(ctx context.Context, ticketID int64, add, remove []string) (added, removed []string, err error) {
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
