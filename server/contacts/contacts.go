// Package contacts manages the people who write to support without an
// account: one contact per email address, later linked to a host-app user.
package contacts

import (
	"context"
	"strings"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// Normalize is the one form of an email address the store keeps.
func Normalize(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// FindOrCreateInTx returns the contact of email, creating it inside tx. It is
// safe under concurrent submissions of the same address. A non-empty locale
// (one of i18n.Languages; the caller chose it) becomes the contact's
// language; "" keeps the one stored.
func FindOrCreateInTx(ctx context.Context, tx *store.Tx, email, name, locale string) (model.Contact, error) {
	return tx.UpsertContact(ctx, Normalize(email), strings.TrimSpace(name), locale)
}

// Service runs contact operations in their own transactions.
type Service struct {
	store *store.Store
}

// New returns the contacts service.
func New(s *store.Store) *Service { return &Service{store: s} }

// FindOrCreateByEmail returns the contact of email, creating it if needed.
func (s *Service) FindOrCreateByEmail(ctx context.Context, email, name string) (model.Contact, error) {
	var c model.Contact
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = FindOrCreateInTx(ctx, tx, email, name, "")
		return err
	})
	return c, err
}

// PromoteToUser links the contact to a host-app user and back-stamps
// requester_id on every ticket of the contact, in one transaction. It returns
// the updated contact and how many tickets changed.
func (s *Service) PromoteToUser(ctx context.Context, contactID, userID int64) (model.Contact, int64, error) {
	if userID <= 0 {
		return model.Contact{}, 0, model.FieldErrors{"user_id": "must be a positive integer"}
	}
	current, err := s.store.Contact(ctx, contactID)
	if err != nil {
		return model.Contact{}, 0, err
	}
	// An erased contact is a pseudonym; linking it to a user would undo
	// the erasure.
	if strings.HasPrefix(current.Email, "erased-") && strings.HasSuffix(current.Email, "@invalid") {
		return model.Contact{}, 0, model.FieldErrors{"contact": "was erased and cannot be linked to a user"}
	}
	var (
		c model.Contact
		n int64
	)
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.SetContactUser(ctx, contactID, userID); err != nil {
			return err
		}
		n, err = tx.StampRequester(ctx, contactID, userID)
		return err
	})
	if err != nil {
		return model.Contact{}, 0, err
	}
	return c, n, nil
}

// Contact returns one contact.
func (s *Service) Contact(ctx context.Context, id int64) (model.Contact, error) {
	return s.store.Contact(ctx, id)
}
