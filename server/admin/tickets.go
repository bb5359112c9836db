package admin

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/tickets"
)

type ticketSummary struct {
	ID                int64      `json:"id"`
	Reference         string     `json:"reference"`
	Subject           string     `json:"subject"`
	Status            string     `json:"status"`
	Priority          string     `json:"priority"`
	Channel           string     `json:"channel"`
	ContactID         *int64     `json:"contact_id"`
	RequesterID       int64      `json:"requester_id"`
	ClosedAt          *time.Time `json:"closed_at"`
	GitHubIssueNumber *int64     `json:"github_issue_number"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func summary(t model.Ticket) ticketSummary {
	return ticketSummary{
		ID: t.ID, Reference: t.Reference, Subject: t.Subject, Status: t.Status, Priority: t.Priority, Channel: t.Channel,
		ContactID: t.ContactID, RequesterID: t.RequesterID, ClosedAt: t.ClosedAt, GitHubIssueNumber: t.GitHubIssueNumber,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

// ListTickets answers GET /support/admin/tickets?q=&status=&page=.
func (h *Handler) ListTickets(c *fiber.Ctx) error {
	page := 1
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return fiber.NewError(fiber.StatusBadRequest, "page must be a positive integer")
		}
		page = n
	}
	list, total, err := h.tickets.List(c.UserContext(), tickets.ListQuery{Query: c.Query("q"), Status: c.Query("status"), Page: page})
	if err != nil {
		return err
	}
	out := make([]ticketSummary, len(list))
	for i, t := range list {
		out[i] = summary(t)
	}
	return c.JSON(fiber.Map{"tickets": out, "total": total, "page": page, "page_size": tickets.PageSize})
}

type contactView struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	UserID *int64 `json:"user_id"`
	// Locale is the language portico writes to the contact in; "" while
	// unknown (then the default language).
	Locale string `json:"locale"`
}

type messageView struct {
	ID          int64     `json:"id"`
	Direction   string    `json:"direction"`
	Source      string    `json:"source"`
	AuthorName  string    `json:"author_name"`
	AuthorEmail string    `json:"author_email"`
	Body        string    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
}

type linkView struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	State     string     `json:"state"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	CreatedAt time.Time  `json:"created_at"`
}

type participantView struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type ticketDetail struct {
	ID                int64         `json:"id"`
	Reference         string        `json:"reference"`
	Subject           string        `json:"subject"`
	Status            string        `json:"status"`
	Priority          string        `json:"priority"`
	Channel           string        `json:"channel"`
	RequesterID       int64         `json:"requester_id"`
	ClosedAt          *time.Time    `json:"closed_at"`
	GitHubIssueNumber *int64        `json:"github_issue_number"`
	CreatedAt         time.Time     `json:"created_at"`
	Contact           *contactView  `json:"contact"`
	Messages          []messageView `json:"messages"`
	PortalLinks       []linkView    `json:"portal_links"`
	Attachments       []fileView    `json:"attachments"`
	Tags              []string      `json:"tags"`
	// PortalStoppedAt is set while the ticket's portal is stopped.
	PortalStoppedAt *time.Time        `json:"portal_stopped_at"`
	Participants    []participantView `json:"participants"`
	// Origin is where a widget ticket was filed from; null when unknown.
	Origin  *originView  `json:"origin"`
	Ratings []ratingView `json:"ratings"`
}

// originView is where a ticket was filed from (issue 17); empty strings are
// unknown.
type originView struct {
	PageURL   string `json:"page_url"`
	PageTitle string `json:"page_title"`
	Locale    string `json:"locale"`
}

func origin(t model.Ticket) *originView {
	if t.PageURL == "" && t.PageTitle == "" && t.Locale == "" {
		return nil
	}
	return &originView{PageURL: t.PageURL, PageTitle: t.PageTitle, Locale: t.Locale}
}

// ratingView is a customer's answer to "How did we do?".
type ratingView struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Score     string    `json:"score"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type fileView struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"message_id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// GetTicket answers GET /support/admin/tickets/:reference.
func (h *Handler) GetTicket(c *fiber.Ctx) error {
	ref, err := url.PathUnescape(c.Params("reference"))
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+c.Params("reference"))
	}
	d, err := h.tickets.Get(c.UserContext(), ref)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+ref)
	}
	if err != nil {
		return err
	}
	t := d.Ticket
	out := ticketDetail{
		ID: t.ID, Reference: t.Reference, Subject: t.Subject, Status: t.Status, Priority: t.Priority, Channel: t.Channel,
		RequesterID: t.RequesterID, ClosedAt: t.ClosedAt, GitHubIssueNumber: t.GitHubIssueNumber, CreatedAt: t.CreatedAt,
		Messages: make([]messageView, len(d.Messages)), PortalLinks: make([]linkView, len(d.Links)),
		Attachments: make([]fileView, len(d.Attachments)),
		Tags:        d.Tags, PortalStoppedAt: t.PortalStoppedAt, Origin: origin(t), Participants: make([]participantView, len(d.Participants)),
		Ratings: make([]ratingView, len(d.Ratings)),
	}
	for i, p := range d.Participants {
		out.Participants[i] = participantView{Email: p.Email, Name: p.Name}
	}
	for i, r := range d.Ratings {
		out.Ratings[i] = ratingView{ID: r.ID, ContactID: r.ContactID, Score: r.Score, Comment: r.Comment,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	for i, a := range d.Attachments {
		out.Attachments[i] = fileView{ID: a.ID, MessageID: a.MessageID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size}
	}
	if d.Contact != nil {
		out.Contact = &contactView{ID: d.Contact.ID, Email: d.Contact.Email, Name: d.Contact.Name, UserID: d.Contact.UserID, Locale: d.Contact.Locale}
	}
	for i, m := range d.Messages {
		out.Messages[i] = messageView{ID: m.ID, Direction: m.Direction, Source: m.Source, AuthorName: m.AuthorName,
			AuthorEmail: m.AuthorEmail, Body: m.Body, CreatedAt: m.CreatedAt}
	}
	for i, l := range d.Links {
		out.PortalLinks[i] = linkView{ID: l.ID, Email: l.Email, State: l.State, ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt, CreatedAt: l.CreatedAt}
	}
	return c.JSON(out)
}

type promoteBody struct {
	UserID int64 `json:"user_id"`
}

// PromoteContact answers POST /support/admin/contacts/:id/promote.
func (h *Handler) PromoteContact(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "no contact "+c.Params("id"))
	}
	var in promoteBody
	if err := decode(c, &in); err != nil {
		return err
	}
	contact, n, err := h.contacts.PromoteToUser(c.UserContext(), id, in.UserID)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no contact "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"contact":         contactView{ID: contact.ID, Email: contact.Email, Name: contact.Name, UserID: contact.UserID, Locale: contact.Locale},
		"tickets_updated": n,
	})
}

// RevokePortalLinks answers POST /support/admin/tickets/:reference/portal-links/revoke.
func (h *Handler) RevokePortalLinks(c *fiber.Ctx) error {
	ref, err := url.PathUnescape(c.Params("reference"))
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+c.Params("reference"))
	}
	n, err := h.tickets.RevokePortalLinks(c.UserContext(), ref)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+ref)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": n})
}

type issueLinkBody struct {
	Email string `json:"email"`
}

// IssuePortalLink answers POST /support/admin/tickets/:reference/portal-links/issue
// {email}: a mail with a fresh portal link is queued for that person (202).
func (h *Handler) IssuePortalLink(c *fiber.Ctx) error {
	ref, err := url.PathUnescape(c.Params("reference"))
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+c.Params("reference"))
	}
	var in issueLinkBody
	if err := decode(c, &in); err != nil {
		return err
	}
	err = h.tickets.IssuePortalLink(c.UserContext(), ref, in.Email)
	switch {
	case errors.Is(err, tickets.ErrUnknownAddress):
		return fiber.NewError(fiber.StatusNotFound, "nobody with the address "+contacts.Normalize(in.Email)+" is known to portico")
	case errors.Is(err, model.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+ref)
	case err != nil:
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"reference": canonical(ref), "email": contacts.Normalize(in.Email), "queued": true})
}

// StopPortal answers POST /support/admin/tickets/:reference/portal/stop.
func (h *Handler) StopPortal(c *fiber.Ctx) error {
	return h.setPortal(c, true, h.tickets.StopPortal)
}

// ResumePortal answers POST /support/admin/tickets/:reference/portal/resume.
func (h *Handler) ResumePortal(c *fiber.Ctx) error {
	return h.setPortal(c, false, h.tickets.ResumePortal)
}

func (h *Handler) setPortal(c *fiber.Ctx, stopped bool, set func(context.Context, string) (bool, error)) error {
	ref, err := url.PathUnescape(c.Params("reference"))
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+c.Params("reference"))
	}
	changed, err := set(c.UserContext(), ref)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+ref)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reference": canonical(ref), "portal_stopped": stopped, "changed": changed})
}

// canonical is a reference the service accepted, written as TK-n.
func canonical(ref string) string {
	id, _ := model.ParseReference(ref)
	return model.Reference(id)
}

// CloseTicket answers POST /support/admin/tickets/:reference/close: the
// ticket closes as when its issue is closed (ticket.closed, retention clock);
// a closed ticket stays as it is ("changed": false).
func (h *Handler) CloseTicket(c *fiber.Ctx) error {
	return h.setState(c, model.StatusClosed, h.tickets.Close)
}

// ReopenTicket answers POST /support/admin/tickets/:reference/reopen.
func (h *Handler) ReopenTicket(c *fiber.Ctx) error {
	return h.setState(c, model.StatusOpen, h.tickets.Reopen)
}

// setState makes the change and answers with the status the ticket now has.
func (h *Handler) setState(c *fiber.Ctx, status string, change func(context.Context, int64, tickets.StateChange) (bool, error)) error {
	ref, err := url.PathUnescape(c.Params("reference"))
	id, ok := model.ParseReference(ref)
	if err != nil || !ok {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+c.Params("reference"))
	}
	changed, err := change(c.UserContext(), id, tickets.StateChange{})
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no ticket "+ref)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reference": model.Reference(id), "status": status, "changed": changed})
}

type signupTokenBody struct {
	Token string `json:"token"`
}

// VerifySignupToken answers POST /support/admin/signup-tokens/verify: the
// host app exchanges the token from a signup invitation for the contact. A
// token works once.
func (h *Handler) VerifySignupToken(c *fiber.Ctx) error {
	var in signupTokenBody
	if err := decode(c, &in); err != nil {
		return err
	}
	contact, err := h.signups.Verify(c.UserContext(), in.Token)
	switch {
	case errors.Is(err, contacts.ErrSignupTokenInvalid), errors.Is(err, model.ErrNotFound):
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fiber.Map{"token": "is not a valid signup token"}})
	case errors.Is(err, contacts.ErrSignupTokenExpired):
		return fiber.NewError(fiber.StatusGone, "the signup token has expired")
	case errors.Is(err, contacts.ErrSignupTokenUsed):
		return fiber.NewError(fiber.StatusConflict, "the signup token was already used")
	case err != nil:
		return err
	}
	return c.JSON(fiber.Map{"contact_id": contact.ID, "email": contact.Email})
}

// Attachment answers GET /support/admin/attachments/:id with the file.
func (h *Handler) Attachment(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no attachment "+c.Params("id"))
	}
	f, err := h.tickets.OpenAttachment(c.UserContext(), id)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no attachment "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	download.Send(c, f, false)
	return nil
}
