package widget

import (
	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/views"
)

// DemoHeaders sets the demo page's CSP: our own scripts (the widget loader
// and its runtime), WebAssembly, the widget API and Turnstile; nothing else.
func (h *Handler) DemoHeaders(c *fiber.Ctx) error {
	n, err := newNonce(c)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+n+"' 'wasm-unsafe-eval' https://challenges.cloudflare.com; "+
		"style-src 'self' 'nonce-"+n+"'; connect-src 'self' https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com; "+
		"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Next()
}

// Demo answers GET /: a plain marketing page that embeds the widget with
// the tag a site pastes, pointing at the host this page was asked on, so
// that `make run` shows the widget at once.
func (h *Handler) Demo(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Demo(views.DemoData{Nonce: nonce(c), BaseURL: c.BaseURL()}))
}
