package github

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/portico/portico/server/markdown"
)

// Commands an agent writes at the start of a line of an issue comment.
const (
	cmdSend    = "/send"
	cmdSendAll = "/sendall"
	cmdReply   = "/reply"
)

// command is the first command line of a comment and what it carries.
type command struct {
	Name string
	// Arg is the canned reply's name (/reply).
	Arg string
	// Text is what /send and /sendall send: the rest of the command line
	// and every line under it.
	Text string
}

// parseCommand finds the first line (outside fenced code blocks) that starts
// with /send, /sendall or /reply. Lines above it are not sent.
func parseCommand(body string) (command, bool) {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		word, rest := trimmed, ""
		if i := strings.IndexAny(trimmed, " \t"); i >= 0 {
			word, rest = trimmed[:i], strings.TrimSpace(trimmed[i+1:])
		}
		switch word {
		case cmdSend, cmdSendAll:
			text := strings.Join(append([]string{rest}, lines[i+1:]...), "\n")
			return command{Name: word, Text: strings.TrimSpace(text)}, true
		case cmdReply:
			name := ""
			if f := strings.Fields(rest); len(f) > 0 {
				name = f[0]
			}
			return command{Name: word, Arg: name}, true
		}
	}
	return command{}, false
}

// RepliesDir holds the canned replies of /reply <name>.
const RepliesDir = ".github/portico/replies/"

var replyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// replyPath is the file of a canned reply; false for a name that is not a
// plain file name.
func replyPath(name string) (string, bool) {
	if !replyName.MatchString(name) || strings.Contains(name, "..") {
		return "", false
	}
	return RepliesDir + strings.TrimSuffix(name, ".md") + ".md", true
}

// replyVars are the placeholders a canned reply may use.
type replyVars struct {
	CustomerName, CustomerEmail, IssueTitle, IssueURL string
	IssueNumber                                       int64
}

var placeholder = regexp.MustCompile(`\{\{\s*([a-z_]+)\s*\}\}`)

// fill replaces {{customer_name}}, {{customer_email}}, {{issue_title}},
// {{issue_number}} and {{issue_url}} (spaces inside the braces allowed);
// other {{...}} stay as written.
func fill(template string, v replyVars) string {
	values := map[string]string{
		"customer_name":  v.CustomerName,
		"customer_email": v.CustomerEmail,
		"issue_title":    v.IssueTitle,
		"issue_number":   strconv.FormatInt(v.IssueNumber, 10),
		"issue_url":      v.IssueURL,
	}
	return placeholder.ReplaceAllStringFunc(template, func(m string) string {
		if v, ok := values[placeholder.FindStringSubmatch(m)[1]]; ok {
			return v
		}
		return m
	})
}

// renderMarkdown turns an agent's Markdown into the HTML part of the mail
// (sanitized); the portal renders the stored reply with the same function.
func renderMarkdown(src string) (string, error) {
	return markdown.ToHTML(src)
}
