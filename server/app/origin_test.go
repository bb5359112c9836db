package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

// TestTicketOrigin follows where a widget ticket was filed from (issue 17):
// stored, on the GitHub issue (escaped), in the admin API and the export,
// gone after erasure; malformed values are 422 naming the field.
func TestTicketOrigin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		g := startGitHubApp(t, d)
		a := g.App
		body := func(extra string) string {
			return `{"email":"ori@example.com","subject":"From the shop","description":"Hello"` + extra + `}`
		}
		r := fileTicket(t, a, body(`,"page_url":"https://shop.example/pricing?plan=pro#access_token=secret",`+
			`"page_title":"Pricing [beta] *new* @octocat <img src=x>","locale":"en-GB"`))
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		ref := r.json(t)["reference"].(string)

		issue := g.issueFor(t, ref)
		want := "**Filed from:** [Pricing \\[beta\\] \\*new\\* \\@\u200boctocat \\<img src\\=x\\>](<https://shop.example/pricing?plan=pro>) · language en-GB"
		if !strings.Contains(issue.Body, want) {
			t.Errorf("issue body lacks\n%s\nin\n%s", want, issue.Body)
		}
		if strings.Contains(issue.Body, "access_token") {
			t.Error("the URL's fragment reached GitHub")
		}

		detail := ticketDetail(t, a, ref)
		origin, _ := detail["origin"].(map[string]any)
		if origin["page_url"] != "https://shop.example/pricing?plan=pro" || origin["page_title"] != "Pricing [beta] *new* @octocat <img src=x>" ||
			origin["locale"] != "en-GB" {
			t.Errorf("admin origin = %v", detail["origin"])
		}
		contact := contactOf(t, a, ref)
		export := do(t, a, req{method: "GET", path: fmt.Sprintf("/support/admin/contacts/%d/export", contact), header: bearer()})
		var doc struct {
			Tickets []struct {
				Reference string `json:"reference"`
				PageURL   string `json:"page_url"`
				PageTitle string `json:"page_title"`
				Locale    string `json:"locale"`
			} `json:"tickets"`
		}
		if err := json.Unmarshal(export.Body, &doc); err != nil || len(doc.Tickets) != 1 {
			t.Fatalf("export: %d %s", export.Status, export.Body)
		}
		if e := doc.Tickets[0]; e.PageURL != "https://shop.example/pricing?plan=pro" || e.PageTitle == "" || e.Locale != "en-GB" {
			t.Errorf("export ticket = %+v", e)
		}

		// A ticket without an origin has none.
		plain := fileTicket(t, a, `{"email":"plain@example.com","subject":"s","description":"d"}`).json(t)["reference"].(string)
		if o := ticketDetail(t, a, plain)["origin"]; o != nil {
			t.Errorf("origin of a ticket filed without one: %v", o)
		}

		if r := do(t, a, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%d/erase", contact), header: bearer()}); r.Status != 200 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if o := ticketDetail(t, a, ref)["origin"]; o != nil {
			t.Errorf("origin after erasure: %v", o)
		}

		for _, c := range []struct{ name, extra, field string }{
			{"javascript URL", `,"page_url":"javascript:alert(1)"`, "page_url"},
			{"data URL", `,"page_url":"data:text/html,hi"`, "page_url"},
			{"relative URL", `,"page_url":"/pricing"`, "page_url"},
			{"URL without host", `,"page_url":"https:///x"`, "page_url"},
			{"URL with a space", `,"page_url":"https://shop.example/a b"`, "page_url"},
			{"URL too long", `,"page_url":"https://shop.example/` + strings.Repeat("a", 2030) + `"`, "page_url"},
			{"title too long", `,"page_title":"` + strings.Repeat("é", 301) + `"`, "page_title"},
			{"title with a line break", `,"page_title":"a\nb"`, "page_title"},
			{"locale", `,"locale":"en_US"`, "locale"},
			{"locale too long", `,"locale":"en-` + strings.Repeat("abcdefgh-", 4) + `"`, "locale"},
			{"locale wrong type", `,"locale":5`, ""},
		} {
			r := fileTicket(t, a, body(c.extra))
			if c.field == "" {
				if r.Status != 400 {
					t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
				}
				continue
			}
			errs, _ := r.json(t)["errors"].(map[string]any)
			if r.Status != 422 || errs[c.field] == nil {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		for _, ok := range []string{
			`,"page_url":"HTTP://Shop.Example:8080/x?q=(1)","page_title":"","locale":"zh-Hant-TW"`,
			`,"page_url":"https://shop.example/` + strings.Repeat("a", 2048-len("https://shop.example/")) + `","page_title":"` + strings.Repeat("é", 300) + `"`,
		} {
			if r := fileTicket(t, a, body(ok)); r.Status != 201 {
				t.Errorf("%.80s: %d %s", ok, r.Status, r.Body)
			}
		}
	})
}

// TestHostedFormOrigin: the no-JS form takes the page from the Referer of
// its first request (only another site's) and the language from
// Accept-Language.
func TestHostedFormOrigin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		get := func(referer string) string {
			return string(do(t, a, req{method: "GET", path: "/support/widget/form", header: map[string]string{"Referer": referer}}).Body)
		}
		if page := get("https://shop.example/contact?x=1"); !strings.Contains(page, `name="page_url" value="https://shop.example/contact?x=1"`) {
			t.Errorf("the form lacks the referring page:\n%s", page)
		}
		for _, ref := range []string{"http://example.com/support/widget/form", "javascript:alert(1)", ""} {
			if page := get(ref); strings.Contains(page, `name="page_url"`) {
				t.Errorf("Referer %q became the page", ref)
			}
		}
		values := url.Values{"email": {"form@example.com"}, "subject": {"s"}, "description": {"d"}, "page_url": {"https://shop.example/contact"}}
		hr := httptest.NewRequest("POST", "/support/widget/form", strings.NewReader(values.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.Header.Set("Accept-Language", "de-CH, de;q=0.9, en;q=0.5")
		res, err := a.HTTP().Test(hr)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("POST form: %d %s", res.StatusCode, page)
		}
		ref := regexp.MustCompile(`TK-\d+`).FindString(string(page))
		origin, _ := ticketDetail(t, a, ref)["origin"].(map[string]any)
		if origin["page_url"] != "https://shop.example/contact" || origin["locale"] != "de-CH" || origin["page_title"] != "" {
			t.Errorf("origin = %v", origin)
		}
		values.Set("page_url", "javascript:alert(1)")
		if r := form(t, a, "/support/widget/form", values); r.Status != 422 || !strings.Contains(string(r.Body), "page_url must be") {
			t.Errorf("tampered page_url: %d", r.Status)
		}
	})
}
