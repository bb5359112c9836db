package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
)

// Status mails and ratings (issue 17): who a status mail goes to, the
// customers' answers to "How did we do?", their counts, and what erasure
// leaves of them.

// StatusMailRecipient returns the customer a status mail of the ticket goes
// to. false: none (no contact, the ticket or the contact erased, or portico
// never mailed that address about the ticket).
func (tx *Tx) StatusMailRecipient(ctx context.Context, ticketID int64) (model.Contact, bool, error) {
	var c model.Contact
	err := tx.stmt(ctx, tx.s.q.StatusMailRecipient).GetContext(ctx, &c, ticketID)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Contact{}, false, nil
	}
	if err != nil {
		return model.Contact{}, false, fmt.Errorf("store: status mail recipient of %s: %w", model.Reference(ticketID), err)
	}
	return c, true, nil
}

// SaveRating stores a contact's answer about a ticket, replacing an earlier
// one, and returns the answer as stored; false means it was the answer
// stored already (nothing changed).
func (tx *Tx) SaveRating(ctx context.Context, ticketID, contactID int64, score, comment string) (model.Rating, bool, error) {
	var r model.Rating
	err := tx.stmt(ctx, tx.s.q.UpsertRating).GetContext(ctx, &r, ticketID, contactID, score, comment, tx.now, tx.now)
	if err == nil {
		return r, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return model.Rating{}, false, fmt.Errorf("store: save rating of %s: %w", model.Reference(ticketID), err)
	}
	if err := tx.stmt(ctx, tx.s.q.RatingOfTx).GetContext(ctx, &r, ticketID, contactID); err != nil {
		return model.Rating{}, false, fmt.Errorf("store: rating of %s: %w", model.Reference(ticketID), err)
	}
	return r, false, nil
}

// RatingOf returns a contact's answer about a ticket.
func (s *Store) RatingOf(ctx context.Context, ticketID, contactID int64) (model.Rating, error) {
	var r model.Rating
	if err := s.q.RatingOf.GetContext(ctx, &r, ticketID, contactID); err != nil {
		return model.Rating{}, notFound(err, fmt.Sprintf("rating of %s by contact %d", model.Reference(ticketID), contactID))
	}
	return r, nil
}

// Rating returns one answer by id.
func (s *Store) Rating(ctx context.Context, id int64) (model.Rating, error) {
	var r model.Rating
	if err := s.q.RatingByID.GetContext(ctx, &r, id); err != nil {
		return model.Rating{}, notFound(err, fmt.Sprintf("rating %d", id))
	}
	return r, nil
}

// TicketRatings returns the answers about a ticket, oldest first.
func (s *Store) TicketRatings(ctx context.Context, ticketID int64) ([]model.Rating, error) {
	rs := []model.Rating{}
	if err := s.q.RatingsOfTicket.SelectContext(ctx, &rs, ticketID); err != nil {
		return nil, fmt.Errorf("store: ratings of %s: %w", model.Reference(ticketID), err)
	}
	return rs, nil
}

// RatingCounts counts the answers given or last changed at or after since.
func (s *Store) RatingCounts(ctx context.Context, since time.Time) (model.RatingCounts, error) {
	var c model.RatingCounts
	if err := s.q.RatingCounts.GetContext(ctx, &c, since.UTC()); err != nil {
		return model.RatingCounts{}, fmt.Errorf("store: rating counts: %w", err)
	}
	return c, nil
}

// EraseTicketRatings empties the comments of the answers about a ticket (the
// scores stay, for statistics) and reports how many it emptied.
func (tx *Tx) EraseTicketRatings(ctx context.Context, ticketID int64) (int64, error) {
	return rowsChanged("erase ratings of " + model.Reference(ticketID))(tx.stmt(ctx, tx.s.q.EraseTicketRatings).ExecContext(ctx, ticketID))
}

// EraseContactRatings empties the comments of every answer a contact gave.
func (tx *Tx) EraseContactRatings(ctx context.Context, contactID int64) (int64, error) {
	return rowsChanged(fmt.Sprintf("erase ratings of contact %d", contactID))(tx.stmt(ctx, tx.s.q.EraseContactRatings).ExecContext(ctx, contactID))
}

// rowsChanged is how many rows a statement changed; what names it in errors.
func rowsChanged(what string) func(sql.Result, error) (int64, error) {
	return func(res sql.Result, err error) (int64, error) {
		if err != nil {
			return 0, fmt.Errorf("store: %s: %w", what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("store: %s: %w", what, err)
		}
		return n, nil
	}
}
