package settings_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// guestUser is the start-up default of these tests (PORTICO_GUEST_POLICY_*).
var guestUser = validate.GuestPolicy{Mode: validate.GuestUser, UserID: 77}

func openWithDefault(t *testing.T, d store.Dialect, dsn string, c *clock, def validate.GuestPolicy, listen bool) instance {
	t.Helper()
	in := open(t, d, dsn, c, false)
	// open's service has no default: replaced by one that has.
	in.svc = settings.New(in.st, settings.Options{Now: c.now, Log: slog.New(slog.DiscardHandler), GuestPolicy: def})
	if listen {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- in.svc.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	return in
}

// policyIs reads the state and the intake of in and compares both with
// want: the mode and user id in force, and the source.
func policyIs(t *testing.T, in instance, mode string, userID int64, source string) bool {
	t.Helper()
	ctx := context.Background()
	st, err := in.svc.GuestPolicyState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := in.svc.Intake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := func(p settings.GuestPolicy) int64 {
		if p.UserID == nil {
			return 0
		}
		return *p.UserID
	}
	return st.Mode == mode && id(st.GuestPolicy) == userID && st.Source == source &&
		p.Mode == mode && id(p) == userID &&
		st.Default.Mode == guestUser.Mode && id(st.Default) == guestUser.UserID
}

// The start-up default is in force until a policy is saved; a save wins; a
// reset brings the default back, at once on this instance (its cache is
// warm each time) and, through the notification, on another.
func TestGuestPolicyDefaultAndReset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		c := newClock()
		dsn := dbtest.DSN(t, d)
		a := openWithDefault(t, d, dsn, c, guestUser, true)
		warm := func(in instance) {
			waitCached(t, in, func() error { _, err := in.svc.GuestPolicyState(ctx); return err })
			waitCached(t, in, func() error { _, _, err := in.svc.Intake(ctx); return err })
		}

		warm(a)
		if !policyIs(t, a, settings.ModeGuestUser, 77, settings.SourceDefault) {
			t.Errorf("before any save: %+v", must(a.svc.GuestPolicyState(ctx)))
		}

		st, err := a.svc.SetGuestPolicy(ctx, settings.GuestPolicyInput{Mode: settings.ModeUnassigned})
		if err != nil || st.Source != settings.SourceSaved || st.Mode != settings.ModeUnassigned || st.Default.Mode != settings.ModeGuestUser {
			t.Errorf("SetGuestPolicy = %+v, %v", st, err)
		}
		if !policyIs(t, a, settings.ModeUnassigned, 0, settings.SourceSaved) {
			t.Errorf("after a save: %+v", must(a.svc.GuestPolicyState(ctx)))
		}

		// A restart keeps the saved policy, whatever the default says now.
		restarted := openWithDefault(t, d, dsn, c, guestUser, false)
		if !policyIs(t, restarted, settings.ModeUnassigned, 0, settings.SourceSaved) {
			t.Errorf("after a restart: %+v", must(restarted.svc.GuestPolicyState(ctx)))
		}

		warm(a)
		st, err = a.svc.ResetGuestPolicy(ctx)
		if err != nil || st.Source != settings.SourceDefault || st.Mode != settings.ModeGuestUser || *st.UserID != 77 {
			t.Errorf("ResetGuestPolicy = %+v, %v", st, err)
		}
		if !policyIs(t, a, settings.ModeGuestUser, 77, settings.SourceDefault) {
			t.Errorf("after a reset: %+v", must(a.svc.GuestPolicyState(ctx)))
		}
		// Again: nothing to forget, no error.
		if st, err := a.svc.ResetGuestPolicy(ctx); err != nil || st.Source != settings.SourceDefault {
			t.Errorf("second ResetGuestPolicy = %+v, %v", st, err)
		}

		if d != store.Postgres {
			return // one instance per SQLite file
		}
		b := openWithDefault(t, d, dsn, c, guestUser, true)
		warm(b)
		if _, err := a.svc.SetGuestPolicy(ctx, settings.GuestPolicyInput{Mode: settings.ModePromptSignup, SignupURLTemplate: "https://x.example/?t={token}"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b sees the policy saved on a", func() (bool, error) {
			st, err := b.svc.GuestPolicyState(ctx)
			return st.Source == settings.SourceSaved && st.Mode == settings.ModePromptSignup, err
		})
		warm(b)
		if _, err := a.svc.ResetGuestPolicy(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b sees the reset made on a", func() (bool, error) {
			return policyIs(t, b, settings.ModeGuestUser, 77, settings.SourceDefault), nil
		})
	})
}

// Without a start-up default the policy is unassigned, and callers get
// copies of the default too.
func TestGuestPolicyNoDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		in := open(t, d, dbtest.DSN(t, d), newClock(), true)
		st, err := in.svc.GuestPolicyState(ctx)
		if err != nil || st.Source != settings.SourceDefault || st.Mode != settings.ModeUnassigned || st.UserID != nil || st.Default.Mode != settings.ModeUnassigned {
			t.Errorf("state = %+v, %v", st, err)
		}

		def := openWithDefault(t, d, dbtest.DSN(t, d), newClock(), guestUser, true)
		waitCached(t, def, func() error { _, err := def.svc.GuestPolicyState(ctx); return err })
		st = must(def.svc.GuestPolicyState(ctx))
		*st.UserID, *st.Default.UserID = 1, 2
		if st = must(def.svc.GuestPolicyState(ctx)); *st.UserID != 77 || *st.Default.UserID != 77 {
			t.Errorf("after a caller changed its copy: %d, %d", *st.UserID, *st.Default.UserID)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
