package adminauth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
)

func TestPasswordHash(t *testing.T) {
	h, err := adminauth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !adminauth.VerifyPassword(h, "correct horse") {
		t.Error("right password rejected")
	}
	for _, bad := range []struct{ hash, pw string }{
		{h, "wrong"}, {h, ""}, {"", "correct horse"}, {"$argon2id$v=19$m=1,t=1,p=1$!!$!!", "x"},
		{"$2a$10$abcdefghijklmnopqrstuv", "correct horse"},
	} {
		if adminauth.VerifyPassword(bad.hash, bad.pw) {
			t.Errorf("VerifyPassword(%q, %q) = true", bad.hash, bad.pw)
		}
	}
}

func TestBootstrapLoginLogout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		auth, err := adminauth.New(s, ratelimit.NewMemory(time.Now), "")
		if err != nil {
			t.Fatal(err)
		}
		if created, err := auth.Bootstrap(ctx, " Root@Example.com ", "s3cret-pass"); err != nil || !created {
			t.Fatalf("Bootstrap = %v, %v", created, err)
		}
		if created, err := auth.Bootstrap(ctx, "other@example.com", "another-pass"); err != nil || created {
			t.Fatalf("second Bootstrap = %v, %v; want no new admin", created, err)
		}
		if _, _, err := auth.Login(ctx, "root@example.com", "nope"); !errors.Is(err, adminauth.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := auth.Login(ctx, "ghost@example.com", "s3cret-pass"); !errors.Is(err, adminauth.ErrInvalidCredentials) {
			t.Fatalf("unknown admin: %v", err)
		}
		token, admin, err := auth.Login(ctx, "ROOT@example.com", "s3cret-pass")
		if err != nil || admin.Email != "root@example.com" || len(token) != 64 {
			t.Fatalf("Login = %q, %+v, %v", token, admin, err)
		}
		if got, err := auth.Session(ctx, token); err != nil || got.ID != admin.ID {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		if err := auth.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Session(ctx, token); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("session after logout: %v", err)
		}
	})
}

func TestBearer(t *testing.T) {
	off, _ := adminauth.New(nil, nil, "")
	if off.BearerValid("") || off.BearerValid("anything") {
		t.Error("bearer accepted with no token configured")
	}
	on, _ := adminauth.New(nil, nil, "0123456789abcdef-token")
	if !on.BearerValid("0123456789abcdef-token") || on.BearerValid("0123456789abcdef-tokeN") || on.BearerValid("") {
		t.Error("bearer comparison wrong")
	}
}

func TestTokenScopes(t *testing.T) {
	all, err := adminauth.New(nil, nil, "0123456789abcdef-token")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range adminauth.Scopes {
		if !all.BearerAllows(sc) {
			t.Errorf("a token without scopes configured lacks %q", sc)
		}
	}
	if all.BearerAllows("admin") || all.BearerAllows("") {
		t.Error("an unknown scope is allowed")
	}
	some, err := adminauth.New(nil, nil, "0123456789abcdef-token", adminauth.ScopeContacts, adminauth.ScopeTickets)
	if err != nil {
		t.Fatal(err)
	}
	for sc, want := range map[string]bool{"contacts": true, "tickets": true, "settings": false, "workflows": false, "privacy": false} {
		if some.BearerAllows(sc) != want {
			t.Errorf("BearerAllows(%q) = %v", sc, !want)
		}
	}
	if _, err := adminauth.New(nil, nil, "0123456789abcdef-token", "tikets"); err == nil || !strings.Contains(err.Error(), `"tikets" is not a scope`) {
		t.Errorf("unknown scope: %v", err)
	}
}

// TestScopesMatchConfig: the configuration accepts exactly the scopes
// this package enforces.
func TestScopesMatchConfig(t *testing.T) {
	if !slices.Equal(config.AdminScopes, adminauth.Scopes) {
		t.Errorf("config.AdminScopes = %v, adminauth.Scopes = %v", config.AdminScopes, adminauth.Scopes)
	}
}
