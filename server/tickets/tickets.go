// Package tickets is the core service: it files tickets, appends replies and
// lists them, applying the runtime guest policy, and enqueues what follows
// from each change in the same transaction.
package tickets

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/portico/portico/server/i18n"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/keys"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// Enqueuer inserts a durable job inside a transaction.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// Limits are the widget submission budgets.
type Limits struct {
	PerEmail ratelimit.Limit
	PerIP    ratelimit.Limit
}

// Deps are what the service works with.
type Deps struct {
	Store    *store.Store
	Jobs     Enqueuer
	Settings *settings.Service
	Limiter  ratelimit.Limiter
	Limits   Limits
	// Turnstile is required (New panics without it).
	Turnstile HumanVerifier
	// BaseURL is PORTICO_BASE_URL without a trailing slash; portal links start with it.
	BaseURL string
	// ReplyDomain is the domain of our Message-IDs.
	ReplyDomain string
	// Keys verifies signed reply addresses (the reply-address key, and the
	// legacy secret key during the grace).
	Keys *keys.Ring
	// Files keeps customers' uploads; nil: any upload is refused.
	Files *attachments.Service
	// Catalog knows the languages portico speaks (required): a new ticket
	// by mail records its sender's declared one.
	Catalog *i18n.Catalog
	Now     func() time.Time
}

// Service files and reads tickets.
type Service struct {
	store       *store.Store
	jobs        Enqueuer
	settings    *settings.Service
	limiter     ratelimit.Limiter
	limits      Limits
	turnstile   HumanVerifier
	baseURL     string
	replyDomain string
	keys        *keys.Ring
	files       *attachments.Service
	catalog     *i18n.Catalog
	now         func() time.Time
}

// New returns the tickets service. A missing human check is a programming
// error, caught at start-up: the service must never fail open.
func New(d Deps) *Service {
	if d.Turnstile == nil {
		panic("tickets: Deps.Turnstile is required")
	}
	if d.Catalog == nil {
		panic("tickets: Deps.Catalog is required")
	}
	return &Service{store: d.Store, jobs: d.Jobs, settings: d.Settings, limiter: d.Limiter, limits: d.Limits,
		turnstile: d.Turnstile, baseURL: d.BaseURL, replyDomain: d.ReplyDomain, keys: d.Keys, files: d.Files,
		catalog: d.Catalog, now: d.Now}
}

// ErrLimiterUnavailable means the rate limiter could not be asked (Redis
// down); submissions are refused rather than let through unlimited.
var ErrLimiterUnavailable = errors.New("rate limiter unavailable")

// RateLimitedError says a submission was over budget; nothing was written.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return "too many submissions; retry after " + e.RetryAfter.Round(time.Second).String()
}

// WidgetSubmission is a ticket filed through the widget API. Either Email is
// set (a guest), or RequesterID (a host-app user whose id the host app signed).
type WidgetSubmission struct {
	Email       string
	Name        string
	Subject     string
	Description string
	Priority    string
	// RequesterID is set only after the caller verified its signature.
	RequesterID *int64
	// ClientIP is the submitter's address, for the per-IP budget.
	ClientIP string
	// Turnstile is the challenge's response; a guest submission must prove
	// a human, a host app's signed user need not.
	Turnstile string
	// Files are the uploads that came with it (nil: none); the caller
	// closes the form.
	Files *attachments.Form
	// Page is where the widget was opened (issue 17); empty fields are
	// unknown.
	Page validate.PageInput
	// Language is the language the form spoke (one of i18n.Languages, chosen
	// by the handler from data-locale or Accept-Language); it becomes the
	// contact's, for later mails. "" keeps the contact's.
	Language string
}

// CreateFromWidget validates and files a widget ticket. Invalid fields come
// back as model.FieldErrors, a failed human check as ErrNotHuman, an
// exhausted budget as *RateLimitedError; either way nothing is written.
// Fields are checked before the human check, so that a typo does not spend
// the visitor's (single-use) Turnstile token. Only valid submissions count against the budgets,
// so a visitor fixing a typo does not lose a try. The ticket, its contact,
// its first message and the ticket.created job commit together.
func (s *Service) CreateFromWidget(ctx context.Context, in WidgetSubmission) (model.Ticket, error) {
	widget, policy, err := s.settings.Intake(ctx)
	if err != nil {
		return model.Ticket{}, err
	}
	in.Email = contacts.Normalize(in.Email)
	in.Name = validate.Trim(in.Name)
	in.Subject = validate.Trim(in.Subject)
	in.Description = validate.Trim(in.Description)
	in.Priority = validate.Trim(in.Priority)
	fields := validate.Ticket(validate.TicketInput{
		Email: in.Email, Name: in.Name, Subject: in.Subject, Description: in.Description, Priority: in.Priority,
		RequireEmail: in.RequesterID == nil,
	}, widget.Priorities)
	in.Page = cleanPage(in.Page)
	if page := validate.Page(in.Page); len(page) > 0 {
		if fields == nil {
			fields = page
		} else {
			maps.Copy(fields, page)
		}
	}
	if err := s.checkFiles(ctx, in.Files, fields); err != nil {
		return model.Ticket{}, err
	}
	if in.RequesterID == nil { // a host app vouches for its signed users
		if err := s.checkHuman(ctx, in.Turnstile, in.ClientIP); err != nil {
			return model.Ticket{}, err
		}
	}
	if in.Priority == "" {
		in.Priority = widget.DefaultPriority()
	}
	if err := s.admit(ctx, in); err != nil {
		return model.Ticket{}, err
	}

	if !i18n.Supported(in.Language) {
		in.Language = "" // the handler chose it; anything else is not ours to store
	}
	var ticket model.Ticket
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		var contact *model.Contact
		if in.Email != "" {
			c, err := contacts.FindOrCreateInTx(ctx, tx, in.Email, in.Name, in.Language)
			if err != nil {
				return err
			}
			contact = &c
		}
		nt := store.NewTicket{
			Subject:     in.Subject,
			Priority:    in.Priority,
			Channel:     model.ChannelWidget,
			RequesterID: requesterFor(policy, contact, in.RequesterID),
			PageURL:     pageURLWithoutFragment(in.Page.URL),
			PageTitle:   in.Page.Title,
			Locale:      in.Page.Locale,
		}
		if contact != nil {
			nt.ContactID = &contact.ID
		}
		var err error
		if ticket, err = tx.CreateTicket(ctx, nt); err != nil {
			return err
		}
		msg, err := tx.AddMessage(ctx, store.NewMessage{
			TicketID:    ticket.ID,
			Direction:   model.DirectionInbound,
			Source:      model.SourceWidget,
			AuthorName:  in.Name,
			AuthorEmail: in.Email,
			Body:        in.Description,
		})
		if err != nil {
			return err
		}
		if err := s.attach(ctx, tx, ticket.ID, msg.ID, in.Files); err != nil {
			return err
		}
		created := events.Job(events.TicketCreated, ticket.ID, msg.ID, tx.Now())
		if contact != nil {
			id, err := s.recordConfirmation(ctx, tx, ticket, *contact, policy, "")
			if err != nil {
				return err
			}
			created = created.WithMails(id)
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), created)
	})
	if err != nil {
		return model.Ticket{}, fmt.Errorf("tickets: create from widget: %w", err)
	}
	in.Files.Committed()
	return ticket, nil
}

// admit charges the per-IP and the per-sender budgets together: when one is
// exhausted neither is charged.
func (s *Service) admit(ctx context.Context, in WidgetSubmission) error {
	checks := []ratelimit.Check{{Key: "widget:ip:" + clientip.RateKeyString(in.ClientIP), Limit: s.limits.PerIP}}
	if in.Email != "" {
		// Hashed: rate-limit keys (in Redis) must not hold addresses.
		sum := sha256.Sum256([]byte(in.Email))
		checks = append(checks, ratelimit.Check{Key: "widget:email:" + hex.EncodeToString(sum[:16]), Limit: s.limits.PerEmail})
	} else if in.RequesterID != nil {
		checks = append(checks, ratelimit.Check{Key: "widget:user:" + strconv.FormatInt(*in.RequesterID, 10), Limit: s.limits.PerEmail})
	}
	res, err := s.limiter.AllowAll(ctx, checks...)
	if err != nil {
		return fmt.Errorf("tickets: %w: %w", ErrLimiterUnavailable, err)
	}
	if !res.Allowed {
		return &RateLimitedError{RetryAfter: res.RetryAfter}
	}
	return nil
}

// requesterFor applies the guest policy. A signed requester id wins; a
// contact already promoted to a user files under that user; otherwise
// guest_user files under the configured user and the other modes leave the
// ticket unassigned (0).
func requesterFor(policy settings.GuestPolicy, contact *model.Contact, signed *int64) int64 {
	switch {
	case signed != nil:
		return *signed
	case contact != nil && contact.UserID != nil:
		return *contact.UserID
	case policy.Mode == settings.ModeGuestUser && policy.UserID != nil:
		return *policy.UserID
	}
	return 0
}

// PageSize is the number of tickets in one page of List.
const PageSize = 25

// ListQuery selects a page of tickets.
type ListQuery struct {
	Query  string
	Status string
	Page   int // 1-based
}

// List returns one page of tickets and the total number that match.
func (s *Service) List(ctx context.Context, q ListQuery) ([]model.Ticket, int64, error) {
	if q.Status != "" && q.Status != model.StatusOpen && q.Status != model.StatusClosed {
		return nil, 0, model.FieldErrors{"status": "must be open or closed"}
	}
	if q.Page < 1 {
		q.Page = 1
	}
	// PostgreSQL refuses NUL and invalid UTF-8 in a query parameter.
	if !utf8.ValidString(q.Query) || strings.ContainsRune(q.Query, 0) {
		return nil, 0, model.FieldErrors{"q": "must be valid UTF-8 text without NUL characters"}
	}
	return s.store.ListTickets(ctx, store.TicketFilter{
		Query: validate.Trim(q.Query), Status: q.Status, Limit: PageSize, Offset: (q.Page - 1) * PageSize,
	})
}

// Portal link states.
const (
	LinkActive  = model.LinkActive
	LinkExpired = model.LinkExpired
	LinkRevoked = model.LinkRevoked
)

// LinkView is a portal link as admins see it.
type LinkView struct {
	model.PortalLink
	State     string
	ExpiresAt *time.Time
}

// Detail is a ticket with everything an admin needs to see.
type Detail struct {
	Ticket      model.Ticket
	Contact     *model.Contact
	Messages    []model.Message
	Links       []LinkView
	Attachments []model.Attachment
	// Tags are the ticket's workflow tags, alphabetical.
	Tags []string
	// Participants are the people besides the requester who took part by
	// mail (/sendall writes to them).
	Participants []model.Participant
	// Ratings are the customers' answers to "How did we do?", oldest first.
	Ratings []model.Rating
}

// Get returns the detail of the ticket with this reference (TK-42, [tk-042]).
func (s *Service) Get(ctx context.Context, reference string) (Detail, error) {
	id, ok := model.ParseReference(reference)
	if !ok {
		return Detail{}, fmt.Errorf("ticket %q: %w", reference, model.ErrNotFound)
	}
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Ticket: t}
	if t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return Detail{}, err
		}
		if err == nil {
			d.Contact = &c
		}
	}
	if d.Messages, err = s.store.Messages(ctx, id); err != nil {
		return Detail{}, err
	}
	links, err := s.store.PortalLinks(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	if d.Attachments, err = s.store.Attachments(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Tags, err = s.store.TicketTags(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Participants, err = s.store.Participants(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Ratings, err = s.store.TicketRatings(ctx, id); err != nil {
		return Detail{}, err
	}
	now := s.now()
	for _, l := range links {
		v := LinkView{PortalLink: l}
		v.State, v.ExpiresAt = l.State(t, now)
		d.Links = append(d.Links, v)
	}
	return d, nil
}
