package github

import (
	"strings"
	"testing"

	"github.com/portico/portico/server/model"
)

func TestFiledFrom(t *testing.T) {
	for _, c := range []struct {
		name string
		in   model.Ticket
		want string
	}{
		{"nothing known", model.Ticket{}, ""},
		{"URL and language", model.Ticket{PageURL: "https://shop.example/a_(b)", Locale: "en-GB"},
			"**Filed from:** [https\\:\\/\\/shop\\.example\\/a\\_\\(b\\)](<https://shop.example/a_(b)>) · language en-GB\n"},
		{"title escaped", model.Ticket{PageURL: "https://shop.example/", PageTitle: "  *Sale*  [x](javascript:alert(1)) @team <b>  "},
			"**Filed from:** [\\*Sale\\* \\[x\\]\\(javascript\\:alert\\(1\\)\\) \\@\u200bteam \\<b\\>](<https://shop.example/>)\n"},
		{"never a javascript link", model.Ticket{PageURL: "javascript:alert(1)", PageTitle: "t"}, ""},
		{"URL breaking out of <>", model.Ticket{PageURL: "https://shop.example/>)[x](javascript:alert(1)"}, ""},
		{"language only", model.Ticket{Locale: "de"}, "**Filed from:** language de\n"},
		{"bad language left out", model.Ticket{Locale: "de\n**x**"}, ""},
	} {
		if got := filedFrom(c.in); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	body := issueBody(issueSource{Ticket: model.Ticket{ID: 1, Channel: "widget", Priority: "high", PageURL: "https://shop.example/"},
		Message: model.Message{Body: "hi"}})
	if !strings.Contains(body, "**Priority:** high\n**Filed from:** ") || !strings.Contains(body, ">)\n\n> hi") {
		t.Errorf("issue body:\n%s", body)
	}
}
