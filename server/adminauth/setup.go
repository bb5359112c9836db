package adminauth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// The first run (issue 18): while no admin exists, each start stores a new
// one-time set-up token (only its SHA-256, in the settings table, replacing
// the one before) and prints the link that carries it. Whoever opens the
// link chooses the first admin's address and password; the token then dies,
// as it does once any admin exists.

// setupTokenSetting holds the hex SHA-256 of the current set-up token.
const setupTokenSetting = "admin_setup_token_sha256"

var (
	// ErrSetupDone: an admin exists, so there is nothing to set up (410).
	ErrSetupDone = errors.New("an admin exists already: sign in instead")
	// ErrSetupToken: the token is missing, wrong, replaced by a newer start,
	// or used (401).
	ErrSetupToken = errors.New("this set-up link is not valid: use the newest link portico printed at start-up")
)

// StartSetup prepares the first run at start-up. With no admin yet it
// stores a new set-up token (the earlier one stops working) and returns it,
// for the link to print; otherwise it removes any token left over and
// returns "".
func (s *Service) StartSetup(ctx context.Context) (string, error) {
	n, err := s.store.CountAdmins(ctx)
	if err != nil {
		return "", fmt.Errorf("adminauth: first run: %w", err)
	}
	if n > 0 {
		err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSetting(ctx, setupTokenSetting) })
		if err != nil {
			return "", fmt.Errorf("adminauth: first run: %w", err)
		}
		return "", nil
	}
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutSetting(ctx, setupTokenSetting, hex.EncodeToString(hashToken(token)))
	})
	if err != nil {
		return "", fmt.Errorf("adminauth: first run: %w", err)
	}
	return token, nil
}

// SetupRequired reports whether no admin exists yet.
func (s *Service) SetupRequired(ctx context.Context) (bool, error) {
	n, err := s.store.CountAdmins(ctx)
	if err != nil {
		return false, fmt.Errorf("adminauth: first run: %w", err)
	}
	return n == 0, nil
}

// AllowSetup charges one set-up attempt to the client address (its rate
// key) on the per-IP sign-in budget, and returns how long the client must
// wait when it has tried too often.
func (s *Service) AllowSetup(ctx context.Context, clientIP string) (time.Duration, error) {
	res, err := s.limiter.AllowAll(ctx,
		ratelimit.Check{Key: "setup:ip:" + clientip.RateKeyString(clientIP), Limit: s.perIP})
	if err != nil {
		return 0, fmt.Errorf("adminauth: %w", err)
	}
	if res.Allowed {
		return 0, nil
	}
	return res.RetryAfter, nil
}

// Setup creates the first admin with the set-up token and signs them in: it
// returns a session token for the cookie. The token is compared in constant
// time (as hashes) and taken in the transaction that creates the admin, so
// of several concurrent set-ups exactly one succeeds; the others get
// ErrSetupDone or ErrSetupToken. Bad fields are model.FieldErrors and leave
// the token alive.
func (s *Service) Setup(ctx context.Context, token, email, password string) (string, model.Admin, error) {
	required, err := s.SetupRequired(ctx)
	if err != nil {
		return "", model.Admin{}, err
	}
	if !required {
		return "", model.Admin{}, ErrSetupDone
	}
	stored, err := s.store.Setting(ctx, setupTokenSetting)
	if errors.Is(err, model.ErrNotFound) {
		return "", model.Admin{}, ErrSetupToken
	}
	if err != nil {
		return "", model.Admin{}, fmt.Errorf("adminauth: first run: %w", err)
	}
	given := hex.EncodeToString(hashToken(token))
	if token == "" || subtle.ConstantTimeCompare([]byte(given), []byte(stored)) != 1 {
		return "", model.Admin{}, ErrSetupToken
	}

	email = contacts.Normalize(email)
	fields := model.FieldErrors{}
	if msg := validate.Email(email); msg != "" {
		fields["email"] = msg
	}
	if msg := validate.AdminPassword(password); msg != "" {
		fields["password"] = msg
	}
	if len(fields) > 0 {
		return "", model.Admin{}, fields
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", model.Admin{}, err
	}
	session, err := randomToken()
	if err != nil {
		return "", model.Admin{}, err
	}
	var admin model.Admin
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		took, err := tx.TakeSetting(ctx, setupTokenSetting, stored)
		if err != nil {
			return err
		}
		n, err := tx.CountAdminsTx(ctx)
		if err != nil {
			return err
		}
		switch {
		case n > 0:
			return ErrSetupDone
		case !took:
			return ErrSetupToken
		}
		if admin, err = tx.CreateAdmin(ctx, email, hash); err != nil {
			return err
		}
		return tx.AddSession(ctx, admin.ID, hashToken(session), SessionTTL)
	})
	if err != nil {
		return "", model.Admin{}, err
	}
	return session, admin, nil
}
