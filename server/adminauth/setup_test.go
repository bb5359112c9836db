package adminauth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
)

// TestFirstRunSetup: a start without admins hands out a token; a later
// start replaces it; the token creates one admin, signs them in and dies;
// once an admin exists no token is handed out.
func TestFirstRunSetup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		auth, err := adminauth.New(s, ratelimit.NewMemory(time.Now), "")
		if err != nil {
			t.Fatal(err)
		}
		if req, err := auth.SetupRequired(ctx); err != nil || !req {
			t.Fatalf("SetupRequired on an empty database = %v, %v", req, err)
		}
		if _, _, err := auth.Setup(ctx, "", "a@example.com", "long-enough"); !errors.Is(err, adminauth.ErrSetupToken) {
			t.Fatalf("Setup before any start: %v, want ErrSetupToken", err)
		}
		old, err := auth.StartSetup(ctx)
		if err != nil || len(old) != 64 {
			t.Fatalf("StartSetup = %q, %v", old, err)
		}
		token, err := auth.StartSetup(ctx) // a restart
		if err != nil || token == old {
			t.Fatalf("second StartSetup = %q, %v", token, err)
		}
		if _, _, err := auth.Setup(ctx, old, "a@example.com", "long-enough"); !errors.Is(err, adminauth.ErrSetupToken) {
			t.Fatalf("token of the earlier start: %v, want ErrSetupToken", err)
		}
		_, _, err = auth.Setup(ctx, token, "not an address", "short")
		var fields model.FieldErrors
		if !errors.As(err, &fields) || fields["email"] == "" || fields["password"] == "" {
			t.Fatalf("bad fields: %v", err)
		}
		session, admin, err := auth.Setup(ctx, token, " First@Example.com ", "correct horse")
		if err != nil || admin.Email != "first@example.com" || len(session) != 64 {
			t.Fatalf("Setup = %q, %+v, %v (bad fields must leave the token alive)", session, admin, err)
		}
		if got, err := auth.Session(ctx, session); err != nil || got.ID != admin.ID {
			t.Fatalf("Session after set-up = %+v, %v", got, err)
		}
		if _, _, err := auth.Login(ctx, "first@example.com", "correct horse"); err != nil {
			t.Fatalf("Login with the chosen password: %v", err)
		}
		if _, _, err := auth.Setup(ctx, token, "second@example.com", "correct horse"); !errors.Is(err, adminauth.ErrSetupDone) {
			t.Fatalf("token used twice: %v, want ErrSetupDone", err)
		}
		if req, err := auth.SetupRequired(ctx); err != nil || req {
			t.Fatalf("SetupRequired with an admin = %v, %v", req, err)
		}
		if again, err := auth.StartSetup(ctx); err != nil || again != "" {
			t.Fatalf("StartSetup with an admin = %q, %v", again, err)
		}
	})
}

// TestFirstRunSetupConcurrent: many requests with the one token at once
// create exactly one admin.
func TestFirstRunSetupConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		auth, err := adminauth.New(s, ratelimit.NewMemory(time.Now), "")
		if err != nil {
			t.Fatal(err)
		}
		token, err := auth.StartSetup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = auth.Setup(ctx, token, fmt.Sprintf("admin%d@example.com", i), "correct horse")
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, adminauth.ErrSetupDone), errors.Is(err, adminauth.ErrSetupToken):
			default:
				t.Errorf("setup %d: %v", i, err)
			}
		}
		count, err := s.CountAdmins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 1 || count != 1 {
			t.Fatalf("%d set-ups succeeded, %d admins exist; want 1 and 1 (%v)", ok, count, errs)
		}
	})
}
