package github

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/server/model"
)

// What portico posts on GitHub. Every post starts with a hidden marker
// (<!-- portico:ticket=12 -->, <!-- portico:message=34 -->,
// <!-- portico:notice=5678 -->) that names what it is for: a retried job
// finds its earlier post by it, and the webhook knows portico's own comments
// by it.

// markerPrefix starts every post of portico's.
const markerPrefix = "<!-- portico:"

// Keys of github_posts: what a post is for.
func issueKey(ticketID int64) string    { return "ticket:" + strconv.FormatInt(ticketID, 10) }
func messageKey(messageID int64) string { return "message:" + strconv.FormatInt(messageID, 10) }
func noticeKey(commentID int64) string  { return "notice:" + strconv.FormatInt(commentID, 10) }

// reopenKey is the comment saying that customer message messageID reopened
// the ticket; stateKey is bringing the issue to the ticket's state after the
// event eventID (a close, or a reopen that is not a customer's).
func reopenKey(messageID int64) string { return "reopen:" + strconv.FormatInt(messageID, 10) }
func stateKey(eventID string) string   { return "state:" + eventID }

// marker is the hidden first line of the post under key.
func marker(key string) string {
	return markerPrefix + strings.Replace(key, ":", "=", 1) + " -->"
}

// hasMarker reports whether a GitHub body starts with marker (only the start
// counts: a customer's quoted text never comes first).
func hasMarker(body, marker string) bool {
	return strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), marker)
}

// isOwnPost reports whether a comment body is one of portico's posts.
func isOwnPost(body string) bool {
	return strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), markerPrefix)
}

// GitHub's limits: titles up to 256 characters, bodies up to 65,536.
const (
	maxTitle = 256
	maxBody  = 60000
)

// issueTitle is "[TK-12] <subject>".
func issueTitle(t model.Ticket) string {
	return cut("["+t.Reference+"] "+oneLine(t.Subject), maxTitle, "…")
}

// issueLabels are "portico" and where the ticket came from.
func issueLabels(t model.Ticket) []string {
	return []string{"portico", "from-" + t.Channel}
}

// issueBody shows the customer's first message with the channel and the
// contact, under the ticket's marker.
func issueBody(src issueSource) string {
	var b strings.Builder
	b.WriteString(marker(issueKey(src.Ticket.ID)) + "\n")
	fmt.Fprintf(&b, "**Channel:** %s\n", src.Ticket.Channel)
	switch {
	case src.Contact != nil:
		fmt.Fprintf(&b, "**Contact:** %s\n", defuse(person(src.Contact.Name, src.Contact.Email)))
	case src.Ticket.RequesterID != 0:
		fmt.Fprintf(&b, "**Contact:** host-app user %d (no email)\n", src.Ticket.RequesterID)
	default:
		b.WriteString("**Contact:** none\n")
	}
	fmt.Fprintf(&b, "**Priority:** %s\n", src.Ticket.Priority)
	b.WriteString(filedFrom(src.Ticket))
	b.WriteString("\n")
	b.WriteString(quote(src.Message.Body))
	return cut(b.String(), maxBody, "\n\n_(cut here; the whole message is in portico)_")
}

// replyComment mirrors a customer's reply:
// "📨 Reply via portal — from Name <email>" and the quoted text.
func replyComment(m model.Message) string {
	how := "📨 Reply via portal"
	if m.Source == model.SourceEmail {
		how = "📧 Reply via email"
	}
	s := marker(messageKey(m.ID)) + "\n" + how + " — from " + defuse(person(m.AuthorName, m.AuthorEmail)) + "\n\n" + quote(m.Body)
	return cut(s, maxBody, "\n\n_(cut here; the whole message is in portico)_")
}

// reopenComment tells the agents that a customer's reply reopened the
// ticket (and so the issue): "🔓 Reopened: Name <email> replied via portal."
func reopenComment(m model.Message) string {
	how := "portal"
	if m.Source == model.SourceEmail {
		how = "email"
	}
	who := "the customer"
	if m.AuthorEmail != "" {
		who = defuse(person(m.AuthorName, m.AuthorEmail))
	}
	return marker(reopenKey(m.ID)) + "\n🔓 **Reopened:** " + who + " replied via " + how + "."
}

// noticeComment explains why a command in comment commentID did nothing.
func noticeComment(commentID int64, detail string) string {
	return marker(noticeKey(commentID)) + "\n⚠️ " + detail
}

// person is "Name <email>", or "<email>" without a name.
func person(name, email string) string {
	name = oneLine(name)
	if name == "" {
		return "<" + email + ">"
	}
	return name + " <" + email + ">"
}

// quote makes a customer's text a Markdown block quote, its @mentions
// defused.
func quote(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return "> _(empty)_"
	}
	lines := strings.Split(defuse(text), "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// mention is an @mention as GitHub links it: @ at the start or after a
// character that cannot be part of a login or an email address.
var mention = regexp.MustCompile(`(?m)(^|[^\w@/.-])@([A-Za-z0-9])`)

// defuse keeps a customer's "@someone" from notifying a GitHub user: a zero
// width space goes between the @ and the name.
func defuse(s string) string {
	return mention.ReplaceAllString(s, "$1@\u200b$2")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cut shortens s to at most n characters, ending with tail when it cut.
func cut(s string, n int, tail string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-utf8.RuneCountInString(tail)]) + tail
}
