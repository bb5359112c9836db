package admin

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/settings"
)

// AttachmentSettings reads and writes what customers may upload.
type AttachmentSettings interface {
	Attachments(ctx context.Context) (settings.Attachments, error)
	SetAttachments(ctx context.Context, in settings.AttachmentsInput) (settings.Attachments, error)
}

// AttachmentsHandler serves the upload settings; its routes sit behind
// Handler.RequireAdmin.
type AttachmentsHandler struct{ settings AttachmentSettings }

// NewAttachments returns the upload settings handler.
func NewAttachments(s AttachmentSettings) *AttachmentsHandler {
	return &AttachmentsHandler{settings: s}
}

// attachmentsAnswer is the settings with what an admin may choose from.
type attachmentsAnswer struct {
	settings.Attachments
	// Choices are the types that may be allowed (settings.AttachmentTypes).
	Choices []string `json:"choices"`
}

// GetSettings answers GET /support/admin/settings/attachments.
func (h *AttachmentsHandler) GetSettings(c *fiber.Ctx) error {
	s, err := h.settings.Attachments(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(attachmentsAnswer{s, settings.AttachmentTypes})
}

// attachmentsBody is a PUT; allowed_types absent or null keeps the list,
// [] switches uploads off.
type attachmentsBody struct {
	AllowedTypes []string `json:"allowed_types"`
}

// PutSettings answers PUT /support/admin/settings/attachments.
func (h *AttachmentsHandler) PutSettings(c *fiber.Ctx) error {
	var in attachmentsBody
	if err := decode(c, &in); err != nil {
		return err
	}
	s, err := h.settings.SetAttachments(c.UserContext(), settings.AttachmentsInput(in))
	if err != nil {
		return err
	}
	return c.JSON(attachmentsAnswer{s, settings.AttachmentTypes})
}
