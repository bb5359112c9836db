package validate

import "unicode/utf8"

// Admin passwords: PORTICO_ADMIN_PASSWORD and the first-run set-up page
// follow the same rule.
const (
	MinAdminPassword = 8
	MaxAdminPassword = 1024
)

// AdminPassword validates an admin's password: 8 to 1,024 characters of
// valid UTF-8. Spaces count; nothing is trimmed.
func AdminPassword(s string) string {
	switch n := Runes(s); {
	case s == "":
		return msgRequired
	case n < MinAdminPassword:
		return "must be at least " + grouped(MinAdminPassword) + " characters long"
	case n > MaxAdminPassword:
		return tooLong(MaxAdminPassword)
	}
	if !utf8.ValidString(s) {
		return msgInvalidUTF8
	}
	return ""
}
