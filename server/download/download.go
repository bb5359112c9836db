// Package download moves customers' files over HTTP: it answers a stored
// file as a download with safe headers (the portal, the admin API and the
// signed links GitHub shows share it, so that none imports another), and it
// reads an upload's multipart body for the handlers that take files.
package download

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
)

// Send answers f: as a download (attachment disposition), or, with inline
// and only for a PNG, JPEG, GIF or WebP by its bytes, for an <img> to show.
// The type is the one sniffed from the bytes (attachments.Open: never HTML,
// XML or SVG), nosniff keeps the browser from guessing another, and the
// sandbox CSP disarms the file even if opened as a page. The filename is
// percent-encoded (RFC 6266/5987), so quotes, CR/LF and non-ASCII names
// cannot break the header. It takes f.Body (closed once sent).
func Send(c *fiber.Ctx, f attachments.File, inline bool) {
	disposition := "attachment"
	if inline && f.Image {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentType, f.Type)
	c.Set(fiber.HeaderContentDisposition, disposition+"; filename*=UTF-8''"+url.PathEscape(f.Filename))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Status(fiber.StatusOK)
	c.Response().SetBodyStream(f.Body, int(f.Size))
}
