package github

import (
	"context"
	"strconv"
	"strings"

	"github.com/portico/portico/server/attachments"
)

// FileSigner makes the expiring links to attachments that GitHub shows
// (attachments.Service): agents have no portal link and no admin session,
// and GitHub must not hold the files themselves.
type FileSigner interface {
	SignedURL(id int64) string
}

// fileLink is an attachment as an issue or comment lists it.
type fileLink struct {
	Name, Type, URL string
	Size            int64
}

// fileLinks lists a message's attachments with signed links, signed now:
// they work for attachments.DefaultLinkTTL from when the post is made.
func (s *Service) fileLinks(ctx context.Context, messageID int64) ([]fileLink, error) {
	as, err := s.store.AttachmentsOfMessage(ctx, messageID)
	if err != nil {
		return nil, err
	}
	links := make([]fileLink, 0, len(as))
	for _, a := range as {
		l := fileLink{Name: a.Filename, Type: a.ContentType, Size: a.Size}
		if s.links != nil {
			l.URL = s.links.SignedURL(a.ID)
		}
		links = append(links, l)
	}
	return links, nil
}

// filesSection is the list of a post's attachments, "" without any. A
// customer's file name is text: Markdown in it is escaped and @mentions
// defused, so a name can neither notify anyone nor become another link.
func filesSection(files []fileLink) string {
	if len(files) == 0 {
		return ""
	}
	var b strings.Builder
	days := strconv.Itoa(int(attachments.DefaultLinkTTL.Hours() / 24))
	b.WriteString("\n\n**Attachments** (links work for " + days + " days; open the ticket in portico after that):\n")
	for _, f := range files {
		name := escapeMarkdown(oneLine(f.Name))
		if f.URL != "" {
			b.WriteString("- [" + name + "](" + f.URL + ")")
		} else {
			b.WriteString("- " + name)
		}
		b.WriteString(" (" + sizeText(f.Size) + ", " + escapeMarkdown(f.Type) + ")\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+512)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
