package github

import (
	"strings"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/validate"
)

// filedFrom is the issue body's line about where a widget ticket was filed
// (issue 17): "**Filed from:** [title](<url>) · language en-GB", or "" when
// nothing is known. The page title is the visitor's site's text: every
// Markdown character in it is escaped, so it renders as plain text and
// never as a link, an image or a mention. Only an http(s) URL becomes a
// link (the widget rules allow nothing else; a stored value that breaks
// them is left out).
func filedFrom(t model.Ticket) string {
	var parts []string
	if u := t.PageURL; u != "" && validate.PageURL(u) == "" {
		text := oneLine(t.PageTitle)
		if text == "" {
			text = u
		}
		// In <…> a destination may hold parentheses; the URL rules keep
		// < > and spaces out of it.
		parts = append(parts, "["+escapeMarkdown(text)+"](<"+u+">)")
	}
	if l := t.Locale; l != "" && validate.Locale(l) == "" {
		parts = append(parts, "language "+l)
	}
	if len(parts) == 0 {
		return ""
	}
	return "**Filed from:** " + strings.Join(parts, " · ") + "\n"
}

// escapeMarkdown backslash-escapes every ASCII punctuation character (all of
// them may be escaped in CommonMark) and defuses @mentions, so the text
// renders as itself: no emphasis, links, autolinks, HTML or mentions.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && isASCIIPunct(byte(r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return defuse(b.String())
}

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}
