package settings_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// The cache is seen through the store's count of settings reads: a read the
// cache answers makes none. The clock stands still unless a test moves it,
// so nothing expires by itself.

type clock struct{ moved atomic.Int64 }

func newClock() *clock { return &clock{} }

func (c *clock) now() time.Time {
	return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(c.moved.Load()))
}

func (c *clock) add(d time.Duration) { c.moved.Add(int64(d)) }

// instance is one portico's settings service on its own store.
type instance struct {
	st  *store.Store
	svc *settings.Service
}

// open opens a store on dsn with its settings service; listen runs the
// service's listener until the test ends.
func open(t testing.TB, d store.Dialect, dsn string, c *clock, listen bool) instance {
	t.Helper()
	st := dbtest.OpenDSN(t, d, dsn, c.now)
	svc := settings.New(st, settings.Options{Now: c.now, Log: slog.New(slog.DiscardHandler)})
	if listen {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	return instance{st: st, svc: svc}
}

// waitCached waits until read is answered from the cache (on PostgreSQL,
// once the listener listens).
func waitCached(t testing.TB, in instance, read func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := read(); err != nil {
			t.Fatal(err)
		}
		n := in.st.SettingsReads()
		if err := read(); err != nil {
			t.Fatal(err)
		}
		if in.st.SettingsReads() == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("settings still read from the database after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventually polls until cond holds, failing after 10 s.
func eventually(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func color(in instance) (string, error) {
	w, err := in.svc.Widget(context.Background())
	return w.Color, err
}

func setColor(t testing.TB, in instance, c string) {
	t.Helper()
	if _, err := in.svc.SetWidget(context.Background(), settings.WidgetInput{Color: &c}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// getters reads every setting once.
func getters(svc *settings.Service) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"Intake":      func(ctx context.Context) error { _, _, err := svc.Intake(ctx); return err },
		"Widget":      func(ctx context.Context) error { _, err := svc.Widget(ctx); return err },
		"GuestPolicy": func(ctx context.Context) error { _, err := svc.GuestPolicy(ctx); return err },
		"Portal":      func(ctx context.Context) error { _, err := svc.Portal(ctx); return err },
		"Inbound":     func(ctx context.Context) error { _, err := svc.Inbound(ctx); return err },
		"Privacy":     func(ctx context.Context) error { _, err := svc.Privacy(ctx); return err },
	}
}

// A warm cache makes no query; an entry MaxAge old is read again, once, also
// for a burst of readers.
func TestCacheSavesQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		c := newClock()
		dsn := dbtest.DSN(t, d)
		// Written before the listener starts, so that no notification of
		// it can arrive while the test counts.
		seed := open(t, d, dsn, c, false)
		setColor(t, seed, "#111111")
		if _, err := seed.svc.SetGuestPolicy(ctx, settings.GuestPolicyInput{Mode: settings.ModeGuestUser, UserID: "7"}); err != nil {
			t.Fatal(err)
		}
		in := open(t, d, dsn, c, true)
		waitCached(t, in, func() error { _, _, err := in.svc.Intake(ctx); return err })

		get := getters(in.svc)
		for name, read := range get {
			if err := read(ctx); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		n := in.st.SettingsReads()
		for range 3 {
			for name, read := range get {
				if err := read(ctx); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
		if got := in.st.SettingsReads() - n; got != 0 {
			t.Errorf("warm cache: %d reads of the settings table, want 0", got)
		}

		c.add(settings.DefaultMaxAge - time.Second)
		for _, read := range get {
			_ = read(ctx)
		}
		if got := in.st.SettingsReads() - n; got != 0 {
			t.Errorf("entries younger than MaxAge: %d reads, want 0", got)
		}
		c.add(time.Second)
		for name, read := range get {
			n := in.st.SettingsReads()
			_ = read(ctx)
			_ = read(ctx)
			if got := in.st.SettingsReads() - n; got != 1 {
				t.Errorf("%s after MaxAge: %d reads, want 1", name, got)
			}
		}

		// A burst of requests after the entries expired: one read.
		c.add(settings.DefaultMaxAge)
		n = in.st.SettingsReads()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Go(func() {
				<-start
				w, p, err := in.svc.Intake(ctx)
				if err != nil || w.Color != "#111111" || p.Mode != settings.ModeGuestUser {
					t.Errorf("Intake in a burst: %s %s %v", w.Color, p.Mode, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got := in.st.SettingsReads() - n; got != 1 {
			t.Errorf("burst of 32 Intake calls: %d reads, want 1", got)
		}
	})
}

// A write through any path of this process is seen at once: through the
// service, through another service on the same store, and through the
// store alone (any writer of the settings table).
func TestCacheWriteSeenAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		in := open(t, d, dbtest.DSN(t, d), newClock(), true)
		waitCached(t, in, func() error { _, err := color(in); return err })

		setColor(t, in, "#222222")
		if got, err := color(in); err != nil || got != "#222222" {
			t.Errorf("Widget after SetWidget: %s %v", got, err)
		}
		if w, _, err := in.svc.Intake(ctx); err != nil || w.Color != "#222222" {
			t.Errorf("Intake after SetWidget: %s %v", w.Color, err)
		}

		waitCached(t, in, func() error { _, err := in.svc.Portal(ctx); return err })
		other := settings.New(in.st, settings.Options{})
		if _, err := other.SetPortal(ctx, settings.PortalInput{AllowReply: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if p, err := in.svc.Portal(ctx); err != nil || p.AllowReply {
			t.Errorf("Portal after another service's SetPortal: %+v %v", p, err)
		}

		waitCached(t, in, func() error { _, err := in.svc.Inbound(ctx); return err })
		if err := in.st.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutSetting(ctx, "inbound", `{"unauthenticated":"hold"}`)
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := in.svc.Inbound(ctx); err != nil || got.Unauthenticated != settings.UnauthenticatedHold {
			t.Errorf("Inbound after a write through the store: %+v %v", got, err)
		}
	})
}

// Nothing of a transaction is cached before it commits: a write that rolls
// back leaves the old value, and a read made while the write was not yet
// committed (which finds the old value) is dropped at the commit.
func TestCacheAndTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		in := open(t, d, dbtest.DSN(t, d), newClock(), true)
		waitCached(t, in, func() error { _, err := in.svc.Portal(ctx); return err })
		errAbort := errors.New("abort")

		err := in.st.RunInTx(ctx, func(ctx context.Context, _ *store.Tx) error {
			p, err := in.svc.SetPortal(ctx, settings.PortalInput{Enabled: ptr(false)})
			if err != nil || p.Enabled {
				t.Errorf("SetPortal in a transaction: %+v %v", p, err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatal(err)
		}
		if p, err := in.svc.Portal(ctx); err != nil || !p.Enabled {
			t.Errorf("Portal after a rolled-back SetPortal: %+v %v", p, err)
		}

		waitCached(t, in, func() error { _, err := in.svc.Portal(ctx); return err })
		err = in.st.RunInTx(ctx, func(ctx context.Context, _ *store.Tx) error {
			if _, err := in.svc.SetPortal(ctx, settings.PortalInput{Enabled: ptr(false)}); err != nil {
				return err
			}
			// Outside the transaction: the committed (old) value, cached.
			p, err := in.svc.Portal(context.Background())
			if err != nil || !p.Enabled {
				t.Errorf("Portal outside the open transaction: %+v %v", p, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := in.svc.Portal(ctx); err != nil || p.Enabled {
			t.Errorf("Portal after the commit: %+v %v", p, err)
		}
	})
}

// Callers get copies: changing what a getter returned changes nothing
// cached. Portal, Inbound and Privacy are copied by value, so they must
// keep no pointer, slice or map.
func TestCacheHandsOutCopies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		in := open(t, d, dbtest.DSN(t, d), newClock(), true)
		if _, err := in.svc.SetGuestPolicy(ctx, settings.GuestPolicyInput{Mode: settings.ModeGuestUser, UserID: "7"}); err != nil {
			t.Fatal(err)
		}
		waitCached(t, in, func() error { _, _, err := in.svc.Intake(ctx); return err })
		waitCached(t, in, func() error { _, err := in.svc.GuestPolicy(ctx); return err })
		waitCached(t, in, func() error { _, err := in.svc.Widget(ctx); return err })

		w, p, _ := in.svc.Intake(ctx)
		w.AllowedOrigins[0], w.Priorities[0] = "https://evil.example", "whatever"
		*p.UserID = 666
		w2, _ := in.svc.Widget(ctx)
		w2.Priorities[1] = "whatever"
		w2.AllowedOrigins[0] = "https://evil.example"
		p2, _ := in.svc.GuestPolicy(ctx)
		*p2.UserID = 666

		def := settings.DefaultWidget()
		w, p, _ = in.svc.Intake(ctx)
		w2, _ = in.svc.Widget(ctx)
		p2, _ = in.svc.GuestPolicy(ctx)
		for name, got := range map[string][]string{"Intake": w.Priorities, "Widget": w2.Priorities} {
			if fmt.Sprint(got) != fmt.Sprint(def.Priorities) {
				t.Errorf("%s priorities %v after a caller changed its copy", name, got)
			}
		}
		for name, got := range map[string][]string{"Intake": w.AllowedOrigins, "Widget": w2.AllowedOrigins} {
			if fmt.Sprint(got) != fmt.Sprint(def.AllowedOrigins) {
				t.Errorf("%s origins %v after a caller changed its copy", name, got)
			}
		}
		if *p.UserID != 7 || *p2.UserID != 7 {
			t.Errorf("guest user %d, %d after a caller changed its copy", *p.UserID, *p2.UserID)
		}

		for _, v := range []any{settings.Portal{}, settings.Inbound{}, settings.Privacy{}} {
			typ := reflect.TypeOf(v)
			for i := range typ.NumField() {
				switch typ.Field(i).Type.Kind() {
				case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Struct, reflect.Array:
					t.Errorf("%s.%s is a %s: clone it before it is handed out", typ.Name(), typ.Field(i).Name, typ.Field(i).Type.Kind())
				}
			}
		}
	})
}

// An edit no hook or notification reports (here SQL straight into the
// table, as with psql or the sqlite3 shell) is seen once the entry is
// MaxAge old.
func TestCacheMaxAge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		c := newClock()
		dsn := dbtest.DSN(t, d)
		// Written before in listens: a notification of this write arriving
		// late would empty in's cache and make the check below see the edit.
		setColor(t, open(t, d, dsn, c, false), "#333333")
		in := open(t, d, dsn, c, true)
		waitCached(t, in, func() error { _, err := color(in); return err })

		db, err := sqlx.Connect(string(d), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE settings SET value = ? WHERE key = 'widget'`), `{"color":"#444444"}`); err != nil {
			t.Fatal(err)
		}
		if got, _ := color(in); got != "#333333" {
			t.Fatalf("color %s before MaxAge: the edit was seen, so this test proves nothing", got)
		}
		c.add(settings.DefaultMaxAge)
		if got, err := color(in); err != nil || got != "#444444" {
			t.Errorf("color %s %v once the entry is MaxAge old, want #444444", got, err)
		}
	})
}

// On PostgreSQL a write on one instance reaches the cache of another
// through the notification; when the other's listener loses its
// connection, a write made meanwhile is seen all the same, and the cache
// is back in use once the listener is.
func TestCacheAcrossInstances(t *testing.T) {
	d := store.Postgres
	t.Parallel()
	c := newClock()
	dsn := dbtest.DSN(t, d)
	writer := open(t, d, dsn, c, false) // only b listens: the listener to cut is b's
	b := open(t, d, dsn, c, true)
	waitCached(t, b, func() error { _, err := color(b); return err })

	setColor(t, writer, "#555555")
	eventually(t, "b sees the color set on the writer", func() (bool, error) {
		got, err := color(b)
		return got == "#555555", err
	})
	waitCached(t, b, func() error { _, err := color(b); return err })

	if n := dbtest.TerminatePostgres(t, dsn, store.SettingsListenerName); n != 1 {
		t.Fatalf("terminated %d listeners, want 1", n)
	}
	// b's listener is gone: no notification of this reaches b.
	setColor(t, writer, "#666666")
	eventually(t, "b sees the color set while its listener was cut", func() (bool, error) {
		got, err := color(b)
		return got == "#666666", err
	})

	waitCached(t, b, func() error { _, err := color(b); return err })
	setColor(t, writer, "#777777")
	eventually(t, "b sees the color set after its listener came back", func() (bool, error) {
		got, err := color(b)
		return got == "#777777", err
	})
}
