package contacts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/server/keys"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// SignupTokenTTL is how long a signup invitation stays valid.
const SignupTokenTTL = 7 * 24 * time.Hour

// Signup token errors.
var (
	ErrSignupTokenInvalid = errors.New("signup token is not valid")
	ErrSignupTokenExpired = errors.New("signup token has expired")
	ErrSignupTokenUsed    = errors.New("signup token was already used")
)

// Signups mints and verifies signup tokens: "<contact>.<expiry>.<nonce>.<mac>"
// where mac is HMAC-SHA256 over the rest, scoped to the contact. The token
// carries everything needed to check it; the store only remembers used nonces.
// The mac key is the signup key derived from the secret key; tokens signed
// with the secret key itself (before per-purpose keys) still count during the
// legacy grace if they were issued before the switch. They live 7 days, so a
// grace of a week or more lets every outstanding invitation work.
type Signups struct {
	store *store.Store
	keys  *keys.Ring
	now   func() time.Time
}

// NewSignups returns the signup token service.
func NewSignups(s *store.Store, k *keys.Ring, now func() time.Time) *Signups {
	return &Signups{store: s, keys: k, now: now}
}

func mac(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("signup:" + payload))
	return hex.EncodeToString(m.Sum(nil))
}

// Mint returns a new signup token for the contact.
func (s *Signups) Mint(contactID int64) (string, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("contacts: signup nonce: %w", err)
	}
	payload := strconv.FormatInt(contactID, 10) + "." + strconv.FormatInt(s.now().Add(SignupTokenTTL).Unix(), 10) + "." + hex.EncodeToString(nonce[:])
	return payload + "." + mac(s.keys.Signup(), payload), nil
}

// Verify checks a token and consumes it: it works once.
func (s *Signups) Verify(ctx context.Context, token string) (model.Contact, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 4 {
		return model.Contact{}, ErrSignupTokenInvalid
	}
	payload := parts[0] + "." + parts[1] + "." + parts[2]
	contactID, err1 := strconv.ParseInt(parts[0], 10, 64)
	expires, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return model.Contact{}, ErrSignupTokenInvalid
	}
	got := []byte(strings.ToLower(parts[3]))
	valid := hmac.Equal([]byte(mac(s.keys.Signup(), payload)), got)
	issued := time.Unix(expires, 0).Add(-SignupTokenTTL)
	if legacy := s.keys.LegacyFor(issued, s.now()); !valid && legacy != nil {
		valid = hmac.Equal([]byte(mac(legacy, payload)), got)
	}
	if !valid {
		return model.Contact{}, ErrSignupTokenInvalid
	}
	if !s.now().Before(time.Unix(expires, 0)) {
		return model.Contact{}, ErrSignupTokenExpired
	}
	nonceHash := sha256.Sum256([]byte(parts[2]))
	var contact model.Contact
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		fresh, err := tx.UseSignupToken(ctx, nonceHash[:], contactID)
		if err != nil {
			return err
		}
		if !fresh {
			return ErrSignupTokenUsed
		}
		return nil
	})
	if err != nil {
		return model.Contact{}, err
	}
	if contact, err = s.store.Contact(ctx, contactID); err != nil {
		return model.Contact{}, err
	}
	return contact, nil
}
