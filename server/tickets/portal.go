package tickets

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// Portal errors, each with its own answer.
var (
	// ErrPortalGone: the link expired after the ticket closed (410).
	ErrPortalGone = errors.New("this conversation link has expired")
	// ErrRepliesOff: replying on the portal is switched off (403).
	ErrRepliesOff = errors.New("replies on the portal are switched off")
	// ErrNotHuman: the Turnstile check failed (403).
	ErrNotHuman = errors.New("the human check failed")
	// ErrHumanCheckUnavailable: Turnstile could not be asked (503).
	ErrHumanCheckUnavailable = errors.New("the human check is unavailable")
)

// PortalReplyLimit is how many replies one portal link may post.
var PortalReplyLimit = ratelimit.Limit{Count: 20, Period: time.Hour}

// PortalPage is what a customer sees on their portal page.
type PortalPage struct {
	Ticket     model.Ticket
	Link       model.PortalLink
	Messages   []model.Message
	AllowReply bool
	// ExpiresAt is set once the ticket is closed.
	ExpiresAt *time.Time
	// Attachments of the visible messages, by message id (no data).
	Attachments map[int64][]model.Attachment
}

// validToken reports whether s looks like a portal token (64 lowercase hex),
// so that junk never reaches the database.
func validToken(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// OpenPortal resolves a portal token. Unknown, revoked and disabled all
// answer model.ErrNotFound alike; an expired link answers ErrPortalGone.
// Tokens are looked up by their SHA-256, so a lookup's timing says nothing
// about how close a guess was.
func (s *Service) OpenPortal(ctx context.Context, token string) (PortalPage, error) {
	notFound := fmt.Errorf("portal link: %w", model.ErrNotFound)
	if !validToken(token) {
		return PortalPage{}, notFound
	}
	portal, err := s.settings.Portal(ctx)
	if err != nil {
		return PortalPage{}, err
	}
	if !portal.Enabled {
		return PortalPage{}, notFound
	}
	hash := sha256.Sum256([]byte(token))
	link, err := s.store.PortalLinkByToken(ctx, hash[:])
	if err != nil {
		return PortalPage{}, err
	}
	t, err := s.store.Ticket(ctx, link.TicketID)
	if err != nil {
		return PortalPage{}, err
	}
	page := PortalPage{Ticket: t, Link: link, AllowReply: portal.AllowReply}
	var state string
	switch state, page.ExpiresAt = link.State(t.ClosedAt, portal.Retention, s.now()); state {
	case model.LinkRevoked:
		return PortalPage{}, notFound
	case model.LinkExpired:
		return PortalPage{}, ErrPortalGone
	}
	if page.Messages, err = s.store.PortalMessages(ctx, t.ID, link.Email); err != nil {
		return PortalPage{}, err
	}
	all, err := s.store.Attachments(ctx, t.ID)
	if err != nil {
		return PortalPage{}, err
	}
	visible := map[int64]bool{}
	for _, m := range page.Messages {
		visible[m.ID] = true
	}
	page.Attachments = map[int64][]model.Attachment{}
	for _, a := range all {
		if visible[a.MessageID] {
			page.Attachments[a.MessageID] = append(page.Attachments[a.MessageID], a)
		}
	}
	return page, nil
}

// PortalAttachment returns an attachment for download through a portal
// link, only if it belongs to a message that link may see.
func (s *Service) PortalAttachment(ctx context.Context, token string, id int64) (model.Attachment, error) {
	page, err := s.OpenPortal(ctx, token)
	if err != nil {
		return model.Attachment{}, err
	}
	for _, list := range page.Attachments {
		for _, a := range list {
			if a.ID == id {
				return s.store.Attachment(ctx, id)
			}
		}
	}
	return model.Attachment{}, fmt.Errorf("attachment %d: %w", id, model.ErrNotFound)
}

// Attachment returns an attachment for an admin.
func (s *Service) Attachment(ctx context.Context, id int64) (model.Attachment, error) {
	return s.store.Attachment(ctx, id)
}

// PortalReply is a reply posted on the portal page.
type PortalReply struct {
	Token     string
	Body      string
	Turnstile string
	ClientIP  string
}

// stripHTML turns whatever was posted into plain text: tags and attributes
// go, the text stays.
var stripHTML = bluemonday.StrictPolicy()

// ReplyOnPortal validates and stores a customer's reply from the portal,
// reopening a closed ticket, and publishes reply.created. Field errors come
// back as model.FieldErrors with nothing stored.
func (s *Service) ReplyOnPortal(ctx context.Context, in PortalReply) (model.Message, error) {
	page, err := s.OpenPortal(ctx, in.Token)
	if err != nil {
		return model.Message{}, err
	}
	if !page.AllowReply {
		return model.Message{}, ErrRepliesOff
	}
	body := CleanReply(in.Body)
	if msg := validate.Reply(body); msg != "" {
		return model.Message{}, model.FieldErrors{"body": msg}
	}
	if err := s.checkHuman(ctx, in.Turnstile, in.ClientIP); err != nil {
		return model.Message{}, err
	}
	res, err := s.limiter.Allow(ctx, fmt.Sprintf("portal:reply:%d", page.Link.ID), PortalReplyLimit)
	if err != nil {
		return model.Message{}, fmt.Errorf("tickets: %w: %w", ErrLimiterUnavailable, err)
	}
	if !res.Allowed {
		return model.Message{}, &RateLimitedError{RetryAfter: res.RetryAfter}
	}
	var name string
	if page.Ticket.ContactID != nil {
		if c, err := s.store.Contact(ctx, *page.Ticket.ContactID); err == nil && c.Email == page.Link.Email {
			name = c.Name
		}
	}
	var msg model.Message
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		msg, err = tx.AddMessage(ctx, store.NewMessage{
			TicketID: page.Ticket.ID, Direction: model.DirectionInbound, Source: model.SourcePortal,
			AuthorName: name, AuthorEmail: page.Link.Email, Body: body,
		})
		if err != nil {
			return err
		}
		if page.Ticket.Status == model.StatusClosed {
			if _, err := s.reopenTx(ctx, tx, page.Ticket.ID, StateChange{MessageID: msg.ID}); err != nil {
				return err
			}
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.ReplyCreated, page.Ticket.ID, msg.ID, tx.Now()).By(events.AuthorCustomer))
	})
	if err != nil {
		return model.Message{}, fmt.Errorf("tickets: portal reply on %s: %w", page.Ticket.Reference, err)
	}
	return msg, nil
}

// CleanReply strips HTML from a customer's text (bluemonday escapes what it
// keeps, so the text is unescaped again: it is stored and shown as text) and
// normalizes line endings.
func CleanReply(s string) string {
	s = html.UnescapeString(stripHTML.Sanitize(s))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s)
}

// RevokePortalLinks ends every portal link of the ticket with this
// reference; their pages answer 404 from now on.
func (s *Service) RevokePortalLinks(ctx context.Context, reference string) (int64, error) {
	id, ok := model.ParseReference(reference)
	if !ok {
		return 0, fmt.Errorf("ticket %q: %w", reference, model.ErrNotFound)
	}
	if _, err := s.store.Ticket(ctx, id); err != nil {
		return 0, err
	}
	var n int64
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.RevokePortalLinks(ctx, id)
		return err
	})
	return n, err
}
