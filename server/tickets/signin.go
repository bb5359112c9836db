package tickets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// "My tickets" (issue 17): a customer asks for a one-time sign-in link by
// address; the link opens a short session that lists the tickets they filed,
// each leading to its portal page.
//
// Nobody may learn from the answer whether an address wrote in: the request
// is answered alike for every valid address, and the lookup happens later in
// a durable job (SigninRequestArgs), which queues the mail only for a live
// contact with tickets.

// The rules of sign-in links and sessions.
var (
	// SigninTTL is how long a sign-in link works (once).
	SigninTTL = 30 * time.Minute
	// PortalSessionTTL is how long a session lasts from sign-in.
	PortalSessionTTL = time.Hour
	// SigninLimitPerIP and SigninLimitPerEmail bound the requests for a
	// link, charged together.
	SigninLimitPerIP    = ratelimit.Limit{Count: 10, Period: time.Hour}
	SigninLimitPerEmail = ratelimit.Limit{Count: 5, Period: time.Hour}
	// MyTicketsShown is the most tickets a list shows (the newest), which
	// keeps the page under 15 KB.
	MyTicketsShown = 15
)

// signinKeep is how long a spent or expired sign-in token is remembered, so
// that a second click is told "used or expired" rather than "unknown".
const signinKeep = 24 * time.Hour

var (
	// ErrSigninGone: the sign-in link was used or has expired (410).
	ErrSigninGone = errors.New("this sign-in link was used already or has expired")
	// ErrNoSession: not signed in, or the session ended.
	ErrNoSession = errors.New("not signed in, or the session has ended")
)

// SigninRequest asks for a sign-in link to be mailed to Email.
type SigninRequest struct {
	Email     string
	Turnstile string
	ClientIP  string
}

// RequestSignin checks a request for a sign-in link and queues its durable
// job; the answer is the same whether the address is known or not. Field
// errors, a failed human check and the budgets come first, as on the widget.
// model.ErrNotFound while the portal is disabled.
func (s *Service) RequestSignin(ctx context.Context, in SigninRequest) error {
	if err := s.PortalOn(ctx); err != nil {
		return err
	}
	email := contacts.Normalize(in.Email)
	if msg := validate.Email(email); msg != "" {
		return model.FieldErrors{validate.FieldEmail: msg}
	}
	if err := s.checkHuman(ctx, in.Turnstile, in.ClientIP); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(email)) // rate-limit keys never hold addresses
	res, err := s.limiter.AllowAll(ctx,
		ratelimit.Check{Key: "signin:ip:" + clientip.RateKeyString(in.ClientIP), Limit: SigninLimitPerIP},
		ratelimit.Check{Key: "signin:email:" + hex.EncodeToString(sum[:16]), Limit: SigninLimitPerEmail})
	if err != nil {
		return fmt.Errorf("tickets: %w: %w", ErrLimiterUnavailable, err)
	}
	if !res.Allowed {
		return &RateLimitedError{RetryAfter: res.RetryAfter}
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return s.jobs.Enqueue(ctx, tx.SQL(), SigninRequestArgs{Email: email})
	})
	if err != nil {
		return fmt.Errorf("tickets: sign-in request: %w", err)
	}
	return nil
}

// PortalOn answers model.ErrNotFound while the portal is switched off:
// every /portal page is then one "not found" page.
func (s *Service) PortalOn(ctx context.Context) error {
	p, err := s.settings.Portal(ctx)
	if err != nil {
		return err
	}
	if !p.Enabled {
		return fmt.Errorf("portal: %w", model.ErrNotFound)
	}
	return nil
}

// SigninRequestArgs is the durable job behind a request for a sign-in link.
// It carries the address typed in (normalized), which River keeps with the
// finished job for a day.
type SigninRequestArgs struct {
	Email string `json:"email"`
}

// Kind names the job for River.
func (SigninRequestArgs) Kind() string { return "portal.signin_request" }

// SigninRequestWorker looks the address up and queues the sign-in mail.
type SigninRequestWorker struct {
	river.WorkerDefaults[SigninRequestArgs]
	s   *Service
	log *slog.Logger
}

// NewSigninRequestWorker returns the worker of SigninRequestArgs.
func NewSigninRequestWorker(s *Service, log *slog.Logger) *SigninRequestWorker {
	return &SigninRequestWorker{s: s, log: log}
}

// Work queues a sign-in mail, with its delivery job, for a contact that is
// not erased and filed at least one ticket that is not erased; for anyone
// else it does nothing. A retried job finds the mail it queued before (by
// its Message-ID, made from the job's id) and queues no second one.
func (w *SigninRequestWorker) Work(ctx context.Context, job *river.Job[SigninRequestArgs]) error {
	s := w.s
	c, err := s.store.LiveContactByEmail(ctx, job.Args.Email)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	anchor, err := s.store.LatestLiveTicketOf(ctx, c.ID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	mid := mail.SigninMessageID(job.ID, s.replyDomain)
	if queued, err := s.store.IsOwnMailID(ctx, mid); err != nil || queued {
		return err
	}
	// The mail hangs on the contact's newest ticket so that erasing the
	// ticket (or the contact) drops it and empties it like any other mail.
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		id, err := s.recordMail(ctx, tx, store.NewOutboundMail{
			TicketID: anchor, Kind: model.MailSignin, ToEmail: c.Email, EmailMessageID: mid,
		}, mail.SigninPayload{ContactID: c.ID})
		if err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), mail.DeliverArgs{OutboundID: id})
	})
	if err != nil {
		return fmt.Errorf("tickets: queue sign-in mail: %w", err)
	}
	w.log.InfoContext(ctx, "sign-in link queued", "contact_id", c.ID)
	return nil
}

// newSecret returns 32 random bytes as 64 lower-case hex, and its SHA-256.
func newSecret() (string, []byte, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, fmt.Errorf("tickets: random token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(token))
	return token, hash[:], nil
}

// SigninPath is where sign-in links point, followed by the token.
const SigninPath = "/portal/signin/"

// MintSigninURL records a new sign-in token for the contact, valid for
// SigninTTL, and returns the link to mail. Only the token's SHA-256 is
// stored. model.ErrNotFound when the contact was erased or no longer has
// this address.
func (s *Service) MintSigninURL(ctx context.Context, contactID int64, email string) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddSigninToken(ctx, contactID, contacts.Normalize(email), hash, now.Add(SigninTTL), now.Add(-signinKeep))
	})
	if err != nil {
		return "", err
	}
	return s.baseURL + SigninPath + token, nil
}

// CheckSignin reports whether a sign-in link still works, without spending
// it (mail scanners open links): nil, ErrSigninGone (used or expired), or
// model.ErrNotFound (malformed, unknown, portal disabled).
func (s *Service) CheckSignin(ctx context.Context, token string) error {
	if err := s.PortalOn(ctx); err != nil {
		return err
	}
	if !validToken(token) {
		return fmt.Errorf("sign-in link: %w", model.ErrNotFound)
	}
	hash := sha256.Sum256([]byte(token))
	live, err := s.store.SigninTokenLive(ctx, hash[:], s.now())
	if err != nil {
		return err
	}
	if !live {
		return ErrSigninGone
	}
	return nil
}

// PortalSession is a signed-in customer's session: the secret for their
// cookie and when it ends.
type PortalSession struct {
	Token     string
	ExpiresAt time.Time
}

// Signin spends a sign-in link and opens a session of PortalSessionTTL for
// its contact, in one transaction. Errors as CheckSignin; of two concurrent
// uses one gets the session and the other ErrSigninGone.
func (s *Service) Signin(ctx context.Context, token string) (PortalSession, error) {
	if err := s.CheckSignin(ctx, token); err != nil {
		return PortalSession{}, err
	}
	hash := sha256.Sum256([]byte(token))
	session, sessionHash, err := newSecret()
	if err != nil {
		return PortalSession{}, err
	}
	var out PortalSession
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		contactID, ok, err := tx.UseSigninToken(ctx, hash[:])
		if err != nil {
			return err
		}
		if !ok {
			return ErrSigninGone
		}
		out = PortalSession{Token: session, ExpiresAt: tx.Now().Add(PortalSessionTTL)}
		return tx.AddPortalSession(ctx, contactID, sessionHash, out.ExpiresAt)
	})
	if err != nil {
		return PortalSession{}, fmt.Errorf("tickets: sign in: %w", err)
	}
	return out, nil
}

// session returns the open session of a cookie's token.
func (s *Service) session(ctx context.Context, token string) (store.PortalSession, error) {
	if err := s.PortalOn(ctx); err != nil {
		return store.PortalSession{}, err
	}
	if !validToken(token) {
		return store.PortalSession{}, ErrNoSession
	}
	hash := sha256.Sum256([]byte(token))
	ps, err := s.store.PortalSessionByToken(ctx, hash[:], s.now())
	if errors.Is(err, model.ErrNotFound) {
		return store.PortalSession{}, ErrNoSession
	}
	return ps, err
}

// SignOut ends a session; an unknown or ended one is fine.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	hash := sha256.Sum256([]byte(token))
	return s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeletePortalSession(ctx, hash[:]) })
}

// MyTicket is one line of a customer's list.
type MyTicket struct {
	Reference    string
	Subject      string
	Status       string
	LastActivity time.Time
	// Link is the ticket's portal access for this customer: active
	// (Openable), expired, or revoked (neither shows a link).
	Link     string
	Openable bool
}

// MyTickets is what a signed-in customer sees.
type MyTickets struct {
	Email            string
	Tickets          []MyTicket
	SessionExpiresAt time.Time
	// More: the contact filed more tickets than MyTicketsShown.
	More bool
	// Locale is the contact's stored language ("" while unknown).
	Locale string
}

// ListMyTickets returns the tickets the session's contact filed (not
// erased), the most recent activity first. ErrNoSession when the cookie's
// session is unknown, ended or its contact erased.
func (s *Service) ListMyTickets(ctx context.Context, sessionToken string) (MyTickets, error) {
	ps, err := s.session(ctx, sessionToken)
	if err != nil {
		return MyTickets{}, err
	}
	rows, err := s.store.ContactTickets(ctx, ps.ID, ps.Email, MyTicketsShown+1)
	if err != nil {
		return MyTickets{}, err
	}
	out := MyTickets{Email: ps.Email, SessionExpiresAt: ps.ExpiresAt, More: len(rows) > MyTicketsShown, Tickets: []MyTicket{},
		Locale: ps.Locale}
	now := s.now()
	for _, r := range rows[:min(len(rows), MyTicketsShown)] {
		state := linkState(r, now)
		out.Tickets = append(out.Tickets, MyTicket{
			Reference: r.Reference, Subject: r.Subject, Status: r.Status, LastActivity: lastActivity(r),
			Link: state, Openable: state == model.LinkActive,
		})
	}
	slices.SortStableFunc(out.Tickets, func(a, b MyTicket) int { return b.LastActivity.Compare(a.LastActivity) })
	return out, nil
}

// linkState is the state of the contact's portal link to r: a ticket without
// one yet is active (opening it creates the link).
func linkState(r store.ContactTicket, now time.Time) string {
	l := model.PortalLink{RevokedAt: r.LinkRevokedAt}
	state, _ := l.State(r.Ticket, now)
	return state
}

// lastActivity is the latest of the ticket's creation, its last message the
// customer may see, and its closing.
func lastActivity(r store.ContactTicket) time.Time {
	at := r.CreatedAt
	for _, t := range []*time.Time{r.LastMessageAt, r.ClosedAt} {
		if t != nil {
			at = latest(at, *t)
		}
	}
	return at
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// OpenMyTicket returns a fresh portal link to one of the session's tickets,
// minted as a mail's would be. ErrNoSession without a session;
// model.ErrNotFound for a ticket that is not theirs (or erased) or whose
// link was revoked; ErrPortalGone once it expired.
func (s *Service) OpenMyTicket(ctx context.Context, sessionToken, reference string) (string, error) {
	ps, err := s.session(ctx, sessionToken)
	if err != nil {
		return "", err
	}
	id, ok := model.ParseReference(reference)
	if !ok {
		return "", fmt.Errorf("ticket %q: %w", reference, model.ErrNotFound)
	}
	r, err := s.store.ContactTicketByID(ctx, ps.ID, ps.Email, id)
	if err != nil {
		return "", err
	}
	switch linkState(r, s.now()) {
	case model.LinkRevoked:
		return "", fmt.Errorf("portal link of %s: %w", r.Reference, model.ErrNotFound)
	case model.LinkExpired:
		return "", ErrPortalGone
	}
	return s.MintPortalURL(ctx, r.ID, ps.Email)
}
