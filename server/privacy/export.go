package privacy

import (
	"context"
	"errors"
	"time"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// ExportFormat names the layout of an export; it changes when fields are
// removed or change meaning, not when fields are added.
const ExportFormat = "portico.contact-export.v1"

// Export is everything portico holds about one contact, as one document.
// Secrets never appear in it: no portal tokens or their hashes, no signup
// tokens, no Message-IDs.
type Export struct {
	Format     string         `json:"format"`
	ExportedAt time.Time      `json:"exported_at"`
	Contact    ExportContact  `json:"contact"`
	Tickets    []ExportTicket `json:"tickets"`
}

// ExportContact is the contact record.
type ExportContact struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	UserID *int64 `json:"user_id"`
	// Locale is the language portico writes to the contact in ("" when
	// unknown: the admin's default).
	Locale    string     `json:"locale"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	ErasedAt  *time.Time `json:"erased_at"`
}

// Roles of a contact on a ticket.
const (
	RoleRequester   = "requester"
	RoleParticipant = "participant"
)

// ExportTicket is a ticket the contact filed (role requester: the whole
// timeline, internal notes included) or took part in (role participant: what
// they wrote and what was mailed to them, as their portal shows it).
type ExportTicket struct {
	ID                int64              `json:"id"`
	Reference         string             `json:"reference"`
	Role              string             `json:"role"`
	Subject           string             `json:"subject"`
	Status            string             `json:"status"`
	Priority          string             `json:"priority"`
	Channel           string             `json:"channel"`
	RequesterID       int64              `json:"requester_id"`
	ClosedAt          *time.Time         `json:"closed_at"`
	GitHubIssueNumber *int64             `json:"github_issue_number"`
	CreatedAt         time.Time          `json:"created_at"`
	UpdatedAt         time.Time          `json:"updated_at"`
	ErasedAt          *time.Time         `json:"erased_at"`
	Participant       *ExportParticipant `json:"participant"`
	Messages          []ExportMessage    `json:"messages"`
	PortalLinks       []ExportPortalLink `json:"portal_links"`
	Mails             []ExportMail       `json:"mails"`

	// Where a widget ticket was filed from (issue 17), for its requester
	// only; "" when unknown.
	PageURL   string `json:"page_url"`
	PageTitle string `json:"page_title"`
	Locale    string `json:"locale"`

	// Rating is the contact's answer to "How did we do?" about the ticket;
	// nil: none.
	Rating *ExportRating `json:"rating"`
}

// ExportRating is the contact's answer about a closed ticket.
type ExportRating struct {
	Score     string    `json:"score"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ExportParticipant is the contact's record as a participant (To/Cc of a
// mail) of someone else's ticket.
type ExportParticipant struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportMessage is one timeline message with its attachments (names and
// sizes; the files themselves are downloaded from the admin API).
type ExportMessage struct {
	ID          int64  `json:"id"`
	Direction   string `json:"direction"`
	Source      string `json:"source"`
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
	Body        string `json:"body"`
	// Original is the mail as it arrived, when it differs from Body (the
	// quoted history that was stripped).
	Original    string             `json:"original,omitempty"`
	CreatedAt   time.Time          `json:"created_at"`
	Attachments []ExportAttachment `json:"attachments"`
}

// ExportAttachment describes a file of a message.
type ExportAttachment struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
}

// Portal link states, as the admin ticket page shows them.
const (
	LinkActive  = model.LinkActive
	LinkExpired = model.LinkExpired
	LinkRevoked = model.LinkRevoked
)

// ExportPortalLink is the state of the contact's portal access to a ticket.
type ExportPortalLink struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	State     string     `json:"state"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// ExportMail is a mail sent (or to be sent) to the contact; its text is the
// message it carried.
type ExportMail struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	MessageID *int64     `json:"message_id"`
	ToEmail   string     `json:"to_email"`
	ToName    string     `json:"to_name"`
	Status    string     `json:"status"`
	SentAt    *time.Time `json:"sent_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// Export gathers everything about a contact and records who asked for it.
// model.ErrNotFound if there is no such contact.
func (s *Service) Export(ctx context.Context, contactID int64, actor string) (Export, error) {
	c, err := s.store.PrivacyContact(ctx, contactID)
	if err != nil {
		return Export{}, err
	}
	now := s.now()
	out := Export{
		Format: ExportFormat, ExportedAt: now.UTC(),
		Contact: ExportContact{ID: c.ID, Email: c.Email, Name: c.Name, UserID: c.UserID, Locale: c.Locale,
			CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ErasedAt: c.ErasedAt},
		Tickets: []ExportTicket{},
	}
	tickets, err := s.store.TicketsOfPerson(ctx, c.ID, c.Email)
	if err != nil {
		return Export{}, err
	}
	for _, t := range tickets {
		et, err := s.exportTicket(ctx, c.Contact, t, now)
		if err != nil {
			return Export{}, err
		}
		out.Tickets = append(out.Tickets, et)
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddPrivacyAudit(ctx, store.AuditEntry{Action: AuditExport, ContactID: &c.ID, Actor: actor,
			Detail: detail(map[string]int{"tickets": len(out.Tickets)})})
	})
	if err != nil {
		return Export{}, wrap("audit export", err)
	}
	s.log.InfoContext(ctx, "contact exported", "contact_id", c.ID, "tickets", len(out.Tickets), "by", maskActor(actor))
	return out, nil
}

func (s *Service) exportTicket(ctx context.Context, c model.Contact, t store.PrivacyTicket, now time.Time) (ExportTicket, error) {
	et := ExportTicket{
		ID: t.ID, Reference: t.Reference, Role: RoleParticipant, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
		Channel: t.Channel, RequesterID: t.RequesterID, ClosedAt: t.ClosedAt, GitHubIssueNumber: t.GitHubIssueNumber,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ErasedAt: t.ErasedAt,
		Messages: []ExportMessage{}, PortalLinks: []ExportPortalLink{}, Mails: []ExportMail{},
	}
	if t.ContactID != nil && *t.ContactID == c.ID {
		et.Role = RoleRequester
		// Where it was filed from is the requester's, not a participant's.
		et.PageURL, et.PageTitle, et.Locale = t.PageURL, t.PageTitle, t.Locale
	}
	msgs, err := s.store.PrivacyMessages(ctx, t.ID)
	if err != nil {
		return ExportTicket{}, err
	}
	// A participant gets only their part of someone else's ticket: what
	// they wrote and what was mailed to them. The customers' mails they were
	// copied on (which their portal page shows) are the senders' data.
	var visible map[int64]bool
	if et.Role == RoleParticipant {
		own, err := s.store.PortalMessages(ctx, t.ID, c.Email)
		if err != nil {
			return ExportTicket{}, err
		}
		visible = map[int64]bool{}
		for _, m := range own {
			if m.Direction != model.DirectionInbound || m.AuthorEmail == c.Email {
				visible[m.ID] = true
			}
		}
	}
	files, err := s.store.Attachments(ctx, t.ID)
	if err != nil {
		return ExportTicket{}, err
	}
	byMessage := map[int64][]ExportAttachment{}
	for _, a := range files {
		byMessage[a.MessageID] = append(byMessage[a.MessageID], ExportAttachment{
			ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, CreatedAt: a.CreatedAt})
	}
	for _, m := range msgs {
		if visible != nil && !visible[m.ID] {
			continue
		}
		em := ExportMessage{ID: m.ID, Direction: m.Direction, Source: m.Source, AuthorName: m.AuthorName,
			AuthorEmail: m.AuthorEmail, Body: m.Body, CreatedAt: m.CreatedAt, Attachments: byMessage[m.ID]}
		if m.Original != m.Body {
			em.Original = m.Original
		}
		if em.Attachments == nil {
			em.Attachments = []ExportAttachment{}
		}
		et.Messages = append(et.Messages, em)
	}
	links, err := s.store.PortalLinks(ctx, t.ID)
	if err != nil {
		return ExportTicket{}, err
	}
	for _, l := range links {
		if l.Email != c.Email {
			continue
		}
		el := ExportPortalLink{ID: l.ID, Email: l.Email, RevokedAt: l.RevokedAt, CreatedAt: l.CreatedAt}
		el.State, el.ExpiresAt = l.State(t.Ticket, now)
		et.PortalLinks = append(et.PortalLinks, el)
	}
	mails, err := s.store.OutboundMails(ctx, t.ID)
	if err != nil {
		return ExportTicket{}, err
	}
	for _, m := range mails {
		if m.ToEmail != c.Email {
			continue
		}
		et.Mails = append(et.Mails, ExportMail{ID: m.ID, Kind: m.Kind, MessageID: m.MessageID, ToEmail: m.ToEmail,
			ToName: m.ToName, Status: m.Status, SentAt: m.SentAt, CreatedAt: m.CreatedAt})
	}
	r, err := s.store.RatingOf(ctx, t.ID, c.ID)
	switch {
	case err == nil:
		et.Rating = &ExportRating{Score: r.Score, Comment: r.Comment, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	case !errors.Is(err, model.ErrNotFound):
		return ExportTicket{}, err
	}
	if et.Role == RoleParticipant {
		ps, err := s.store.Participants(ctx, t.ID)
		if err != nil {
			return ExportTicket{}, err
		}
		for _, p := range ps {
			if p.Email == c.Email {
				et.Participant = &ExportParticipant{Name: p.Name, CreatedAt: p.CreatedAt}
			}
		}
	}
	return et, nil
}
