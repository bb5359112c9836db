package portal

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/views"
)

// DefaultLanguage gives the language the admin chose for customers whose
// own is unknown (settings.Service: Portal().DefaultLanguage).
type DefaultLanguage interface {
	Portal(ctx context.Context) (settings.Portal, error)
}

// languages picks the language of a page.
type languages struct {
	texts    *views.Texts
	defaults DefaultLanguage
}

// pick returns the page's texts: in the contact's stored locale (stored,
// "" when unknown), else the browser's Accept-Language, else the admin's
// default_language, else English. It says which in Content-Language, and
// that the answer depends on Accept-Language.
func (l languages) pick(c *fiber.Ctx, stored string) views.Strings {
	def := i18n.Default
	if p, err := l.defaults.Portal(c.UserContext()); err == nil {
		def = p.DefaultLanguage
	} // without the settings the page still answers, in English
	s := l.texts.Choose(def, stored, c.Get(fiber.HeaderAcceptLanguage))
	c.Set(fiber.HeaderContentLanguage, s.Lang)
	c.Vary(fiber.HeaderAcceptLanguage)
	return s
}
