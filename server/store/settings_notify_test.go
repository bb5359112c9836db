package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

// Every writer of the settings table runs the commit hooks, after its
// commit (a cache dropped before it would be refilled with the old value),
// and a transaction that writes nothing or rolls back does not.
func TestSettingsCommitHooks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, fixedClock())
		var runs atomic.Int64
		s.OnSettingsCommit(func() { runs.Add(1) })
		errAbort := errors.New("abort")

		writes := []struct {
			name   string
			write  func(ctx context.Context, tx *store.Tx) error
			counts bool
		}{
			{"PutSetting", func(ctx context.Context, tx *store.Tx) error { return tx.PutSetting(ctx, "k", "v") }, true},
			{"AddSettingOnce, new", func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.AddSettingOnce(ctx, "marker", "1")
				return err
			}, true},
			{"AddSettingOnce, there", func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.AddSettingOnce(ctx, "marker", "1")
				return err
			}, false},
			{"TakeSetting, other value", func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.TakeSetting(ctx, "k", "w")
				return err
			}, false},
			{"TakeSetting", func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.TakeSetting(ctx, "k", "v")
				return err
			}, true},
			{"DeleteSetting", func(ctx context.Context, tx *store.Tx) error { return tx.DeleteSetting(ctx, "marker") }, true},
			{"no settings written", func(ctx context.Context, tx *store.Tx) error { return nil }, false},
		}
		for _, w := range writes {
			before := runs.Load()
			err := s.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if err := w.write(ctx, tx); err != nil {
					return err
				}
				if runs.Load() != before {
					t.Errorf("%s: hook ran before the commit", w.name)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			if got := runs.Load() - before; got != map[bool]int64{true: 1, false: 0}[w.counts] {
				t.Errorf("%s: hook ran %d times", w.name, got)
			}
		}

		before := runs.Load()
		if _, err := s.SettingOnce(ctx, "secret", "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SettingOnce(ctx, "secret", "b"); err != nil {
			t.Fatal(err)
		}
		if got := runs.Load() - before; got != 1 {
			t.Errorf("SettingOnce twice: hook ran %d times, want 1 (the second stores nothing)", got)
		}

		before = runs.Load()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.PutSetting(ctx, "k", "rolled back"); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatal(err)
		}
		if runs.Load() != before {
			t.Error("a rolled-back write ran the hook")
		}
	})
}

// WatchSettings hears the commits of another store (another instance) on
// the same database, not the rolled-back writes (also in a savepoint), and
// after losing its connection says so, reconnects and says so.
func TestWatchSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		dsn := dbtest.DSN(t, d)
		s := dbtest.OpenDSN(t, d, dsn, fixedClock())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if d == store.SQLite {
			if s.SettingsShared() {
				t.Error("SettingsShared on SQLite")
			}
			if err := s.WatchSettings(ctx, func(store.SettingsEvent) { t.Error("an event on SQLite") }); err != nil {
				t.Error(err)
			}
			return
		}
		if !s.SettingsShared() {
			t.Error("not SettingsShared on PostgreSQL")
		}
		other := dbtest.OpenDSN(t, d, dsn, fixedClock())
		events := make(chan store.SettingsEvent, 64)
		watchCtx, stop := context.WithCancel(ctx)
		watched := make(chan error, 1)
		go func() { watched <- s.WatchSettings(watchCtx, func(ev store.SettingsEvent) { events <- ev }) }()
		next := func(want store.SettingsEventKind) store.SettingsEvent {
			t.Helper()
			for {
				select {
				case ev := <-events:
					if ev.Kind == store.SettingsDeaf && want != store.SettingsDeaf && ev.Err != nil {
						t.Logf("deaf: %v", ev.Err) // a failed connection attempt; lib/pq retries
						continue
					}
					if ev.Kind != want {
						t.Fatalf("event %v %q %v, want %v", ev.Kind, ev.Key, ev.Err, want)
					}
					return ev
				case <-ctx.Done():
					t.Fatalf("no %v event", want)
				}
			}
		}
		put := func(ctx context.Context, key string) error {
			return other.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, key, "v") })
		}
		next(store.SettingsListening)

		if err := put(ctx, "one"); err != nil {
			t.Fatal(err)
		}
		if ev := next(store.SettingsChanged); ev.Key != "one" {
			t.Errorf("changed %q, want one", ev.Key)
		}
		// Notifications come in commit order: had the rolled-back writes
		// been announced, they would come before "two".
		errAbort := errors.New("abort")
		if err := other.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.PutSetting(ctx, "rolled-back", "v"); err != nil {
				return err
			}
			return errAbort
		}); !errors.Is(err, errAbort) {
			t.Fatal(err)
		}
		if err := other.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			if err := other.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.PutSetting(ctx, "savepoint", "v"); err != nil {
					return err
				}
				return errAbort
			}); !errors.Is(err, errAbort) {
				t.Errorf("savepoint: %v", err)
			}
			return put(ctx, "two")
		}); err != nil {
			t.Fatal(err)
		}
		if ev := next(store.SettingsChanged); ev.Key != "two" {
			t.Errorf("changed %q, want two (rolled-back writes are not announced)", ev.Key)
		}

		// Lose the connection: deaf, then listening again, then hearing.
		if n := dbtest.TerminatePostgres(t, dsn, store.SettingsListenerName); n != 1 {
			t.Fatalf("terminated %d listeners, want 1", n)
		}
		if ev := next(store.SettingsDeaf); ev.Err == nil {
			t.Error("deaf without a reason")
		}
		next(store.SettingsListening)
		if err := put(ctx, "three"); err != nil {
			t.Fatal(err)
		}
		if ev := next(store.SettingsChanged); ev.Key != "three" {
			t.Errorf("changed %q, want three", ev.Key)
		}

		stop()
		if err := <-watched; err != nil {
			t.Errorf("WatchSettings: %v", err)
		}
		if ev := next(store.SettingsDeaf); ev.Err != nil {
			t.Errorf("deaf at the end: %v, want no error", ev.Err)
		}
	})
}
