// Package model holds the plain types shared by the store, the services and
// the handlers. It imports nothing of the project.
package model

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned by lookups that found nothing; callers test it with
// errors.Is instead of checking for nil results.
var ErrNotFound = errors.New("not found")

// Contact is a person who wrote to support, with or without an account in the
// host application (UserID).
type Contact struct {
	ID     int64  `db:"id" json:"id"`
	Email  string `db:"email" json:"email"`
	Name   string `db:"name" json:"name"`
	UserID *int64 `db:"user_id" json:"user_id"`
	// Locale is the language portico speaks to this person (i18n.Languages),
	// "" while unknown: then the admin's default.
	Locale    string    `db:"locale" json:"locale"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Ticket statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Channels a ticket can arrive through.
const (
	ChannelWidget = "widget"
	ChannelEmail  = "email"
	ChannelPortal = "portal"
)

// Ticket is one support conversation.
type Ticket struct {
	ID                int64      `db:"id"`
	Reference         string     `db:"reference"`
	Subject           string     `db:"subject"`
	Status            string     `db:"status"`
	Priority          string     `db:"priority"`
	Channel           string     `db:"channel"`
	ContactID         *int64     `db:"contact_id"`
	RequesterID       int64      `db:"requester_id"`
	ClosedAt          *time.Time `db:"closed_at"`
	GitHubIssueNumber *int64     `db:"github_issue_number"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
	// PortalStoppedAt is set while an admin has stopped the portal of this
	// ticket: every link answers 404 and mails carry none.
	PortalStoppedAt *time.Time `db:"portal_stopped_at"`
	// PortalRetention is the retention_after_close in force when the ticket
	// closed, in seconds (nil while open): the links' 410 time is fixed at
	// the close, whatever the setting becomes later.
	PortalRetention *int64 `db:"portal_retention"`
	// Where a widget ticket was filed from (issue 17): the page's URL and
	// title and the browser's language; empty when unknown.
	PageURL   string `db:"page_url"`
	PageTitle string `db:"page_title"`
	Locale    string `db:"locale"`
}

// LinksExpireAt is when the ticket's portal links stop working (410): the
// close plus the retention recorded with it; nil while the ticket is open.
func (t Ticket) LinksExpireAt() *time.Time {
	if t.ClosedAt == nil {
		return nil
	}
	var retention time.Duration
	if t.PortalRetention != nil {
		retention = time.Duration(*t.PortalRetention) * time.Second
	}
	// A close always records the retention; a missing one expires at the
	// close rather than never.
	exp := t.ClosedAt.Add(retention)
	return &exp
}

// Message directions on the timeline. Internal messages (agent notes) are
// never shown to customers.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
	DirectionInternal = "internal"
)

// Message sources.
const (
	SourceWidget = "widget"
	SourceEmail  = "email"
	SourcePortal = "portal"
	SourceGitHub = "github"
)

// Message is one entry of a ticket's timeline.
type Message struct {
	ID             int64     `db:"id"`
	TicketID       int64     `db:"ticket_id"`
	Direction      string    `db:"direction"`
	Source         string    `db:"source"`
	AuthorName     string    `db:"author_name"`
	AuthorEmail    string    `db:"author_email"`
	Body           string    `db:"body"`
	EmailMessageID *string   `db:"email_message_id"`
	CreatedAt      time.Time `db:"created_at"`
}

// PortalLink is the portal access of one (ticket, customer email) pair. Each
// mail to that customer carries a token of its own; the store keeps only the
// tokens' SHA-256. A revoke ends the tokens issued so far; the next mail to
// the address carries a fresh one, which works.
type PortalLink struct {
	ID       int64  `db:"id"`
	TicketID int64  `db:"ticket_id"`
	Email    string `db:"email"`
	// RevokedAt is when the link's tokens were revoked, none having been
	// issued since. Read through a token, it is that token's revocation.
	RevokedAt *time.Time `db:"revoked_at"`
	CreatedAt time.Time  `db:"created_at"`
}

// Portal link states, as admins and exports show them.
const (
	LinkActive  = "active"
	LinkExpired = "expired"
	LinkRevoked = "revoked"
	// LinkStopped: the admin stopped the portal of the ticket.
	LinkStopped = "stopped"
)

// State says whether the link still opens on ticket t: revoked wins, then a
// portal stopped for the ticket, then expiry, which is the retention
// recorded when the ticket closed (expiresAt nil while it is open).
func (l PortalLink) State(t Ticket, now time.Time) (state string, expiresAt *time.Time) {
	expiresAt = t.LinksExpireAt()
	switch {
	case l.RevokedAt != nil:
		return LinkRevoked, expiresAt
	case t.PortalStoppedAt != nil:
		return LinkStopped, expiresAt
	case expiresAt != nil && !now.Before(*expiresAt):
		return LinkExpired, expiresAt
	}
	return LinkActive, expiresAt
}

// Outbound mail kinds.
const (
	MailConfirmation = "confirmation"
	MailAgentReply   = "agent_reply"
	// MailPortalLink carries a fresh portal link an admin sent one person.
	MailPortalLink = "portal_link"
	// MailSignin carries a one-time "My tickets" sign-in link.
	MailSignin = "signin"
)

// Outbound mail statuses.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// OutboundMail is one mail to one recipient, queued in the transaction that
// caused it and composed when its delivery job runs.
type OutboundMail struct {
	ID             int64      `db:"id"`
	TicketID       int64      `db:"ticket_id"`
	MessageID      *int64     `db:"message_id"`
	Kind           string     `db:"kind"`
	ToEmail        string     `db:"to_email"`
	ToName         string     `db:"to_name"`
	EmailMessageID string     `db:"email_message_id"`
	InReplyTo      string     `db:"in_reply_to"`
	Refs           string     `db:"refs"`
	Payload        string     `db:"payload"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	LastError      string     `db:"last_error"`
	SentAt         *time.Time `db:"sent_at"`
	CreatedAt      time.Time  `db:"created_at"`
}

// Participant is someone besides the requester who took part in a ticket by
// mail (To/Cc of the customer's messages).
type Participant struct {
	TicketID  int64     `db:"ticket_id"`
	Email     string    `db:"email"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Attachment is a file of a customer's message: from inbound mail, or
// uploaded from the widget, the hosted form or the portal. Data is loaded
// only when it is downloaded, and only for storage "inline".
type Attachment struct {
	ID          int64  `db:"id"`
	TicketID    int64  `db:"ticket_id"`
	MessageID   int64  `db:"message_id"`
	Filename    string `db:"filename"`
	ContentType string `db:"content_type"`
	Size        int64  `db:"size"`
	Data        []byte `db:"data"`
	// Storage says where the bytes are: StorageInline (Data, inbound mail),
	// StorageDatabase (chunks) or StorageDisk (a file named StorageKey).
	Storage    string    `db:"storage"`
	StorageKey *string   `db:"storage_key"`
	SHA256     string    `db:"sha256"`
	CreatedAt  time.Time `db:"created_at"`
}

// Where an attachment's bytes are kept (Attachment.Storage).
const (
	StorageInline   = "inline"
	StorageDatabase = "database"
	StorageDisk     = "disk"
)

// Admin is a person allowed into the admin pages.
type Admin struct {
	ID           int64     `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
}

// Session is a signed-in admin browser session; the token itself is only in
// the cookie, the database keeps its SHA-256.
type Session struct {
	ID        int64     `db:"id"`
	AdminID   int64     `db:"admin_id"`
	TokenHash []byte    `db:"token_hash"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// Reference formats a ticket id as its public reference, e.g. TK-42.
func Reference(id int64) string { return "TK-" + strconv.FormatInt(id, 10) }

// ParseReference accepts "TK-42", "tk-042" and "[TK-042]" and returns the id.
func ParseReference(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if s, ok = strings.CutSuffix(inner, "]"); !ok {
			return 0, false
		}
	}
	if len(s) < 4 || !strings.EqualFold(s[:3], "TK-") {
		return 0, false
	}
	digits := s[3:]
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// FieldErrors reports invalid input field by field; handlers answer it with
// 422 and {"errors": {field: message}}.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + e[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// ConflictError says the request is sound but the state of things refuses
// it (409), and why, in words an admin can act on: a portal link for an
// expired ticket, a backfill while the GitHub sync is off. Services return
// it (or a package variable of it, matched with errors.Is); httperr maps it
// once.
type ConflictError struct{ Reason string }

func (e *ConflictError) Error() string { return e.Reason }

// UnavailableError says a party we depend on did not answer, so nothing was
// done and the request may be tried again shortly (503 with Retry-After);
// Reason says what could not be done.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return e.Reason }

// Address is a mailbox with an optional display name.
type Address struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// InboundAttachment is a file that came with an inbound mail.
type InboundAttachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// InboundMail is an inbound email normalized from any provider (Postmark,
// Mailgun, SES); the router works only with this.
type InboundMail struct {
	// Provider names where it came from: postmark, mailgun or ses.
	Provider string
	// MessageID, InReplyTo and References hold Message-IDs with their angle
	// brackets, e.g. "<abc@example.com>".
	MessageID  string
	InReplyTo  string
	References []string
	From       Address
	// ReturnPath is the envelope sender; empty ("<>") for bounces.
	ReturnPath string
	To         []Address
	Cc         []Address
	// Recipients are the envelope recipients the provider reports (they
	// may differ from To/Cc, e.g. Bcc or forwarding).
	Recipients []string
	Subject    string
	// Text and HTML are the bodies as sent (either may be empty).
	Text string
	HTML string
	// Headers holds every header, keys in canonical MIME form
	// (textproto.CanonicalMIMEHeaderKey), for loop and auto-reply checks.
	Headers map[string][]string
	// ContentType is the top-level media type (e.g. multipart/report for
	// delivery status notifications).
	ContentType string
	Attachments []InboundAttachment
	// DroppedAttachments lists files not kept (too large), with why.
	DroppedAttachments []string
	// Auth holds the provider's SPF, DKIM and DMARC verdicts; a header or
	// subject match counts only when Authenticated() says so.
	Auth MailAuth
	// DedupKey identifies a mail without a Message-ID across provider
	// retries: a hash of the provider's own id for the mail, or of its
	// content. Empty when MessageID is set (that is the key then).
	DedupKey string
}

// Header returns the first value of a header (canonical key), or "".
func (m InboundMail) Header(key string) string {
	if v := m.Headers[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// GitHubPost is something portico posts to GitHub (an issue, a comment),
// recorded under a key that says what it is for; GitHubID is the issue
// number or comment id once GitHub accepted it.
type GitHubPost struct {
	Key       string     `db:"key"`
	TicketID  int64      `db:"ticket_id"`
	GitHubID  *int64     `db:"github_id"`
	CreatedAt time.Time  `db:"created_at"`
	PostedAt  *time.Time `db:"posted_at"`
}

// What an agent's GitHub comment did.
const (
	GitHubCommentSent   = "sent"
	GitHubCommentNote   = "note"
	GitHubCommentFailed = "failed"
)

// GitHubComment records what an agent's comment on a ticket's issue did: a
// reply sent (MessageID), an internal note (MessageID), or a command that
// failed (Detail says why).
type GitHubComment struct {
	CommentID int64     `db:"comment_id"`
	TicketID  int64     `db:"ticket_id"`
	Outcome   string    `db:"outcome"`
	MessageID *int64    `db:"message_id"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}
