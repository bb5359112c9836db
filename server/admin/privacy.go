package admin

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/privacy"
	"github.com/portico/portico/server/settings"
)

// PrivacyService exports and erases contacts.
type PrivacyService interface {
	Export(ctx context.Context, contactID int64, actor string) (privacy.Export, error)
	EraseContact(ctx context.Context, contactID int64, actor string) (privacy.Erasure, error)
}

// PrivacySettings reads and writes the retention purge setting.
type PrivacySettings interface {
	Privacy(ctx context.Context) (settings.Privacy, error)
	SetPrivacy(ctx context.Context, in settings.PrivacyInput) (settings.Privacy, error)
}

// PrivacyHandler serves the contact export and erasure and the privacy
// settings. Its routes sit behind Handler.RequireAdmin, which says who the
// caller is.
type PrivacyHandler struct {
	svc      PrivacyService
	settings PrivacySettings
}

// NewPrivacy returns the privacy handler.
func NewPrivacy(svc PrivacyService, s PrivacySettings) *PrivacyHandler {
	return &PrivacyHandler{svc: svc, settings: s}
}

// actor is who is calling, for the audit: the signed-in admin's email, or
// the host app's bearer token.
func actor(c *fiber.Ctx) string {
	if a, ok := c.Locals(adminLocal).(model.Admin); ok {
		return a.Email
	}
	return privacy.ActorAPIToken
}

func contactID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.NewError(fiber.StatusNotFound, "no contact "+c.Params("id"))
	}
	return id, nil
}

// ExportContact answers GET /support/admin/contacts/:id/export with one JSON
// document (a download) of everything held about the contact.
func (h *PrivacyHandler) ExportContact(c *fiber.Ctx) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	doc, err := h.svc.Export(c.UserContext(), id, actor(c))
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no contact "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="portico-contact-`+strconv.FormatInt(id, 10)+`.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

type erasureView struct {
	Contact       contactView `json:"contact"`
	ErasedAt      time.Time   `json:"erased_at"`
	ErasedBy      string      `json:"erased_by"`
	AlreadyErased bool        `json:"already_erased"`
	Tickets       int64       `json:"tickets_erased"`
	Messages      int64       `json:"messages_erased"`
	Attachments   int64       `json:"attachments_deleted"`
	PortalLinks   int64       `json:"portal_links_revoked"`
}

// EraseContact answers POST /support/admin/contacts/:id/erase. Erasing is
// for good; a second call answers 200 with already_erased and the first
// erasure's time and author.
func (h *PrivacyHandler) EraseContact(c *fiber.Ctx) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	e, err := h.svc.EraseContact(c.UserContext(), id, actor(c))
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no contact "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(erasureView{
		Contact:  contactView{ID: e.Contact.ID, Email: e.Contact.Email, Name: e.Contact.Name, UserID: e.Contact.UserID, Locale: e.Contact.Locale},
		ErasedAt: e.ErasedAt, ErasedBy: e.ErasedBy, AlreadyErased: e.AlreadyErased, Tickets: e.Tickets,
		Messages: e.Erased.Messages, Attachments: e.Erased.Attachments, PortalLinks: e.Erased.PortalLinks,
	})
}

// GetSettings answers GET /support/admin/settings/privacy.
func (h *PrivacyHandler) GetSettings(c *fiber.Ctx) error {
	p, err := h.settings.Privacy(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type privacyBody struct {
	PurgeClosedAfter json.RawMessage `json:"purge_closed_after"`
}

// PutSettings answers PUT /support/admin/settings/privacy: purge_closed_after
// is a period such as 365d, or null or "" to switch the purge off; left out,
// it keeps its value.
func (h *PrivacyHandler) PutSettings(c *fiber.Ctx) error {
	var in privacyBody
	if err := decode(c, &in); err != nil {
		return err
	}
	var set settings.PrivacyInput
	switch raw := in.PurgeClosedAfter; {
	case len(raw) == 0:
	case string(raw) == "null":
		set.PurgeClosedAfter = new(string)
	default:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fiber.Map{
				"purge_closed_after": `must be a period such as 365d, or null to switch the purge off`}})
		}
		set.PurgeClosedAfter = &s
	}
	p, err := h.settings.SetPrivacy(c.UserContext(), set)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
