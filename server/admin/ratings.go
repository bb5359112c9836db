package admin

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/ratings"
)

// RatingsService counts the customers' answers to "How did we do?".
type RatingsService interface {
	Summary(ctx context.Context) (ratings.Summary, error)
}

// RatingsHandler serves the ratings summary of the admin home. Its routes sit
// behind Handler.RequireAdmin.
type RatingsHandler struct {
	svc RatingsService
}

// NewRatings returns the ratings handler.
func NewRatings(svc RatingsService) *RatingsHandler { return &RatingsHandler{svc: svc} }

// Summary answers GET /support/admin/ratings/summary: the answers of the last
// 30 days by score, {days, since, good, okay, bad, total}.
func (h *RatingsHandler) Summary(c *fiber.Ctx) error {
	s, err := h.svc.Summary(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"days": s.Days, "since": s.Since, "good": s.Good, "okay": s.Okay, "bad": s.Bad,
		"total": s.Good + s.Okay + s.Bad})
}
