package admin

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/model"
)

// FirstRun creates the first admin through the one-time set-up link that
// portico prints at start-up while no admin exists.
type FirstRun interface {
	// SetupRequired reports whether no admin exists yet.
	SetupRequired(ctx context.Context) (bool, error)
	// AllowSetup returns how long a client address must wait when it has
	// tried too often.
	AllowSetup(ctx context.Context, clientIP string) (time.Duration, error)
	// Setup creates the admin and returns a session token; errors are
	// adminauth.ErrSetupDone, adminauth.ErrSetupToken or model.FieldErrors.
	Setup(ctx context.Context, token, email, password string) (string, model.Admin, error)
}

// SetupHandler serves /support/admin/api/setup.
type SetupHandler struct {
	firstRun FirstRun
	origin   string
	secure   bool
}

// NewSetup returns the set-up handler; origin and secureCookie as for New.
func NewSetup(f FirstRun, origin string, secureCookie bool) *SetupHandler {
	return &SetupHandler{firstRun: f, origin: origin, secure: secureCookie}
}

// Status answers GET /support/admin/api/setup: 200 {"required": true} while
// no admin exists (the sign-in page then points at the printed link), 410
// afterwards.
func (h *SetupHandler) Status(c *fiber.Ctx) error {
	required, err := h.firstRun.SetupRequired(c.UserContext())
	if err != nil {
		return err
	}
	if !required {
		return fiber.NewError(fiber.StatusGone, adminauth.ErrSetupDone.Error())
	}
	return c.JSON(fiber.Map{"required": true})
}

type setupBody struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Setup answers POST /support/admin/api/setup {token, email, password}:
// the first admin is created and signed in (the session cookie of Login).
// 401 for a missing, wrong or used token, 410 once an admin exists, 422 for
// bad fields, 429 when the client tried too often.
func (h *SetupHandler) Setup(c *fiber.Ctx) error {
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !sameOrigin(c, h.origin) {
		return fiber.NewError(fiber.StatusForbidden, "cross-site set-up refused")
	}
	var in setupBody
	if err := decode(c, &in); err != nil {
		return err
	}
	if wait, err := h.firstRun.AllowSetup(c.UserContext(), clientip.String(c.UserContext())); err != nil {
		return err
	} else if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		return fiber.NewError(fiber.StatusTooManyRequests, "too many set-up attempts; try again later")
	}
	token, admin, err := h.firstRun.Setup(c.UserContext(), in.Token, in.Email, in.Password)
	switch {
	case errors.Is(err, adminauth.ErrSetupDone):
		return fiber.NewError(fiber.StatusGone, err.Error())
	case errors.Is(err, adminauth.ErrSetupToken):
		return fiber.NewError(fiber.StatusUnauthorized, err.Error())
	case err != nil:
		return err
	}
	c.Cookie(sessionCookie(token, h.secure))
	return c.JSON(adminView{ID: admin.ID, Email: admin.Email})
}
