package validate

// Where a widget ticket was filed from (issue 17): the page's address and
// title and the browser's language. The widget sends them, the visitor never
// types them; the widget checks them with these same rules and leaves out
// what fails, so a 422 naming one of them means a client that is not ours.

// Length limits of the page fields, in characters.
const (
	MaxPageURL   = 2048
	MaxPageTitle = 300
	MaxLocale    = 35
)

// Field names of the page fields.
const (
	FieldPageURL   = "page_url"
	FieldPageTitle = "page_title"
	FieldLocale    = "locale"
)

const (
	msgPageURL = "must be an http or https address like https://example.com/pricing"
	msgLocale  = "must be a language tag like en or pt-BR"
)

// PageInput is what the widget says about the page it runs on. Empty fields
// are unknown, and valid.
type PageInput struct {
	URL, Title, Locale string
}

// Page returns the page fields' errors, keyed by field name; empty when all
// are valid. Callers trim the values first.
func Page(in PageInput) map[string]string {
	errs := map[string]string{}
	if msg := PageURL(in.URL); msg != "" {
		errs[FieldPageURL] = msg
	}
	if msg := PageTitle(in.Title); msg != "" {
		errs[FieldPageTitle] = msg
	}
	if msg := Locale(in.Locale); msg != "" {
		errs[FieldLocale] = msg
	}
	return errs
}

// PageURL accepts "" or an absolute http(s) URL with a host, at most
// MaxPageURL characters, without spaces or control characters. Nothing else
// (javascript:, data:, relative paths) may become a link on GitHub or in
// the admin app. Written with byte loops: the strings helpers would grow
// the widget's wasm.
func PageURL(s string) string {
	if s == "" {
		return ""
	}
	if Runes(s) > MaxPageURL {
		return tooLong(MaxPageURL)
	}
	rest, ok := cutScheme(s)
	if !ok {
		return msgPageURL
	}
	hostStart, hostEnd := 0, len(rest)
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '/' || c == '?' || c == '#' {
			hostEnd = i
			break
		} else if c == '@' {
			hostStart = i + 1 // after user:password@
		}
	}
	if hostStart >= hostEnd || rest[hostStart] == ':' {
		return msgPageURL
	}
	for _, r := range s {
		// Spaces, controls and the characters a URL never holds unescaped
		// that would break out of Markdown or HTML.
		switch {
		case r <= ' ', r == 0x7f, r >= 0x80 && r <= 0x9f, r == '"', r == '<', r == '>', r == '\\', r == '`':
			return msgPageURL
		}
	}
	return ""
}

// PageTitle accepts "" or one line of at most MaxPageTitle characters (tabs
// allowed).
func PageTitle(s string) string {
	return text(s, false, MaxPageTitle, func(r rune) bool { return r == '\t' }, msgControlLine)
}

// Locale accepts "" or a BCP 47-like tag: a 2 to 8 letter language, then
// subtags of 1 to 8 letters or digits, joined by "-", at most MaxLocale
// characters ("en", "pt-BR", "zh-Hant-TW", "de-CH-1996").
func Locale(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > MaxLocale {
		return "must be at most " + grouped(MaxLocale) + " characters"
	}
	part, n := 0, 0 // which subtag, and its length so far
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			if n == 0 || (part == 0 && n < 2) {
				return msgLocale
			}
			part, n = part+1, 0
			continue
		}
		c := s[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		digit := c >= '0' && c <= '9'
		if n++; n > 8 || !(letter || (digit && part > 0)) {
			return msgLocale
		}
	}
	return ""
}

// cutScheme returns what follows "http://" or "https://" (either case).
// ASCII only: strings.EqualFold would pull Unicode's case tables into the
// widget's wasm.
func cutScheme(s string) (string, bool) {
	for _, scheme := range []string{"http://", "https://"} {
		if len(s) < len(scheme) {
			continue
		}
		same := true
		for i := 0; i < len(scheme); i++ {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != scheme[i] {
				same = false
				break
			}
		}
		if same {
			return s[len(scheme):], true
		}
	}
	return "", false
}
