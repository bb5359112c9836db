package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// UpsertContact finds the contact with this (already normalized) email or
// creates it, in one statement so that concurrent submissions of the same
// address end with one row. A missing name is filled in from a later one.
func (tx *Tx) UpsertContact(ctx context.Context, email, name, locale string) (model.Contact, error) {
	var c model.Contact
	if err := tx.stmt(ctx, tx.s.q.UpsertContact).GetContext(ctx, &c, email, name, locale, tx.now, tx.now); err != nil {
		return model.Contact{}, fmt.Errorf("store: upsert contact: %w", err)
	}
	return c, nil
}

// SetContactUser links a contact to a host-application user.
func (tx *Tx) SetContactUser(ctx context.Context, contactID, userID int64) (model.Contact, error) {
	var c model.Contact
	if err := tx.stmt(ctx, tx.s.q.SetContactUser).GetContext(ctx, &c, userID, tx.now, contactID); err != nil {
		return model.Contact{}, notFound(err, fmt.Sprintf("contact %d", contactID))
	}
	return c, nil
}

// StampRequester sets requester_id on every ticket of the contact and reports
// how many tickets changed.
func (tx *Tx) StampRequester(ctx context.Context, contactID, userID int64) (int64, error) {
	res, err := tx.stmt(ctx, tx.s.q.StampRequesters).ExecContext(ctx, userID, tx.now, contactID)
	if err != nil {
		return 0, fmt.Errorf("store: stamp requester: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: stamp requester: %w", err)
	}
	return n, nil
}

// Contact returns the contact with this id.
func (s *Store) Contact(ctx context.Context, id int64) (model.Contact, error) {
	var c model.Contact
	if err := s.q.ContactByID.GetContext(ctx, &c, id); err != nil {
		return model.Contact{}, notFound(err, fmt.Sprintf("contact %d", id))
	}
	return c, nil
}
