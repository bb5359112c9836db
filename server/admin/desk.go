package admin

import (
	"context"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/settings"
)

// DeskSettings reads and writes where tickets are mirrored on GitHub
// (github.Service, which checks a discussion category with GitHub).
type DeskSettings interface {
	Desk(ctx context.Context) (settings.Desk, error)
	SetDesk(ctx context.Context, in settings.DeskInput) (settings.Desk, error)
}

// DeskHandler serves GET and PUT /support/admin/settings/github. Its routes
// sit behind Handler.RequireAdmin.
type DeskHandler struct {
	svc DeskSettings
}

// NewDesk returns the desk settings handler.
func NewDesk(s DeskSettings) *DeskHandler { return &DeskHandler{svc: s} }

// GetSettings answers GET /support/admin/settings/github.
func (h *DeskHandler) GetSettings(c *fiber.Ctx) error {
	d, err := h.svc.Desk(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type deskBody struct {
	Desk *string `json:"desk"`
	// DiscussionCategory: absent keeps it, null or "" clears it.
	DiscussionCategory json.RawMessage `json:"discussion_category"`
}

// PutSettings answers PUT /support/admin/settings/github; 503 when GitHub
// could not say whether the category exists (nothing stored).
func (h *DeskHandler) PutSettings(c *fiber.Ctx) error {
	var in deskBody
	if err := decode(c, &in); err != nil {
		return err
	}
	var input settings.DeskInput
	input.Mode = in.Desk
	if len(in.DiscussionCategory) > 0 {
		var cat *string
		if err := json.Unmarshal(in.DiscussionCategory, &cat); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "discussion_category must be a string or null")
		}
		if cat == nil {
			cat = new(string)
		}
		input.DiscussionCategory = cat
	}
	d, err := h.svc.SetDesk(c.UserContext(), input)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
