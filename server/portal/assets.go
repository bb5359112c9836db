package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/views"
)

// AssetsRoute is where the pages' static files are served.
const AssetsRoute = views.AssetsPrefix + ":file"

// Asset answers GET /portal/assets/:file: the pages' upload script under
// its content-hashed name, cached for a year (a new build is a new name);
// any other name is 404.
func Asset(c *fiber.Ctx) error {
	name, body := views.UploadScript()
	if c.Params("file") != name {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return fiber.NewError(fiber.StatusNotFound, "no such asset")
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(body)
}
