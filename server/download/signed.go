package download

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/model"
)

// SignedFiles checks signed links and opens what they name
// (attachments.Service).
type SignedFiles interface {
	Verify(id int64, exp, sig string) error
	Open(ctx context.Context, id int64) (attachments.File, error)
}

// SignedHandler serves GET /support/attachments/:id?exp=&sig=: the links
// GitHub shows agents, which work without a session until they expire.
type SignedHandler struct{ files SignedFiles }

// NewSigned returns the handler of signed links.
func NewSigned(f SignedFiles) *SignedHandler { return &SignedHandler{files: f} }

// Get answers a signed link: the file as a download; 403 for a signature
// that does not match (checked first, so a forged link learns nothing of
// expiry or existence), 410 once expired, 404 for an attachment that is
// gone (erased).
func (h *SignedHandler) Get(c *fiber.Ctx) error {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return model.ErrNotFound
	}
	if err := h.files.Verify(id, c.Query("exp"), c.Query("sig")); err != nil {
		return err
	}
	f, err := h.files.Open(c.UserContext(), id)
	if err != nil {
		return err
	}
	Send(c, f, false)
	return nil
}
