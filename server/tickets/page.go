package tickets

import (
	"strings"

	"github.com/portico/portico/server/validate"
)

// cleanPage trims the page fields the widget sent.
func cleanPage(p validate.PageInput) validate.PageInput {
	return validate.PageInput{URL: validate.Trim(p.URL), Title: validate.Trim(p.Title), Locale: validate.Trim(p.Locale)}
}

// pageURLWithoutFragment drops the #fragment of a valid page URL: browsers
// never send it to a server, and single-page apps keep sign-in tokens there.
func pageURLWithoutFragment(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		return u[:i]
	}
	return u
}
