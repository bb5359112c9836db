package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

func TestContactsAndTickets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, fixedClock())

		var ticket model.Ticket
		var contact model.Contact
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if contact, err = tx.UpsertContact(ctx, "ada@example.com", "", ""); err != nil {
				return err
			}
			// A later submission fills in the missing name but never replaces one.
			if contact, err = tx.UpsertContact(ctx, "ada@example.com", "Ada", ""); err != nil {
				return err
			}
			if again, err := tx.UpsertContact(ctx, "ada@example.com", "Someone Else", ""); err != nil || again.ID != contact.ID || again.Name != "Ada" {
				t.Errorf("upsert again = %+v, %v", again, err)
			}
			ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "Broken", Priority: "high", Channel: model.ChannelWidget, ContactID: &contact.ID})
			if err != nil {
				return err
			}
			_, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionInbound, Source: model.SourceWidget, AuthorEmail: contact.Email, Body: "It broke."})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if contact.Name != "Ada" {
			t.Errorf("name = %q, want Ada", contact.Name)
		}
		if ticket.Reference != model.Reference(ticket.ID) || ticket.Status != model.StatusOpen || ticket.RequesterID != 0 {
			t.Errorf("ticket = %+v", ticket)
		}
		if !ticket.CreatedAt.Equal(fixedClock()()) {
			t.Errorf("created_at = %v", ticket.CreatedAt)
		}
		got, err := s.Ticket(ctx, ticket.ID)
		if err != nil || got.Subject != "Broken" || *got.ContactID != contact.ID {
			t.Fatalf("Ticket = %+v, %v", got, err)
		}
		if _, err := s.Ticket(ctx, ticket.ID+1000); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("missing ticket err = %v, want ErrNotFound", err)
		}
		msgs, err := s.Messages(ctx, ticket.ID)
		if err != nil || len(msgs) != 1 || msgs[0].Body != "It broke." {
			t.Fatalf("Messages = %+v, %v", msgs, err)
		}

		// A check constraint keeps emails lower-case even if a caller forgets.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpsertContact(ctx, "Upper@Example.com", "", "")
			return err
		})
		if err == nil {
			t.Error("upper-case email stored")
		}

		// Promotion back-stamps every ticket of the contact.
		var n int64
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateTicket(ctx, store.NewTicket{Subject: "Second", Priority: "low", Channel: model.ChannelEmail, ContactID: &contact.ID}); err != nil {
				return err
			}
			c, err := tx.SetContactUser(ctx, contact.ID, 77)
			if err != nil || c.UserID == nil || *c.UserID != 77 {
				t.Errorf("SetContactUser = %+v, %v", c, err)
			}
			n, err = tx.StampRequester(ctx, contact.ID, 77)
			return err
		})
		if err != nil || n != 2 {
			t.Fatalf("StampRequester = %d, %v", n, err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SetContactUser(ctx, 999999, 1)
			return err
		})
		if !errors.Is(err, model.ErrNotFound) {
			t.Errorf("promote missing contact: %v", err)
		}

		list, total, err := s.ListTickets(ctx, store.TicketFilter{Limit: 10})
		if err != nil || total != 2 || len(list) != 2 || list[0].Subject != "Second" {
			t.Fatalf("ListTickets = %+v, %d, %v", list, total, err)
		}
		for _, c := range []struct {
			f    store.TicketFilter
			want int64
		}{
			{store.TicketFilter{Query: "brok"}, 1},
			{store.TicketFilter{Query: "BROKEN"}, 1},
			{store.TicketFilter{Query: ticket.Reference}, 1},
			{store.TicketFilter{Query: "ada@"}, 2},
			{store.TicketFilter{Query: "%"}, 0},
			{store.TicketFilter{Status: model.StatusClosed}, 0},
			{store.TicketFilter{Status: model.StatusOpen, Query: "second"}, 1},
		} {
			c.f.Limit = 10
			if _, total, err := s.ListTickets(ctx, c.f); err != nil || total != c.want {
				t.Errorf("ListTickets(%+v) total = %d, %v; want %d", c.f, total, err, c.want)
			}
		}
	})
}

// Concurrent first submissions of one address end with one contact that every
// ticket points to.
func TestUpsertContactConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		const n = 20
		ids := make([]int64, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.InTx(ctx, func(tx *store.Tx) error {
					c, err := tx.UpsertContact(ctx, "same@example.com", "", "")
					if err != nil {
						return err
					}
					tk, err := tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget, ContactID: &c.ID})
					ids[i] = *tk.ContactID
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("tickets point at different contacts: %v", ids)
			}
		}
	})
}

func TestSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		if _, err := s.Setting(ctx, "k"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("unset setting: %v", err)
		}
		for _, v := range []string{"one", "two"} {
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "k", v) }); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Setting(ctx, "k"); err != nil || got != v {
				t.Fatalf("Setting = %q, %v; want %q", got, err, v)
			}
		}
		first, err := s.SettingOnce(ctx, "secret", "aaa")
		if err != nil || first != "aaa" {
			t.Fatalf("SettingOnce = %q, %v", first, err)
		}
		if again, err := s.SettingOnce(ctx, "secret", "bbb"); err != nil || again != "aaa" {
			t.Fatalf("SettingOnce again = %q, %v; want the first value", again, err)
		}
	})
}

func TestAdminsAndSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := dbtest.Open(t, d, clock)
		var created bool
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if created, err = tx.AddAdmin(ctx, "root@example.com", "hash"); err != nil {
				return err
			}
			if again, err := tx.AddAdmin(ctx, "root@example.com", "other"); err != nil || again {
				t.Errorf("second AddAdmin = %v, %v", again, err)
			}
			return nil
		})
		if err != nil || !created {
			t.Fatalf("AddAdmin = %v, %v", created, err)
		}
		a, err := s.AdminByEmail(ctx, "root@example.com")
		if err != nil || a.PasswordHash != "hash" {
			t.Fatalf("AdminByEmail = %+v, %v", a, err)
		}
		token := []byte("0123456789abcdef0123456789abcdef")
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.AddSession(ctx, a.ID, token, time.Hour) }); err != nil {
			t.Fatal(err)
		}
		if got, err := s.AdminBySession(ctx, token); err != nil || got.ID != a.ID {
			t.Fatalf("AdminBySession = %+v, %v", got, err)
		}
		now = now.Add(2 * time.Hour)
		if _, err := s.AdminBySession(ctx, token); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, token) }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRollbackLeavesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.UpsertContact(ctx, "x@example.com", "", ""); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if _, total, err := s.ListTickets(ctx, store.TicketFilter{Query: "x@example.com", Limit: 1}); err != nil || total != 0 {
			t.Fatalf("after rollback: %d, %v", total, err)
		}
	})
}

// A contact keeps the last language a ticket came with; a ticket without one
// leaves it (issue 17).
func TestContactLocale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, fixedClock())
		steps := []struct{ in, want string }{{"", ""}, {"de", "de"}, {"", "de"}, {"fr", "fr"}}
		for _, st := range steps {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				c, err := tx.UpsertContact(ctx, "ana@example.com", "Ana", st.in)
				if err == nil && c.Locale != st.want {
					t.Errorf("after %q: locale %q, want %q", st.in, c.Locale, st.want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
