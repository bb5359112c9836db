package views_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/views"
)

func texts(t *testing.T) *views.Texts {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := views.NewTexts(c)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// when is in December, whose name differs in every language.
var when = time.Date(2026, time.December, 8, 14, 5, 0, 0, time.UTC)

// page is one state of one page.
type page struct {
	name string
	comp templ.Component
}

// pages renders every customer page in every state, in s's language.
func pages(s views.Strings) []page {
	const nonce = "0123456789abcdef0123456789abcdef"
	msgs := []views.Message{
		{Mine: true, Author: s.You, At: when, Body: "My printer is broken."},
		{Author: "Grace (" + s.Support + ")", At: when.Add(time.Hour), HTML: "<p>Try turning it off and on.</p>",
			Attachments: []views.AttachmentLink{
				{Name: "guide.pdf", URL: "/portal/t/attachments/1", Size: s.L.Size(123456)},
				{Name: "photo.png", URL: "/portal/t/attachments/2", Size: s.L.Size(2 << 20), ImageURL: "/portal/t/attachments/2/image"},
			}},
	}
	expires := when.Add(30 * 24 * time.Hour)
	portal := func(mod func(*views.PortalData)) templ.Component {
		d := views.PortalData{S: s, Nonce: nonce, Reference: "TK-1042", Subject: "Printer", Messages: msgs, AllowReply: true,
			FormAction: "/portal/t/replies", TurnstileSiteKey: "site", Accept: "image/png,application/pdf"}
		mod(&d)
		return views.Portal(d)
	}
	rating := views.RatingForm{Action: "/portal/t/rate", FormToken: "ft", Choices: views.RatingChoices(s.Rate, "good")}
	rated := rating
	rated.Saved, rated.Current = true, s.Rate.Label("good")
	badRating := rating
	badRating.Choices = views.RatingChoices(s.Rate, "")
	badRating.ScoreError = s.Field("is required: choose good, okay or bad")
	badRating.CommentError = s.Field("must be at most 1,000 characters")
	badRating.Error = s.Rate.FormExpired

	form := func(mod func(*views.WidgetFormData)) templ.Component {
		d := views.WidgetFormData{S: s, Nonce: nonce, Title: s.WidgetTitle, Greeting: s.WidgetDefaultHi, Action: "/support/widget/form",
			Priorities: []string{"low", "medium", "high", "urgent"}, Values: views.WidgetFormValues{Priority: "medium"},
			TurnstileSiteKey: "site", Accept: "image/png", Language: s.Lang}
		mod(&d)
		return views.WidgetForm(d)
	}
	list := views.MyTicketsListData{S: s, Nonce: nonce, CSRF: "c", Email: "ada@example.com", More: true, ExpiresAt: when,
		Tickets: []views.MyTicketRow{
			{Reference: "TK-1", Subject: "Printer", LastActivity: when, URL: "/portal/tickets/TK-1"},
			{Reference: "TK-2", Subject: "Scanner", Closed: true, LastActivity: when, Note: s.MyTickets.LinkRevoked},
			{Reference: "TK-3", Subject: "Fax", Closed: true, LastActivity: when, Note: s.MyTickets.LinkExpired},
		}}
	empty := list
	empty.Tickets, empty.More = nil, false

	return []page{
		{"portal open", portal(func(d *views.PortalData) { d.Sent = true })},
		{"portal no messages", portal(func(d *views.PortalData) { d.Messages = nil })},
		{"portal closed", portal(func(d *views.PortalData) {
			d.Closed, d.ExpiresAt = true, &expires
			r := rated
			d.Rating = &r
		})},
		{"portal replies off", portal(func(d *views.PortalData) { d.AllowReply = false })},
		{"portal field error", portal(func(d *views.PortalData) {
			d.Draft, d.Error = "draft", s.Field("must be at most 10,000 characters (it has 10,001)")
		})},
		{"portal file error", portal(func(d *views.PortalData) {
			d.Error = s.FileProblem(s.Field("at most 5 files can be attached to one message"))
		})},
		{"portal files too large", portal(func(d *views.PortalData) {
			d.Error = s.Files.TooLarge + " (" + s.Field("the upload is larger than 26 MB") + ")"
		})},
		{"portal reply too large", portal(func(d *views.PortalData) { d.Error = s.ReplyTooLarge })},
		{"portal too many", portal(func(d *views.PortalData) { d.Error = s.TooManyText })},
		{"portal unavailable", portal(func(d *views.PortalData) { d.Error = s.UnavailableText })},
		{"portal not human", portal(func(d *views.PortalData) { d.Error = s.HumanCheckFailed })},
		{"not found", views.ErrorPage(s, nonce, s.NotFoundTitle, s.NotFoundText)},
		{"expired", views.ErrorPage(s, nonce, s.GoneTitle, s.GoneText)},

		{"my tickets request", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", TurnstileSiteKey: "site"})},
		{"my tickets signed out", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Info: s.MyTickets.SignedOut})},
		{"my tickets ended", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Info: s.MyTickets.Ended})},
		{"my tickets bad address", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Email: "ada@",
			EmailError: s.Field("is not a valid email address")})},
		{"my tickets form expired", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Notice: s.MyTickets.FormExpired})},
		{"my tickets too many", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Notice: s.MyTickets.TooMany})},
		{"my tickets unavailable", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Notice: s.MyTickets.Unavailable})},
		{"my tickets sent", views.MyTicketsForm(views.MyTicketsFormData{S: s, Nonce: nonce, CSRF: "c", Sent: true})},
		{"my tickets continue", views.MyTicketsSignin(views.MyTicketsSigninData{S: s, Nonce: nonce, CSRF: "c", Action: "/portal/signin/x"})},
		{"my tickets link used", views.MyTicketsMessage(s, nonce, s.MyTickets.GoneTitle, s.MyTickets.GoneText)},
		{"my tickets link unknown", views.MyTicketsMessage(s, nonce, s.NotFoundTitle, s.MyTickets.NotFoundText)},
		{"my tickets forbidden", views.MyTicketsMessage(s, nonce, s.ForbiddenTitle, s.MyTickets.FormExpired)},
		{"my tickets list", views.MyTicketsList(list)},
		{"my tickets empty list", views.MyTicketsList(empty)},

		{"rating form", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t", Form: rating})},
		{"rating thanks", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t", Form: rated})},
		{"rating errors", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t", Form: badRating})},
		{"rating open", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t", Refused: s.Rate.Open})},
		{"rating not yours", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t", Refused: s.Rate.NotYours})},
		{"rating too many", views.RatePage(views.RatePageData{S: s, Nonce: nonce, Reference: "TK-1042", BackURL: "/portal/t",
			Form: func() views.RatingForm { f := rating; f.Error = s.Rate.TooMany; return f }()})},

		{"form empty", form(func(*views.WidgetFormData) {})},
		{"form own greeting", form(func(d *views.WidgetFormData) { d.Greeting = s.WidgetGreeting })},
		{"form errors", form(func(d *views.WidgetFormData) {
			d.Errors = map[string]string{"email": s.Field("is not a valid email address"), "subject": s.Field("is required"),
				"description": s.Field("must be at most 10,000 characters"), "name": s.Field("must not contain tabs, line breaks or other control characters"),
				"priority": s.Field("must be one of: low, medium, high, urgent"), "files": s.Field("cannot be attached here")}
		})},
		{"form thanks", form(func(d *views.WidgetFormData) { d.Reference = "TK-1042" })},
		{"form too many", form(func(d *views.WidgetFormData) { d.Notice = s.WidgetTooMany })},
		{"form not allowed", form(func(d *views.WidgetFormData) { d.Notice = s.WidgetNotAllowed })},
		{"form unavailable", form(func(d *views.WidgetFormData) { d.Notice = s.WidgetUnavailable })},
		{"form not human", form(func(d *views.WidgetFormData) { d.Notice = s.HumanCheckFailed })},
		{"form too large", form(func(d *views.WidgetFormData) { d.Notice = s.WidgetTooLarge })},
	}
}

// phrase is an English text and a pattern that finds it as whole words
// ("Urgent" is not in "Urgente").
type phrase struct {
	text string
	re   *regexp.Regexp
}

func words(text string) phrase {
	return phrase{text, regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(text) + `($|[^\pL])`)}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// english lists the English texts a translated page must not show: every
// sentence of Strings (six characters or more) whose translation differs,
// by field path. A text with a %s is checked in its parts. A sentence of
// three words or more that reads the same as in English was not
// translated: it is listed under "untranslated".
func english(en, s views.Strings) (map[string]phrase, []string) {
	out := map[string]phrase{}
	var same []string
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		for i := 0; i < a.NumField(); i++ {
			f := a.Type().Field(i)
			av, bv := a.Field(i), b.Field(i)
			switch {
			case av.Kind() == reflect.Struct:
				walk(path+f.Name+".", av, bv)
			case av.Kind() == reflect.String && f.Tag.Get("msg") != "" && av.String() == bv.String():
				if len(strings.Fields(av.String())) >= 3 {
					same = append(same, path+f.Name)
				}
			case av.Kind() == reflect.String && f.Tag.Get("msg") != "":
				for j, part := range strings.Split(av.String(), "%s") {
					if len(strings.TrimSpace(part)) >= 6 {
						out[fmt.Sprintf("%s%s[%d]", path, f.Name, j)] = words(strings.TrimSpace(part))
					}
				}
			}
		}
	}
	walk("", reflect.ValueOf(en), reflect.ValueOf(s))
	return out, same
}

// Every page in every state, in every language: no message is missing (no
// ⟦id⟧), <html lang> names the language, and a translated page shows no
// English sentence, date or field message.
func TestEveryPageInEveryLanguage(t *testing.T) {
	tx := texts(t)
	en := tx.For("en")
	month := map[string]string{"en": "December", "de": "Dezember", "fr": "décembre", "es": "diciembre", "pt": "dezembro"}
	for _, lang := range i18n.Languages {
		s := tx.For(lang)
		if s.Lang != lang || s.L == nil || s.L.Lang() != lang {
			t.Fatalf("For(%s) = lang %q", lang, s.Lang)
		}
		leftovers, same := english(en, s)
		if lang != "en" && len(same) > 0 {
			t.Errorf("%s: not translated: %s", lang, strings.Join(same, ", "))
		}
		sawDate := false
		for _, p := range pages(s) {
			body := render(t, p.comp)
			if strings.Contains(body, "⟦") || strings.Contains(body, "%!") || strings.Contains(body, "%s") || strings.Contains(body, "<no value>") {
				t.Errorf("%s %s: a message is missing or unfilled:\n%s", lang, p.name, body)
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: no <html lang=%q>", lang, p.name, lang)
			}
			for field, text := range leftovers {
				if strings.Contains(body, text.text) && text.re.MatchString(body) {
					t.Errorf("%s %s: English %s %q on the page", lang, p.name, field, text.text)
				}
			}
			if strings.Contains(body, "December") && lang != "en" {
				t.Errorf("%s %s: an English date", lang, p.name)
			}
			sawDate = sawDate || strings.Contains(body, month[lang])
			// English field messages, as validate writes them.
			if lang != "en" {
				for _, msg := range []string{"is required", "is not a valid email address", "must be at most", "cannot be attached", "must not contain"} {
					if strings.Contains(body, msg) {
						t.Errorf("%s %s: English field message %q", lang, p.name, msg)
					}
				}
			}
		}
		if !sawDate {
			t.Errorf("%s: no page shows a date with %q", lang, month[lang])
		}
	}
}

// The English pages read as they always did.
func TestEnglishPages(t *testing.T) {
	s := texts(t).For("en")
	all := map[string]string{}
	for _, p := range pages(s) {
		all[p.name] = render(t, p.comp)
	}
	for name, want := range map[string][]string{
		"portal open": {"Plain text, up to 10,000 characters. We will email you when we answer.", "<time datetime=\"2026-12-08T14:05:00Z\">December 8, 2026, 2:05 PM UTC</time>",
			"Up to 5 files, 10 MB each and 25 MB together: pictures, PDF, text or zip.", "(120.6 KB)", "(2 MB)", "<strong>You</strong>"},
		"portal closed":      {"This link stops working on January 7, 2027, 2:05 PM UTC.", "Your answer: <strong>Good</strong>. You can change it as long as this link works."},
		"portal field error": {"must be at most 10,000 characters (it has 10,001)"},
		"my tickets list":    {"The requests you sent us from <strong>ada@example.com</strong>.", "For your security you are signed out at December 8, 2026, 2:05 PM UTC."},
		"form thanks":        {"Your reference is <strong>TK-1042</strong>."},
		"form empty":         {`<input type="hidden" name="language" value="en">`, "<option value=\"medium\" selected>Medium</option>", "Hi! How can we help?"},
		"rating form":        {"Plain text, up to 1,000 characters. Our team reads every one."},
	} {
		for _, w := range want {
			if !strings.Contains(all[name], w) {
				t.Errorf("%s lacks %q:\n%s", name, w, all[name])
			}
		}
	}
}

// A catalog that lacks a message of the pages stops start-up.
func TestNewTextsRefusesMissingMessage(t *testing.T) {
	dir := "../server/i18n/locales"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "portal.fr.toml" {
			b = bytes.Replace(b, []byte("\nsign_out = "), []byte("\n# sign_out = "), 1)
		}
		fsys["l/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	c, err := i18n.LoadFS(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := views.NewTexts(c); err == nil || !strings.Contains(err.Error(), "portal.mytickets.sign_out") || !strings.Contains(err.Error(), "fr") {
		t.Errorf("NewTexts without a French message: err = %v", err)
	}
}

// The longest language keeps a busy portal page under 15 KB.
func TestPortalPageSizeEveryLanguage(t *testing.T) {
	tx := texts(t)
	for _, lang := range i18n.Languages {
		s := tx.For(lang)
		var msgs []views.Message
		for i := range 6 {
			msgs = append(msgs, views.Message{Mine: i%2 == 0, Author: s.Support, At: when, Body: strings.Repeat("A typical sentence. ", 20),
				Attachments: []views.AttachmentLink{{Name: "screenshot.png", URL: "/portal/" + strings.Repeat("a", 64) + "/attachments/1",
					ImageURL: "/portal/" + strings.Repeat("a", 64) + "/attachments/1/image", Size: s.L.Size(345678)}}})
		}
		expires := when
		rating := views.RatingForm{Action: "/portal/x/rate", FormToken: strings.Repeat("f", 80), Choices: views.RatingChoices(s.Rate, ""),
			ScoreError: s.Field("is required: choose good, okay or bad"), Error: s.Rate.FormExpired, TurnstileSiteKey: "site"}
		body := render(t, views.Portal(views.PortalData{S: s, Nonce: strings.Repeat("n", 32), Reference: "TK-1000000",
			Subject: strings.Repeat("s", 200), Closed: true, ExpiresAt: &expires, Messages: msgs, AllowReply: true,
			FormAction: "/portal/" + strings.Repeat("a", 64) + "/replies", Error: s.ReplyTooLarge, TurnstileSiteKey: "site",
			Accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,application/zip", Rating: &rating}))
		t.Logf("%s: %d bytes", lang, len(body))
		if len(body) >= 15<<10 {
			t.Errorf("%s: the portal page is %d bytes, want < 15 KB", lang, len(body))
		}
	}
}

// The forms load the upload script only when they take files: without
// files there is nothing to check or to show the progress of.
func TestUploadScriptOnlyWithFiles(t *testing.T) {
	s := texts(t).For("fr")
	name, _ := views.UploadScript()
	tag := `<script src="/portal/assets/` + name + `" nonce="n0" defer></script>`
	for _, accept := range []string{"", "image/png"} {
		portal := render(t, views.Portal(views.PortalData{S: s, Nonce: "n0", AllowReply: true, FormAction: "/portal/t/replies", Accept: accept}))
		form := render(t, views.WidgetForm(views.WidgetFormData{S: s, Nonce: "n0", Action: "/support/widget/form", Accept: accept}))
		for name, body := range map[string]string{"portal": portal, "form": form} {
			want := accept != ""
			if got := strings.Contains(body, tag); got != want {
				t.Errorf("%s with accept %q: script tag %v, want %v\n%s", name, accept, got, want, body)
			}
			if got := strings.Contains(body, "data-sending="); got != want {
				t.Errorf("%s with accept %q: data-sending %v, want %v", name, accept, got, want)
			}
		}
		if accept != "" {
			for _, want := range []string{`data-sending="Envoi de votre réponse…"`, `data-too-large="« {file} » dépasse 10 Mo. Veuillez choisir un fichier plus petit."`} {
				if !strings.Contains(portal, want) {
					t.Errorf("French portal lacks %s", want)
				}
			}
		}
	}
}

// The standard priorities are translated; an admin's own is shown as
// written with its first letter capitalized, whole even when it is not
// ASCII.
func TestPriorityLabel(t *testing.T) {
	de := texts(t).For("de")
	for in, want := range map[string]string{"high": de.Priorities.High, "élevé": "Élevé", "p1": "P1", "": ""} {
		if got := de.PriorityLabel(in); got != want {
			t.Errorf("PriorityLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if de.Priorities.High == "High" || de.Priorities.High == "" {
		t.Errorf("German high = %q", de.Priorities.High)
	}
}
