// Package ratings asks the customer of a closed ticket "How did we do?":
// good, okay or bad and an optional comment, one answer per customer per
// ticket, changeable while the portal link works. An answer is shown on the
// ticket's GitHub issue (a durable job queued with it), on the admin ticket
// page and, counted over the last 30 days, on the admin home. The status
// mail that announces the close carries the links (server/mail); the portal
// page carries the form (server/portal). It decides; it speaks neither SQL
// nor HTTP.
package ratings

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
)

// Why an answer is refused besides its fields (422) and the checks it shares
// with portal replies (human check, rate limit: the tickets errors).
var (
	// ErrFormToken: the form token is missing, forged or expired (403).
	ErrFormToken = errors.New("the rating form has expired or did not come from this page; open the page again and send it from there")
	// ErrTicketOpen: the ticket is open (again); only a closed one is rated (409).
	ErrTicketOpen = errors.New("this request is open: it can be rated once it is closed")
	// ErrNotRequester: the link is not the requester's (403).
	ErrNotRequester = errors.New("only the person who filed this request can rate it")
)

// Limit is how many answers one portal link may send; each new answer edits
// the GitHub comment.
var Limit = ratelimit.Limit{Count: 10, Period: time.Hour}

// FormLifetime is how long a rendered rating form can be sent.
const FormLifetime = 24 * time.Hour

// SummaryDays is the period the admin home counts answers over.
const SummaryDays = 30

// Portal opens a portal link (tickets.Service).
type Portal interface {
	OpenPortal(ctx context.Context, token string) (tickets.PortalPage, error)
}

// Mirror shows an answer on the ticket's GitHub issue (github.Service). It
// runs inside the answer's transaction and only queues durable jobs there.
type Mirror interface {
	MirrorRating(ctx context.Context, tx *store.Tx, r model.Rating) error
}

// Deps are what the service works with.
type Deps struct {
	Store  *store.Store
	Portal Portal
	// Mirror is nil when nothing is mirrored (no GitHub sync).
	Mirror Mirror
	// Turnstile is required (New panics without it): an answer must prove
	// a human as a portal reply must.
	Turnstile tickets.HumanVerifier
	Limiter   ratelimit.Limiter
	// FormKey signs the form tokens (keys.Ring.PortalForm); required.
	FormKey []byte
	Log     *slog.Logger
	Now     func() time.Time
}

// Service takes and counts the answers.
type Service struct {
	store     *store.Store
	portal    Portal
	mirror    Mirror
	turnstile tickets.HumanVerifier
	limiter   ratelimit.Limiter
	key       []byte
	log       *slog.Logger
	now       func() time.Time
}

// New returns the service. A missing human check or form key is a
// programming error, caught at start-up.
func New(d Deps) *Service {
	if d.Turnstile == nil || len(d.FormKey) == 0 {
		panic("ratings: Deps.Turnstile and Deps.FormKey are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{store: d.Store, portal: d.Portal, mirror: d.Mirror, turnstile: d.Turnstile, limiter: d.Limiter,
		key: d.FormKey, log: d.Log, now: d.Now}
}

// Form is the rating form of one portal page.
type Form struct {
	// Refused says why the link cannot rate (ErrTicketOpen,
	// ErrNotRequester); nil: it can.
	Refused error
	// Current is the answer given already; nil: none yet.
	Current *model.Rating
	// Token is the form token to send back (set when the link can rate).
	Token string
}

// Form says whether the link of page may rate its ticket, with the answer
// given so far and a fresh form token. It writes nothing: the page and the
// confirmation page that the mail's links open are GETs, which mail
// scanners follow on their own.
func (s *Service) Form(ctx context.Context, page tickets.PortalPage) (Form, error) {
	contact, ok, err := s.requester(ctx, page)
	if err != nil {
		return Form{}, err
	}
	if !ok {
		return Form{Refused: ErrNotRequester}, nil
	}
	if page.Ticket.Status != model.StatusClosed {
		return Form{Refused: ErrTicketOpen}, nil
	}
	f := Form{Token: s.formToken(page.Link.ID, s.now().Add(FormLifetime))}
	r, err := s.store.RatingOf(ctx, page.Ticket.ID, contact.ID)
	switch {
	case err == nil:
		f.Current = &r
	case !errors.Is(err, model.ErrNotFound):
		return Form{}, err
	}
	return f, nil
}

// requester returns the ticket's customer when the page's link is theirs
// (false otherwise): the status mail with the rating links goes to them
// only, and so does the question.
func (s *Service) requester(ctx context.Context, page tickets.PortalPage) (model.Contact, bool, error) {
	if page.Ticket.ContactID == nil {
		return model.Contact{}, false, nil
	}
	c, err := s.store.Contact(ctx, *page.Ticket.ContactID)
	if err != nil {
		return model.Contact{}, false, err
	}
	return c, c.Email == page.Link.Email, nil
}

// Input is an answer sent from the portal.
type Input struct {
	Token     string // the portal token
	FormToken string
	Score     string
	Comment   string
	Turnstile string
	ClientIP  string
}

// Rate stores the answer of the link's customer about its closed ticket,
// replacing theirs, and queues its GitHub comment in the same transaction.
// Checked in this order, nothing written on any refusal: the link
// (model.ErrNotFound, tickets.ErrPortalGone), the form token (ErrFormToken),
// who may rate (ErrNotRequester, ErrTicketOpen), the fields
// (model.FieldErrors), the human check and the link's budget (as portal
// replies). An answer equal to the stored one changes nothing.
func (s *Service) Rate(ctx context.Context, in Input) (model.Rating, error) {
	page, err := s.portal.OpenPortal(ctx, in.Token)
	if err != nil {
		return model.Rating{}, err
	}
	if !s.validFormToken(page.Link.ID, in.FormToken) {
		return model.Rating{}, ErrFormToken
	}
	contact, ok, err := s.requester(ctx, page)
	if err != nil {
		return model.Rating{}, err
	}
	if !ok {
		return model.Rating{}, ErrNotRequester
	}
	if page.Ticket.Status != model.StatusClosed {
		return model.Rating{}, ErrTicketOpen
	}
	score := strings.ToLower(validate.Trim(in.Score))
	comment := tickets.CleanReply(in.Comment)
	fields := model.FieldErrors{}
	if msg := validate.RatingScore(score); msg != "" {
		fields["score"] = msg
	}
	if msg := validate.RatingComment(comment); msg != "" {
		fields["comment"] = msg
	}
	if len(fields) > 0 {
		return model.Rating{}, fields
	}
	human, err := s.turnstile.Verify(ctx, in.Turnstile, in.ClientIP)
	if err != nil {
		return model.Rating{}, fmt.Errorf("ratings: %w: %w", tickets.ErrHumanCheckUnavailable, err)
	}
	if !human {
		return model.Rating{}, tickets.ErrNotHuman
	}
	res, err := s.limiter.Allow(ctx, fmt.Sprintf("portal:rate:%d", page.Link.ID), Limit)
	if err != nil {
		return model.Rating{}, fmt.Errorf("ratings: %w: %w", tickets.ErrLimiterUnavailable, err)
	}
	if !res.Allowed {
		return model.Rating{}, &tickets.RateLimitedError{RetryAfter: res.RetryAfter}
	}
	var r model.Rating
	var changed bool
	err = s.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// Reopened since the page was read: the answer would be about a
		// request that is not done.
		t, err := tx.TicketTx(ctx, page.Ticket.ID)
		if err != nil {
			return err
		}
		if t.Status != model.StatusClosed {
			return ErrTicketOpen
		}
		if r, changed, err = tx.SaveRating(ctx, t.ID, contact.ID, score, comment); err != nil || !changed || s.mirror == nil {
			return err
		}
		return s.mirror.MirrorRating(ctx, tx, r)
	})
	if err != nil {
		return model.Rating{}, fmt.Errorf("ratings: rate %s: %w", page.Ticket.Reference, err)
	}
	if changed {
		s.log.InfoContext(ctx, "rating saved", "ticket", page.Ticket.Reference, "rating_id", r.ID, "score", r.Score)
	}
	return r, nil
}

// formToken signs (link, expiry): "<expiry, Unix seconds>.<hmac, 32 hex>".
// It proves that a POST comes from a form portico rendered for this link in
// the last FormLifetime, so a page elsewhere cannot post an answer blind.
func (s *Service) formToken(linkID int64, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + hex.EncodeToString(s.formMAC(linkID, exp))
}

func (s *Service) formMAC(linkID int64, exp string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("rate:" + strconv.FormatInt(linkID, 10) + ":" + exp))
	return h.Sum(nil)[:16]
}

// validFormToken checks a form token's signature (in constant time) and
// expiry.
func (s *Service) validFormToken(linkID int64, token string) bool {
	exp, sig, ok := strings.Cut(token, ".")
	if !ok || len(sig) != 32 {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(unix, 10) != exp {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.formMAC(linkID, exp)) {
		return false
	}
	return s.now().Before(time.Unix(unix, 0))
}

// Summary counts the answers of the last SummaryDays days.
type Summary struct {
	Days  int
	Since time.Time
	model.RatingCounts
}

// Summary counts, by score, the answers given or last changed in the last
// SummaryDays days (by the service's clock).
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	since := s.now().Add(-SummaryDays * 24 * time.Hour).UTC()
	c, err := s.store.RatingCounts(ctx, since)
	if err != nil {
		return Summary{}, err
	}
	return Summary{Days: SummaryDays, Since: since, RatingCounts: c}, nil
}
