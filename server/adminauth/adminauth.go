// Package adminauth signs admins in: the first admin from the environment or
// from the one-time set-up link of the first run, argon2id password hashes,
// session tokens stored only as SHA-256, and the host app's bearer token
// compared in constant time.
package adminauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
)

// SessionTTL is how long an admin stays signed in.
const SessionTTL = 7 * 24 * time.Hour

// ErrInvalidCredentials is returned for a wrong email or password alike, so
// that a caller cannot tell which was wrong.
var ErrInvalidCredentials = errors.New("invalid email or password")

// LoginLimit is how many sign-in attempts one client address (an IPv6
// client: its /64) may make, unless WithLoginLimits says otherwise.
var LoginLimit = ratelimit.Limit{Count: 10, Period: 10 * time.Minute}

// AccountLoginLimit is how many sign-in attempts one email address may
// receive from all clients together, unless WithLoginLimits says otherwise:
// many IPs do not buy many guesses at one password.
var AccountLoginLimit = ratelimit.Limit{Count: 10, Period: 15 * time.Minute}

// Scopes of the admin API, one per group of routes
// (PORTICO_ADMIN_API_TOKEN_SCOPES). A signed-in admin has them all; the API
// token has those configured (all when none are).
const (
	ScopeSettings  = "settings"  // guest policy, portal and widget settings
	ScopeTickets   = "tickets"   // list and read tickets and attachments, revoke portal links
	ScopeContacts  = "contacts"  // promote contacts, verify signup tokens
	ScopeWorkflows = "workflows" // workflow rules and runs
	ScopePrivacy   = "privacy"   // retention settings, contact export and erasure
)

// Scopes lists every scope.
var Scopes = []string{ScopeSettings, ScopeTickets, ScopeContacts, ScopeWorkflows, ScopePrivacy}

// Service authenticates admins.
type Service struct {
	store    *store.Store
	limiter  ratelimit.Limiter
	apiToken string
	// scopes the API token has; nil: all.
	scopes map[string]bool
	// perIP and perAccount limit sign-in attempts.
	perIP, perAccount ratelimit.Limit
	// dummyHash is verified against when the email is unknown, so that a
	// login takes as long whether or not the admin exists.
	dummyHash string
}

// New returns the service; apiToken may be empty (bearer access off).
// scopes limit what the token may do (none: every scope); an unknown scope
// is an error.
func New(s *store.Store, limiter ratelimit.Limiter, apiToken string, scopes ...string) (*Service, error) {
	dummy, err := HashPassword("portico-dummy-password")
	if err != nil {
		return nil, err
	}
	svc := &Service{store: s, limiter: limiter, apiToken: apiToken, dummyHash: dummy, perIP: LoginLimit, perAccount: AccountLoginLimit}
	if len(scopes) > 0 {
		svc.scopes = map[string]bool{}
		for _, sc := range scopes {
			if !slices.Contains(Scopes, sc) {
				return nil, fmt.Errorf("PORTICO_ADMIN_API_TOKEN_SCOPES: %q is not a scope (want %s)", sc, strings.Join(Scopes, ", "))
			}
			svc.scopes[sc] = true
		}
	}
	return svc, nil
}

// BearerAllows reports whether the API token has scope.
func (s *Service) BearerAllows(scope string) bool {
	return s.scopes == nil && slices.Contains(Scopes, scope) || s.scopes[scope]
}

// WithLoginLimits sets the sign-in budgets per client address and per
// account (PORTICO_ADMIN_LOGIN_LIMIT_PER_IP, _PER_ACCOUNT); zero keeps the
// default.
func (s *Service) WithLoginLimits(perIP, perAccount ratelimit.Limit) *Service {
	if perIP.Count > 0 {
		s.perIP = perIP
	}
	if perAccount.Count > 0 {
		s.perAccount = perAccount
	}
	return s
}

// AllowLogin charges one sign-in attempt to the client address (its rate
// key: an IPv6 client's /64) and to the account named by email, both or
// neither, and returns how long the client must wait when either has been
// tried too often. Unknown addresses are charged alike, so a 429 tells
// nothing about whether the account exists. The account key is a hash of the
// normalized address, which keeps addresses out of Redis.
func (s *Service) AllowLogin(ctx context.Context, clientIP, email string) (time.Duration, error) {
	account := sha256.Sum256([]byte(contacts.Normalize(email)))
	res, err := s.limiter.AllowAll(ctx,
		ratelimit.Check{Key: "login:ip:" + clientip.RateKeyString(clientIP), Limit: s.perIP},
		ratelimit.Check{Key: "login:account:" + hex.EncodeToString(account[:16]), Limit: s.perAccount},
	)
	if err != nil {
		return 0, fmt.Errorf("adminauth: %w", err)
	}
	if res.Allowed {
		return 0, nil
	}
	return res.RetryAfter, nil
}

// Bootstrap creates the first admin if there is none yet.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (bool, error) {
	if email == "" {
		return false, nil
	}
	n, err := s.store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return false, err
	}
	var created bool
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		created, err = tx.AddAdmin(ctx, contacts.Normalize(email), hash)
		return err
	})
	return created, err
}

// Login checks the credentials and returns a new session token for the cookie.
func (s *Service) Login(ctx context.Context, email, password string) (string, model.Admin, error) {
	email = contacts.Normalize(email)
	admin, err := model.Admin{}, model.ErrNotFound
	// No admin has NUL or invalid UTF-8 in their address (PostgreSQL would
	// refuse the query): such an email is simply wrong.
	if utf8.ValidString(email) && !strings.ContainsRune(email, 0) {
		admin, err = s.store.AdminByEmail(ctx, email)
	}
	if errors.Is(err, model.ErrNotFound) {
		_ = VerifyPassword(s.dummyHash, password)
		return "", model.Admin{}, ErrInvalidCredentials
	}
	if err != nil {
		return "", model.Admin{}, err
	}
	if !VerifyPassword(admin.PasswordHash, password) {
		return "", model.Admin{}, ErrInvalidCredentials
	}
	token, err := randomToken()
	if err != nil {
		return "", model.Admin{}, err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddSession(ctx, admin.ID, hashToken(token), SessionTTL)
	})
	if err != nil {
		return "", model.Admin{}, err
	}
	return token, admin, nil
}

// Session returns the admin signed in with this session token.
func (s *Service) Session(ctx context.Context, token string) (model.Admin, error) {
	if token == "" {
		return model.Admin{}, fmt.Errorf("session: %w", model.ErrNotFound)
	}
	return s.store.AdminBySession(ctx, hashToken(token))
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, hashToken(token)) })
}

// BearerValid reports whether token is the configured admin API token,
// compared in constant time. With no token configured nothing is valid.
func (s *Service) BearerValid(token string) bool {
	if s.apiToken == "" || token == "" {
		return false
	}
	a := sha256.Sum256([]byte(token))
	b := sha256.Sum256([]byte(s.apiToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("adminauth: random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return "", fmt.Errorf("adminauth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt[:], argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt[:]), enc.EncodeToString(key)), nil
}

// VerifyPassword checks a password against a PHC argon2id hash in constant time.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || p == 0 || t == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
