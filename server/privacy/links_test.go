package privacy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/privacy"
	"github.com/portico/portico/server/store"
)

type countingMinter struct{ calls int }

func (m *countingMinter) MintPortalURL(context.Context, int64, string) (string, error) {
	m.calls++
	return "http://portico.test/portal/x", nil
}

// A delivery that composes after the erasure committed mints no link.
func TestPrivacyGuardLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		var ticket model.Ticket
		err := s.InTx(ctx, func(tx *store.Tx) error {
			c, err := tx.UpsertContact(ctx, "ada@example.com", "Ada", "")
			if err != nil {
				return err
			}
			if ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget, ContactID: &c.ID}); err != nil {
				return err
			}
			_, err = tx.QueueMail(ctx, store.NewOutboundMail{TicketID: ticket.ID, Kind: model.MailConfirmation, ToEmail: c.Email,
				EmailMessageID: "<ticket-1@acme.test>", Payload: "{}"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		next := &countingMinter{}
		links := privacy.GuardLinks(next, s)
		if _, err := links.MintPortalURL(ctx, ticket.ID, "ada@example.com"); err != nil || next.calls != 1 {
			t.Fatalf("pending mail: %v, %d calls", err, next.calls)
		}
		if _, err := links.MintPortalURL(ctx, ticket.ID, "bob@example.com"); !errors.Is(err, privacy.ErrMailErased) || next.calls != 1 {
			t.Errorf("no mail to bob: %v, %d calls", err, next.calls)
		}
		erase := func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, "ada@example.com", store.Pseudonyms{Mail: privacy.ErasedAddress})
			return err
		}
		if err := s.InTx(ctx, erase); err != nil {
			t.Fatal(err)
		}
		if _, err := links.MintPortalURL(ctx, ticket.ID, "ada@example.com"); !errors.Is(err, privacy.ErrMailErased) || next.calls != 1 {
			t.Errorf("after erasure: %v, %d calls", err, next.calls)
		}
	})
}
