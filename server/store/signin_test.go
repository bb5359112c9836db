package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestSigninTokensAndSessions: a sign-in token is spent once, only while
// unexpired and its contact not erased; sessions end on time and on delete;
// the sign-in mail kind is accepted (migration 00014) and threads nothing.
func TestSigninTokensAndSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		var clock atomic.Int64
		t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		clock.Store(t0.UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		s := dbtest.Open(t, d, now)

		var ada, bob model.Contact
		var adaTicket model.Ticket
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if ada, err = tx.UpsertContact(ctx, "ada@example.com", "Ada", ""); err != nil {
				return err
			}
			if bob, err = tx.UpsertContact(ctx, "bob@example.com", "", ""); err != nil {
				return err
			}
			if adaTicket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget, ContactID: &ada.ID,
				PageURL: "https://shop.example/", PageTitle: "Shop", Locale: "en"}); err != nil {
				return err
			}
			_, err = tx.QueueMail(ctx, store.NewOutboundMail{TicketID: adaTicket.ID, Kind: model.MailSignin, ToEmail: ada.Email,
				EmailMessageID: "<signin-1@acme.test>", Payload: "{}"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if adaTicket.PageURL != "https://shop.example/" || adaTicket.PageTitle != "Shop" || adaTicket.Locale != "en" {
			t.Errorf("origin = %q %q %q", adaTicket.PageURL, adaTicket.PageTitle, adaTicket.Locale)
		}
		if _, err := s.TicketByMailID(ctx, "<signin-1@acme.test>"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a sign-in mail's Message-ID threads: %v", err)
		}
		if own, err := s.IsOwnMailID(ctx, "<signin-1@acme.test>"); err != nil || !own {
			t.Errorf("IsOwnMailID = %v, %v", own, err)
		}
		if got, err := s.LatestLiveTicketOf(ctx, ada.ID); err != nil || got != adaTicket.ID {
			t.Errorf("LatestLiveTicketOf = %d, %v", got, err)
		}
		if _, err := s.LatestLiveTicketOf(ctx, bob.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("LatestLiveTicketOf(no tickets) = %v", err)
		}

		add := func(c model.Contact, email, token string) error {
			return s.InTx(ctx, func(tx *store.Tx) error {
				return tx.AddSigninToken(ctx, c.ID, email, hashOf(token), now().Add(30*time.Minute), now().Add(-24*time.Hour))
			})
		}
		use := func(token string) (int64, bool) {
			var id int64
			var ok bool
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				id, ok, err = tx.UseSigninToken(ctx, hashOf(token))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return id, ok
		}
		if err := add(ada, "someone@else.example", "wrong-address"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("token for a contact under another address: %v", err)
		}
		for _, tok := range []string{"one", "two", "late"} {
			if err := add(ada, ada.Email, tok); err != nil {
				t.Fatal(err)
			}
		}
		if live, err := s.SigninTokenLive(ctx, hashOf("one"), now()); err != nil || !live {
			t.Errorf("fresh token live = %v, %v", live, err)
		}
		if _, err := s.SigninTokenLive(ctx, hashOf("never"), now()); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}

		// Of concurrent uses exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if id, ok := use("one"); ok && id == ada.ID {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d uses of one token won", wins.Load())
		}
		if live, err := s.SigninTokenLive(ctx, hashOf("one"), now()); err != nil || live {
			t.Errorf("spent token live = %v, %v", live, err)
		}

		clock.Add(int64(31 * time.Minute))
		if _, ok := use("late"); ok {
			t.Error("an expired token was spent")
		}

		// Sessions.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddPortalSession(ctx, ada.ID, hashOf("session"), now().Add(time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := s.PortalSessionByToken(ctx, hashOf("session"), now())
		if err != nil || ps.ID != ada.ID || ps.Email != ada.Email || !ps.ExpiresAt.Equal(now().Add(time.Hour)) {
			t.Errorf("session = %+v, %v", ps, err)
		}
		if _, err := s.PortalSessionByToken(ctx, hashOf("session"), now().Add(time.Hour)); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("session at its end: %v", err)
		}
		rows, err := s.ContactTickets(ctx, ada.ID, ada.Email, 10)
		if err != nil || len(rows) != 1 || rows[0].ID != adaTicket.ID || rows[0].LinkID != nil || rows[0].LastMessageAt != nil {
			t.Errorf("ContactTickets = %+v, %v", rows, err)
		}
		if _, err := s.ContactTicketByID(ctx, bob.ID, bob.Email, adaTicket.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another contact's ticket: %v", err)
		}

		// An erased contact has no session and spends no token.
		if err := add(ada, ada.Email, "after"); err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := tx.MarkContactErased(ctx, ada.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PortalSessionByToken(ctx, hashOf("session"), now()); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("an erased contact's session: %v", err)
		}
		if _, ok := use("after"); ok {
			t.Error("an erased contact's token was spent")
		}
		if _, err := s.LiveContactByEmail(ctx, ada.Email); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("LiveContactByEmail(erased) = %v", err)
		}
		if c, err := s.LiveContactByEmail(ctx, bob.Email); err != nil || c.ID != bob.ID {
			t.Errorf("LiveContactByEmail = %+v, %v", c, err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.DeletePortalSession(ctx, hashOf("session")) })
		if err != nil {
			t.Fatal(err)
		}
	})
}
