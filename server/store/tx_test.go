package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// RunInTx composes: a write made with the context an outer RunInTx gave
// joins that transaction (on SQLite, whose one write connection the outer
// transaction holds, anything else would wait forever), and a joined call
// that fails is undone alone, in a savepoint, even after an SQL error that
// PostgreSQL would otherwise let nothing follow.
func TestRunInTxComposes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		s := dbtest.Open(t, d, fixedClock())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		newTicket := func(ctx context.Context, tx *store.Tx, subject string) model.Ticket {
			t.Helper()
			tk, err := tx.CreateTicket(ctx, store.NewTicket{Subject: subject, Priority: "low", Channel: model.ChannelWidget})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		// exists looks a ticket up by id and subject: SQLite hands a
		// rolled-back ticket's id to the next one.
		exists := func(want model.Ticket) bool {
			t.Helper()
			got, err := s.Ticket(ctx, want.ID)
			if err != nil && !errors.Is(err, model.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil && got.Subject == want.Subject
		}
		errAbort := errors.New("abort")

		tests := []struct {
			name string
			// run gets an outer transaction's context and reports which
			// tickets it made that must survive (keep) or not (drop).
			run      func(ctx context.Context, tx *store.Tx) (keep, drop []model.Ticket, err error)
			wantErr  error
			rollback bool // the outer transaction fails: keep is dropped too
		}{
			{
				name: "a joined write commits with the outer one",
				run: func(ctx context.Context, tx *store.Tx) ([]model.Ticket, []model.Ticket, error) {
					outer := newTicket(ctx, tx, "outer")
					var inner model.Ticket
					err := s.InTx(ctx, func(itx *store.Tx) error {
						if itx != tx {
							t.Error("the nested call got a transaction of its own")
						}
						inner = newTicket(ctx, itx, "inner")
						return nil
					})
					return []model.Ticket{outer, inner}, nil, err
				},
			},
			{
				name: "the outer transaction failing undoes the joined write",
				run: func(ctx context.Context, tx *store.Tx) ([]model.Ticket, []model.Ticket, error) {
					var inner model.Ticket
					err := s.InTx(ctx, func(itx *store.Tx) error {
						inner = newTicket(ctx, itx, "inner")
						return nil
					})
					if err != nil {
						return nil, nil, err
					}
					return []model.Ticket{inner}, nil, errAbort
				},
				wantErr:  errAbort,
				rollback: true,
			},
			{
				name: "a joined call that fails is undone alone",
				run: func(ctx context.Context, tx *store.Tx) ([]model.Ticket, []model.Ticket, error) {
					var inner model.Ticket
					err := s.RunInTx(ctx, func(ctx context.Context, itx *store.Tx) error {
						inner = newTicket(ctx, itx, "inner")
						return errAbort
					})
					if !errors.Is(err, errAbort) {
						t.Errorf("nested error = %v, want it back", err)
					}
					outer := newTicket(ctx, tx, "after")
					return []model.Ticket{outer}, []model.Ticket{inner}, nil
				},
			},
			{
				name: "the outer transaction goes on after an SQL error in a joined call",
				run: func(ctx context.Context, tx *store.Tx) ([]model.Ticket, []model.Ticket, error) {
					err := s.InTx(ctx, func(itx *store.Tx) error {
						// No ticket 999999: a foreign-key violation.
						_, err := itx.AddMessage(ctx, store.NewMessage{TicketID: 999999, Direction: model.DirectionInbound, Source: model.SourceWidget, Body: "x"})
						return err
					})
					if err == nil {
						t.Error("a message on a missing ticket was stored")
					}
					outer := newTicket(ctx, tx, "after the error")
					return []model.Ticket{outer}, nil, nil
				},
			},
			{
				name: "savepoints nest",
				run: func(ctx context.Context, tx *store.Tx) ([]model.Ticket, []model.Ticket, error) {
					var kept, dropped model.Ticket
					err := s.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
						kept = newTicket(ctx, tx, "level 1")
						_ = s.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
							dropped = newTicket(ctx, tx, "level 2")
							return errAbort
						})
						return nil
					})
					return []model.Ticket{kept}, []model.Ticket{dropped}, err
				},
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var keep, drop []model.Ticket
				err := s.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					var err error
					keep, drop, err = tc.run(ctx, tx)
					return err
				})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("RunInTx = %v, want %v", err, tc.wantErr)
				}
				for _, tk := range keep {
					if exists(tk) == tc.rollback {
						t.Errorf("ticket %q stored = %v, want %v", tk.Subject, !tc.rollback, !tc.rollback)
					}
				}
				for _, tk := range drop {
					if exists(tk) {
						t.Errorf("ticket %q of the failed nested call was stored", tk.Subject)
					}
				}
			})
		}
	})
}
