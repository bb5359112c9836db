// Package markdown renders agents' Markdown replies as the sanitized HTML
// that customers get in the mail, and sanitizes that HTML again where the
// portal page shows it, with the same policy.
package markdown

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// ugc is bluemonday's policy for user-generated content: formatting, links
// and images stay; scripts, styles and event handlers go.
var ugc = bluemonday.UGCPolicy()

// renderer renders as GitHub shows comments (GitHub Flavored Markdown, line
// breaks kept). Built once: goldmark's parsers and renderers keep no state
// between calls, and building them takes longer than rendering a reply.
var renderer = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(html.WithHardWraps(), html.WithUnsafe()),
)

// ToHTML turns an agent's Markdown into HTML, then sanitizes it: raw HTML is
// let through the renderer only to be cleaned here. The result is safe to
// insert into a page or a mail as is.
func ToHTML(src string) (string, error) {
	var b bytes.Buffer
	if err := renderer.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("markdown: render: %w", err)
	}
	return Sanitize(b.String()), nil
}

// Sanitize keeps what the mails' policy keeps of an HTML fragment. It is
// idempotent: HTML that ToHTML made comes out unchanged.
func Sanitize(html string) string {
	return strings.TrimSpace(ugc.Sanitize(html))
}
