package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/markdown"
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
	Messages   []PortalMessage
	AllowReply bool
	// ExpiresAt is set once the ticket is closed.
	ExpiresAt *time.Time
	// Attachments of the visible messages, by message id (no data).
	Attachments map[int64][]model.Attachment
	// Locale is the stored language of the contact the link belongs to
	// (one of i18n.Languages); "" when unknown or the address is no
	// contact (someone only copied on the mails).
	Locale string
}

// PortalMessage is one message of a portal page.
type PortalMessage struct {
	model.Message
	// Mine: the link's own address wrote it. A customer's message that is
	// not Mine is one the link's address was copied on.
	Mine bool
	// HTML is an agent's reply as its mail showed it: the Markdown rendered
	// and sanitized by server/markdown, safe to insert as is. Empty for
	// customers' messages, which are plain text.
	HTML string
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
	switch state, page.ExpiresAt = link.State(t, s.now()); state {
	case model.LinkRevoked, model.LinkStopped:
		return PortalPage{}, notFound
	case model.LinkExpired:
		return PortalPage{}, ErrPortalGone
	}
	msgs, err := s.store.PortalMessages(ctx, t.ID, link.Email)
	if err != nil {
		return PortalPage{}, err
	}
	payloads, err := s.store.ReplyPayloads(ctx, t.ID, link.Email)
	if err != nil {
		return PortalPage{}, err
	}
	if page.Messages, err = portalMessages(msgs, link.Email, payloads); err != nil {
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
	switch c, err := s.store.LiveContactByEmail(ctx, contacts.Normalize(link.Email)); {
	case err == nil:
		page.Locale = c.Locale
	case !errors.Is(err, model.ErrNotFound):
		return PortalPage{}, err
	}
	return page, nil
}

// portalMessages says whose each message is and shows agents' replies as
// their mails did: the HTML part of the mail to this address (the Markdown
// rendered and sanitized by server/markdown), sanitized again by the same
// policy; a reply mailed as plain text stays plain text.
func portalMessages(msgs []model.Message, email string, payloads map[int64]string) ([]PortalMessage, error) {
	out := make([]PortalMessage, len(msgs))
	for i, m := range msgs {
		out[i] = PortalMessage{Message: m, Mine: m.Direction == model.DirectionInbound && m.AuthorEmail == email}
		raw, ok := payloads[m.ID]
		if m.Direction != model.DirectionOutbound || !ok {
			continue
		}
		var p mail.AgentReplyPayload
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return nil, fmt.Errorf("tickets: mail payload of message %d: %w", m.ID, err)
		}
		if p.BodyHTML != "" {
			out[i].HTML = markdown.Sanitize(p.BodyHTML)
		}
	}
	return out, nil
}

// OpenPortalAttachment opens an attachment for download through a portal
// link, only if it belongs to a message that link may see; any other id
// (another ticket's included) is model.ErrNotFound.
func (s *Service) OpenPortalAttachment(ctx context.Context, token string, id int64) (attachments.File, error) {
	page, err := s.OpenPortal(ctx, token)
	if err != nil {
		return attachments.File{}, err
	}
	for _, list := range page.Attachments {
		for _, a := range list {
			if a.ID == id {
				return s.OpenAttachment(ctx, id)
			}
		}
	}
	return attachments.File{}, fmt.Errorf("attachment %d: %w", id, model.ErrNotFound)
}

// OpenAttachment opens any attachment, for an admin.
func (s *Service) OpenAttachment(ctx context.Context, id int64) (attachments.File, error) {
	if s.files == nil {
		return attachments.File{}, errors.New("tickets: no file store")
	}
	return s.files.Open(ctx, id)
}

// PortalReply is a reply posted on the portal page.
type PortalReply struct {
	Token     string
	Body      string
	Turnstile string
	ClientIP  string
	// Files are the uploads that came with it (nil: none); the caller
	// closes the form.
	Files *attachments.Form
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
	fields := map[string]string{}
	if msg := validate.Reply(body); msg != "" {
		fields["body"] = msg
	}
	if err := s.checkFiles(ctx, in.Files, fields); err != nil {
		return model.Message{}, err
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
		if err := s.attach(ctx, tx, page.Ticket.ID, msg.ID, in.Files); err != nil {
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
	in.Files.Committed()
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

// RevokePortalLinks ends the portal links issued so far for the ticket with
// this reference: their pages answer 404 from now on. The next mail to a
// customer carries a fresh link, which works. It reports how many links
// were live.
func (s *Service) RevokePortalLinks(ctx context.Context, reference string) (int64, error) {
	t, err := s.ticketByReference(ctx, reference)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.RevokePortalTokens(ctx, t.ID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("tickets: revoke links of %s: %w", t.Reference, err)
	}
	return n, nil
}

func (s *Service) ticketByReference(ctx context.Context, reference string) (model.Ticket, error) {
	id, ok := model.ParseReference(reference)
	if !ok {
		return model.Ticket{}, fmt.Errorf("ticket %q: %w", reference, model.ErrNotFound)
	}
	return s.store.Ticket(ctx, id)
}

// StopPortal stops the portal of one ticket: every link of it answers 404
// and later mails carry none (replies by email only), until ResumePortal.
// false: it was stopped already.
func (s *Service) StopPortal(ctx context.Context, reference string) (bool, error) {
	return s.setPortal(ctx, reference, "stop", (*store.Tx).StopPortal)
}

// ResumePortal undoes StopPortal: the links that were not revoked open
// again, and mails carry links again. false: it was not stopped.
func (s *Service) ResumePortal(ctx context.Context, reference string) (bool, error) {
	return s.setPortal(ctx, reference, "resume", (*store.Tx).ResumePortal)
}

func (s *Service) setPortal(ctx context.Context, reference, verb string, set func(*store.Tx, context.Context, int64) (bool, error)) (bool, error) {
	t, err := s.ticketByReference(ctx, reference)
	if err != nil {
		return false, err
	}
	var changed bool
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		changed, err = set(tx, ctx, t.ID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("tickets: %s the portal of %s: %w", verb, t.Reference, err)
	}
	return changed, nil
}

// ErrUnknownAddress: a new link was asked for an address portico does not
// know at all (no contact, no participant).
var ErrUnknownAddress = fmt.Errorf("no contact or participant has this address: %w", model.ErrNotFound)

// LinkRefusedError says why a ticket's state allows no new link (409).
type LinkRefusedError = model.ConflictError

// IssuePortalLink mails one person on a ticket (its requester, a
// participant, or someone a mail about it went to) a fresh portal link,
// threaded in the ticket's conversation: the mail is queued with its
// delivery job in one transaction, and the link is minted when it is sent.
// Earlier links of that person keep their state. A malformed address is
// model.FieldErrors, an address not on the ticket too; an address nobody
// has is ErrUnknownAddress; a ticket or address that may not get a link
// (portal off or stopped, links expired, erased) *LinkRefusedError.
func (s *Service) IssuePortalLink(ctx context.Context, reference, email string) error {
	t, err := s.ticketByReference(ctx, reference)
	if err != nil {
		return err
	}
	email = contacts.Normalize(email)
	if msg := validate.Email(email); msg != "" {
		return model.FieldErrors{"email": msg}
	}
	on, err := s.store.OnTicket(ctx, t.ID, email)
	if err != nil {
		return err
	}
	if !on {
		known, err := s.store.AddressKnown(ctx, email)
		if err != nil {
			return err
		}
		if !known {
			return fmt.Errorf("%s: %w", email, ErrUnknownAddress)
		}
		return model.FieldErrors{"email": "is not on " + t.Reference + " (neither its requester nor a participant)"}
	}
	portal, err := s.settings.Portal(ctx)
	if err != nil {
		return err
	}
	if !portal.Enabled {
		return &LinkRefusedError{Reason: "the portal is switched off (Settings → Portal): a link would answer “not found”"}
	}
	if state, _ := (model.PortalLink{}).State(t, s.now()); state == model.LinkExpired {
		return &LinkRefusedError{Reason: "the links of " + t.Reference + " have expired (it closed longer ago than its retention): reopen it first"}
	}
	name, err := s.nameOf(ctx, t, email)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		facts, err := tx.PortalLinkFacts(ctx, t.ID, email)
		if err != nil {
			return err
		}
		if reason := linkBar(facts); reason != "" {
			return &LinkRefusedError{Reason: reason}
		}
		thread, err := tx.ThreadMessageIDs(ctx, t.ID)
		if err != nil {
			return err
		}
		inReplyTo, refs := s.threadHeaders(t.ID, thread)
		mid, err := mail.LinkMessageID(t.ID, s.replyDomain)
		if err != nil {
			return err
		}
		id, err := s.recordMail(ctx, tx, store.NewOutboundMail{
			TicketID: t.ID, Kind: model.MailPortalLink, ToEmail: email, ToName: name, EmailMessageID: mid,
			InReplyTo: inReplyTo, Refs: refs,
		}, mail.PortalLinkPayload{CustomerName: name})
		if err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), mail.DeliverArgs{OutboundID: id})
	})
	var refused *LinkRefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		return fmt.Errorf("tickets: issue a link on %s: %w", t.Reference, err)
	}
	return nil
}

// linkBar says why a mail may not carry a portal link ("" when it may): an
// erased ticket or contact never gets one again; a stopped portal until it
// is resumed.
func linkBar(f store.LinkFacts) string {
	switch {
	case f.TicketErased:
		return "the ticket was erased: it never gets a portal link again"
	case f.ContactErased:
		return "the address belongs to an erased contact: it never gets a portal link again"
	case f.PortalStopped:
		return "the portal of this ticket is stopped: resume it first"
	}
	return ""
}

// nameOf is the name portico knows for email on ticket t: the requester's
// or a participant's ("" when none).
func (s *Service) nameOf(ctx context.Context, t model.Ticket, email string) (string, error) {
	if t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil {
			return "", err
		}
		if c.Email == email {
			return c.Name, nil
		}
	}
	ps, err := s.store.Participants(ctx, t.ID)
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		if p.Email == email {
			return p.Name, nil
		}
	}
	return "", nil
}
