// Package download answers a stored file as a download with safe headers. The
// portal (a customer's attachments) and the admin API (any attachment) share
// it, so that neither handler imports the other.
package download

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/model"
)

// Attachment sends a as a download: never rendered by the browser (generic
// type, attachment disposition, nosniff), whatever the sender claimed its
// type was; the filename is percent-encoded (RFC 6266/5987), so quotes,
// CR/LF and non-ASCII names cannot break the header.
func Attachment(c *fiber.Ctx, a model.Attachment) {
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(a.Filename))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Response().SetBodyRaw(a.Data)
}
