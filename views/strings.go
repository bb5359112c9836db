// Package views holds the server-rendered pages (templ components). Every
// string a customer reads is in Strings, filled from the message catalogs
// of server/i18n (portal.<lang>.toml, form.<lang>.toml) once per language
// at start-up.
package views

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/validate"
)

// Strings are the texts of the customer pages in one language. A text with
// %s (or %[1]s…) has a value put in: a number when the texts are built
// (NewTexts), a date or a highlighted value when the page is rendered.
type Strings struct {
	// Lang is the language's code ("de"), for <html lang>.
	Lang string
	// L writes dates, numbers and sizes, and translates validate's field
	// messages, in this language.
	L *i18n.Localizer

	SkipToContent     string `msg:"portal.skip_to_content"`
	Conversation      string `msg:"portal.conversation"`
	Reference         string `msg:"portal.reference"`
	StatusOpen        string `msg:"portal.status_open"`
	StatusClosed      string `msg:"portal.status_closed"`
	You               string `msg:"portal.you"`
	Support           string `msg:"portal.support"`
	Timeline          string `msg:"portal.timeline"`
	NoMessages        string `msg:"portal.no_messages"`
	ReplyHeading      string `msg:"portal.reply_heading"`
	ReplyLabel        string `msg:"portal.reply_label"`
	ReplyHint         string `msg:"portal.reply_hint"` // %s: the most characters
	Send              string `msg:"portal.send"`
	Sent              string `msg:"portal.sent"`
	Sending           string `msg:"portal.sending"`
	RepliesOff        string `msg:"portal.replies_off"`
	ClosedNotice      string `msg:"portal.closed_notice"`
	ExpiresNotice     string `msg:"portal.expires_notice"` // %s: date and time
	ErrorHeading      string `msg:"portal.error_heading"`
	NotFoundTitle     string `msg:"portal.not_found_title"`
	NotFoundText      string `msg:"portal.not_found_text"`
	GoneTitle         string `msg:"portal.gone_title"`
	GoneText          string `msg:"portal.gone_text"`
	ForbiddenTitle    string `msg:"portal.forbidden_title"`
	TooManyText       string `msg:"portal.too_many_text"`
	UnavailableText   string `msg:"portal.unavailable_text"`
	HumanCheckFailed  string `msg:"portal.human_check_failed"`
	ReplyTooLarge     string `msg:"portal.reply_too_large"` // %s: the most characters
	PrivateLinkNotice string `msg:"portal.private_link_notice"`
	Attachments       string `msg:"portal.attachments"`

	// The widget's hosted form (/support/widget/form), used without
	// JavaScript or where WebAssembly is blocked.
	WidgetSkip        string `msg:"form.skip"`
	WidgetTitle       string `msg:"form.title"`
	WidgetGreeting    string `msg:"form.greeting"`
	WidgetDefaultHi   string `msg:"form.default_greeting"`
	WidgetEmail       string `msg:"form.email"`
	WidgetName        string `msg:"form.name"`
	WidgetSubject     string `msg:"form.subject"`
	WidgetDescription string `msg:"form.description_label"`
	WidgetPriority    string `msg:"form.priority"`
	WidgetRequired    string `msg:"form.required"`
	WidgetOptional    string `msg:"form.optional"`
	WidgetSend        string `msg:"form.send"`
	WidgetSending     string `msg:"form.sending"`
	WidgetFixFields   string `msg:"form.fix_fields"`
	WidgetThanks      string `msg:"form.thanks"`
	WidgetReference   string `msg:"form.reference"` // %s: the reference, in bold
	WidgetEmailed     string `msg:"form.emailed"`
	WidgetAnother     string `msg:"form.another"`
	WidgetTooMany     string `msg:"form.too_many"`
	WidgetUnavailable string `msg:"form.unavailable"`
	WidgetNotAllowed  string `msg:"form.not_allowed"`
	WidgetTooLarge    string `msg:"form.too_large"`
	// Priorities are the names of the default priorities; an admin's own
	// are shown as the admin wrote them.
	Priorities struct {
		Low    string `msg:"form.priority_low"`
		Medium string `msg:"form.priority_medium"`
		High   string `msg:"form.priority_high"`
		Urgent string `msg:"form.priority_urgent"`
	}

	// Files are the texts of attachments (portal and hosted form).
	Files FileStrings

	// MyTickets are the texts of the "My tickets" pages (mytickets.templ).
	MyTickets MyTicketsStrings
	// Rate is "How did we do?" after a ticket closed.
	Rate RateStrings
}

// Texts are the pages' texts in every language of i18n.Languages.
type Texts struct {
	catalog *i18n.Catalog
	by      map[string]Strings
}

// NewTexts fills Strings for every language from the catalogs. A message
// missing in any language is an error: start-up stops rather than show a
// page in two languages.
func NewTexts(c *i18n.Catalog) (*Texts, error) {
	t := &Texts{catalog: c, by: map[string]Strings{}}
	var missing []string
	for _, lang := range i18n.Languages {
		l := c.For(lang)
		s := Strings{Lang: lang, L: l}
		if err := l.Fill(&s); err != nil {
			missing = append(missing, err.Error())
			continue
		}
		// The limits are the server's; they are put into the sentences once.
		s.ReplyHint = fmt.Sprintf(s.ReplyHint, l.Number(validate.MaxDescription))
		s.ReplyTooLarge = fmt.Sprintf(s.ReplyTooLarge, l.Number(validate.MaxDescription))
		s.Rate.CommentHint = fmt.Sprintf(s.Rate.CommentHint, l.Number(validate.MaxRatingComment))
		files, each, total := l.Number(attachments.MaxFiles), l.Size(attachments.MaxFileSize), l.Size(attachments.MaxTotal)
		s.Files.Hint = fmt.Sprintf(s.Files.Hint, files, each, total)
		s.Files.TooLarge = fmt.Sprintf(s.Files.TooLarge, files, each, total)
		s.Files.TooMany = fmt.Sprintf(s.Files.TooMany, files)
		s.Files.FileTooLarge = fmt.Sprintf(s.Files.FileTooLarge, "{file}", each)
		s.Files.TotalTooLarge = fmt.Sprintf(s.Files.TotalTooLarge, total)
		t.by[lang] = s
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("views: %s", strings.Join(missing, "; "))
	}
	return t, nil
}

// For returns the texts of lang; an unsupported lang gets English.
func (t *Texts) For(lang string) Strings {
	if s, ok := t.by[lang]; ok {
		return s
	}
	return t.by[i18n.Default]
}

// Choose returns the texts of the first language of prefs portico speaks
// (each a tag, a stored locale or an Accept-Language header; earlier ones
// win), else of fallback (the admin's default_language), else English.
func (t *Texts) Choose(fallback string, prefs ...string) Strings {
	return t.For(t.catalog.Choose(fallback, prefs...))
}

// Match is the language of the first of prefs portico speaks, "" for none.
func (t *Texts) Match(prefs ...string) string { return t.catalog.Match(prefs...) }

// Field is a field message of package validate (or model.FieldErrors) in
// this language; "" stays "".
func (s Strings) Field(msg string) string { return s.L.Field(msg) }

// When writes t as a date and time of day, in UTC.
func (s Strings) When(t time.Time) string { return s.L.DateTime(t) }

// Expires is the sentence saying when the page's link stops working.
func (s Strings) Expires(t time.Time) string { return fmt.Sprintf(s.ExpiresNotice, s.When(t)) }

// PriorityLabel names a priority: the default ones in this language, an
// admin's own as written, capitalized.
func (s Strings) PriorityLabel(p string) string {
	switch p {
	case "low":
		return s.Priorities.Low
	case "medium":
		return s.Priorities.Medium
	case "high":
		return s.Priorities.High
	case "urgent":
		return s.Priorities.Urgent
	case "":
		return p
	}
	r, n := utf8.DecodeRuneInString(p) // "élevé" → "Élevé", not a split byte
	return string(unicode.ToUpper(r)) + p[n:]
}

// around splits a sentence at its %s, so that a page can put a value in
// bold where the language wants it: "Your reference is %s." → "Your
// reference is ", ".".
func around(sentence string) (before, after string) {
	before, after, _ = strings.Cut(sentence, "%s")
	return before, after
}

// bold writes sentence with value, in bold, at its %s; both escaped.
func bold(sentence, value string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		before, after := around(sentence)
		_, err := io.WriteString(w, templ.EscapeString(before)+"<strong>"+templ.EscapeString(value)+"</strong>"+templ.EscapeString(after))
		return err
	})
}
