package admin

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
)

// HeldInbound lists, releases and discards inbound mail held because its
// sender was not authenticated.
type HeldInbound interface {
	HeldMails(ctx context.Context) ([]tickets.HeldMail, error)
	ReleaseHeld(ctx context.Context, id int64) (tickets.InboundResult, error)
	DiscardHeld(ctx context.Context, id int64) error
}

// InboundSettings reads and writes the inbound settings.
type InboundSettings interface {
	Inbound(ctx context.Context) (settings.Inbound, error)
	SetInbound(ctx context.Context, in settings.InboundInput) (settings.Inbound, error)
}

// InboundHandler serves the inbound settings and the held-mail queue. Its
// routes sit behind Handler.RequireAdmin.
type InboundHandler struct {
	held     HeldInbound
	settings InboundSettings
	log      *slog.Logger
}

// NewInbound returns the inbound admin handler.
func NewInbound(held HeldInbound, s InboundSettings, log *slog.Logger) *InboundHandler {
	return &InboundHandler{held: held, settings: s, log: log}
}

// GetSettings answers GET /support/admin/settings/inbound.
func (h *InboundHandler) GetSettings(c *fiber.Ctx) error {
	s, err := h.settings.Inbound(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(s)
}

type inboundBody struct {
	Unauthenticated *string `json:"unauthenticated"`
}

// PutSettings answers PUT /support/admin/settings/inbound.
func (h *InboundHandler) PutSettings(c *fiber.Ctx) error {
	var in inboundBody
	if err := decode(c, &in); err != nil {
		return err
	}
	s, err := h.settings.SetInbound(c.UserContext(), settings.InboundInput(in))
	if err != nil {
		return err
	}
	return c.JSON(s)
}

// ListHeld answers GET /support/admin/inbound/held.
func (h *InboundHandler) ListHeld(c *fiber.Ctx) error {
	list, err := h.held.HeldMails(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"held": list})
}

func heldID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.NewError(fiber.StatusNotFound, "no held mail "+strconv.Quote(c.Params("id")))
	}
	return id, nil
}

// ReleaseHeld answers POST /support/admin/inbound/held/:id/release: the mail
// is filed as if its sender were authenticated.
func (h *InboundHandler) ReleaseHeld(c *fiber.Ctx) error {
	id, err := heldID(c)
	if err != nil {
		return err
	}
	res, err := h.held.ReleaseHeld(c.UserContext(), id)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no held mail "+strconv.FormatInt(id, 10)+" (released or discarded already?)")
	}
	if err != nil {
		return err
	}
	out := fiber.Map{"outcome": res.Outcome, "reason": res.Reason}
	if res.Ticket != nil {
		out["ticket_reference"] = res.Ticket.Reference
	}
	h.log.InfoContext(c.UserContext(), "held inbound mail released", "held_id", id, "by", actor(c), "outcome", res.Outcome)
	return c.JSON(out)
}

// DiscardHeld answers POST /support/admin/inbound/held/:id/discard.
func (h *InboundHandler) DiscardHeld(c *fiber.Ctx) error {
	id, err := heldID(c)
	if err != nil {
		return err
	}
	if err := h.held.DiscardHeld(c.UserContext(), id); errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no held mail "+strconv.FormatInt(id, 10)+" (released or discarded already?)")
	} else if err != nil {
		return err
	}
	h.log.InfoContext(c.UserContext(), "held inbound mail discarded", "held_id", id, "by", actor(c))
	return c.SendStatus(fiber.StatusNoContent)
}
