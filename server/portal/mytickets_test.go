package portal

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/views"
)

// The longest list (tickets.MyTicketsShown requests with the widest
// subjects, cut to listSubject characters) stays under 15 KB.
func TestMyTicketsListSize(t *testing.T) {
	subject := strings.Repeat("𝄞", 500) // 4 bytes each, the widest
	if got := shorten(subject, listSubject); len([]rune(got)) != listSubject || !strings.HasSuffix(got, "…") {
		t.Fatalf("shorten: %d characters", len([]rune(got)))
	}
	if got := shorten("short", listSubject); got != "short" {
		t.Errorf("shorten(short) = %q", got)
	}
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := views.NewTexts(catalog)
	if err != nil {
		t.Fatal(err)
	}
	// In every language: the longest wording must fit too.
	for _, lang := range i18n.Languages {
		s := texts.For(lang)
		d := views.MyTicketsListData{S: s, Nonce: strings.Repeat("a", 32), CSRF: strings.Repeat("b", 64),
			Email: strings.Repeat("x", 64) + "@" + strings.Repeat("y", 250) + ".com", More: true, ExpiresAt: time.Now()}
		for i := range tickets.MyTicketsShown {
			row := views.MyTicketRow{Reference: "TK-1000000", Subject: shorten(subject, listSubject), LastActivity: time.Now()}
			if i%2 == 0 {
				row.URL = "/portal/tickets/TK-1000000"
			} else {
				row.Note = s.MyTickets.LinkExpired
			}
			d.Tickets = append(d.Tickets, row)
		}
		var b bytes.Buffer
		if err := views.MyTicketsList(d).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.Len() > 15<<10 {
			t.Errorf("%s: the list is %d bytes", lang, b.Len())
		}
	}
}
