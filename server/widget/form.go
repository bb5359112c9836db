package widget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
	"github.com/portico/portico/views"
)

// FormPath is where the hosted form lives; its POST goes to the same URL.
const FormPath = "/support/widget/form"

// FormPage serves the hosted form, in the visitor's language.
type FormPage struct {
	h        *Handler
	texts    *views.Texts
	defaults PortalReader
}

// HostedForm returns the hosted form of the widget h serves; texts are the
// pages in every language, defaults the admin's default language.
func (h *Handler) HostedForm(texts *views.Texts, defaults PortalReader) *FormPage {
	return &FormPage{h: h, texts: texts, defaults: defaults}
}

// pick returns the page's texts and the language the visitor asked for:
// asked (?locale= on the first request, the hidden field language on the
// POST), else the browser's Accept-Language; asked is "" when neither
// names a language portico speaks, and the page then speaks the admin's
// default_language. Content-Language says which; Vary that
// Accept-Language counts.
func (f *FormPage) pick(c *fiber.Ctx, asked string) (views.Strings, string) {
	asked = f.texts.Match(asked, c.Get(fiber.HeaderAcceptLanguage))
	def := i18n.Default
	if p, err := f.defaults.Portal(c.UserContext()); err == nil {
		def = p.DefaultLanguage
	}
	s := f.texts.Choose(def, asked)
	c.Set(fiber.HeaderContentLanguage, s.Lang)
	c.Vary(fiber.HeaderAcceptLanguage)
	return s, asked
}

const nonceLocal = "widget-csp-nonce"

// newNonce stores a fresh CSP nonce for the page being answered.
func newNonce(c *fiber.Ctx) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	n := hex.EncodeToString(b[:])
	c.Locals(nonceLocal, n)
	return n, nil
}

func nonce(c *fiber.Ctx) string {
	n, _ := c.Locals(nonceLocal).(string)
	return n
}

func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// FormHeaders sets the hosted form's headers: a strict CSP whose nonce admits
// our style and scripts and Turnstile's only (our upload script posts the
// form to our own origin: connect-src 'self'), no caching, no indexing, no
// framing. The referrer policy is same-origin so that the form's POST carries
// our own Origin (no-referrer would make it "null").
func (f *FormPage) FormHeaders(c *fiber.Ctx) error {
	n, err := newNonce(c)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+n+"'; script-src 'nonce-"+n+"' https://challenges.cloudflare.com; "+
		"frame-src https://challenges.cloudflare.com; connect-src 'self' https://challenges.cloudflare.com; img-src 'self' data:; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

func (f *FormPage) formData(c *fiber.Ctx, w settings.Widget, asked string) views.WidgetFormData {
	s, lang := f.pick(c, asked)
	d := views.WidgetFormData{
		S: s, Nonce: nonce(c), Title: w.Title, Greeting: w.Greeting, Action: FormPath,
		Priorities: w.Priorities, TurnstileSiteKey: f.h.turnstileSiteKey, Language: lang,
	}
	if d.Title == "" || w.PorticoTitle() {
		d.Title = s.WidgetTitle
	}
	switch {
	case d.Greeting == "":
		d.Greeting = s.WidgetGreeting
	case w.PorticoGreeting():
		d.Greeting = s.WidgetDefaultHi
	}
	if up, err := f.h.uploadConfig(c.UserContext()); err == nil && up != nil {
		d.Accept = strings.Join(up.AllowedTypes, ",")
	}
	return d
}

// Form answers GET /support/widget/form: the ticket form as a plain page,
// for visitors whose browser cannot run the widget. ?locale= (the
// embedding page's data-locale) chooses its language.
func (f *FormPage) Form(c *fiber.Ctx) error {
	w, err := f.h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	d := f.formData(c, w, c.Query("locale"))
	d.Values.Priority = w.DefaultPriority()
	d.Values.PageURL = refererPage(c)
	return render(c, fiber.StatusOK, views.WidgetForm(d))
}

// SubmitForm answers POST /support/widget/form (urlencoded): 201 with the
// reference; otherwise the form again with what was typed and the reason
// (422 field errors, 429 too many, 403 failed human check or foreign site,
// 503 when a check cannot be made).
func (f *FormPage) SubmitForm(c *fiber.Ctx) error {
	h := f.h
	ctx := c.UserContext()
	w, err := h.settings.Widget(ctx)
	if err != nil {
		return err
	}
	// A form with files (enctype multipart/form-data) is streamed: its
	// files to disk, its fields from the parts; a urlencoded one as before.
	value := func(k string) string { return c.FormValue(k) }
	form, multipart, err := h.readForm(c)
	if form != nil {
		defer form.Close(context.WithoutCancel(ctx))
		value = form.Value
	}
	// The language the form was shown in; anything but a language code of
	// ours is ignored.
	asked := value("language")
	if !i18n.Supported(asked) {
		asked = ""
	}
	d := f.formData(c, w, asked)
	again := func(status int, notice string) error {
		d.Notice = notice
		return render(c, status, views.WidgetForm(d))
	}
	d.Values = views.WidgetFormValues{
		Email: value("email"), Name: value("name"), Subject: value("subject"),
		Description: value("description"), Priority: value("priority"), PageURL: value("page_url"),
	}
	if a, ok := httperr.Of(err); ok {
		if a.Status == fiber.StatusUnprocessableEntity {
			d.Errors = fieldErrors(d.S, a.Fields)
		}
		return again(a.Status, d.S.Field(a.Message))
	} else if err != nil {
		return err
	}
	if !multipart && len(c.Body()) > MaxBody {
		return again(fiber.StatusRequestEntityTooLarge, d.S.WidgetTooLarge)
	}
	if !formOriginAllowed(c, w) {
		return again(fiber.StatusForbidden, d.S.WidgetNotAllowed)
	}
	t, err := h.tickets.CreateFromWidget(ctx, tickets.WidgetSubmission{
		Email: d.Values.Email, Name: d.Values.Name, Subject: d.Values.Subject,
		Description: d.Values.Description, Priority: d.Values.Priority,
		ClientIP: clientip.String(ctx), Turnstile: value("cf-turnstile-response"), Files: form, Language: d.Language,
		Page: validate.PageInput{URL: d.Values.PageURL, Locale: firstLanguage(c.Get(fiber.HeaderAcceptLanguage))},
	})
	if err != nil {
		a, ok := httperr.Of(err)
		if a.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
		}
		switch {
		case ok && a.Status == fiber.StatusUnprocessableEntity:
			d.Errors = fieldErrors(d.S, a.Fields)
			// Only a tampered hidden field gets here: name it.
			if msg := a.Fields[validate.FieldPageURL]; msg != "" {
				return again(a.Status, validate.FieldPageURL+" "+d.S.Field(msg))
			}
			return again(a.Status, "")
		case ok && a.Status == fiber.StatusForbidden:
			return again(a.Status, d.S.HumanCheckFailed)
		case ok && a.Status == fiber.StatusTooManyRequests:
			return again(a.Status, d.S.WidgetTooMany)
		case ok && a.Status == fiber.StatusServiceUnavailable:
			h.log.WarnContext(ctx, "widget form: a check is unavailable", "err", err)
			return again(a.Status, d.S.WidgetUnavailable)
		}
		h.log.ErrorContext(ctx, "widget form: filing the ticket failed", "err", err)
		return again(fiber.StatusInternalServerError, d.S.WidgetUnavailable)
	}
	d.Reference = t.Reference
	return render(c, fiber.StatusCreated, views.WidgetForm(d))
}

// fieldErrors are the fields' messages in the page's language.
func fieldErrors(s views.Strings, fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for k, msg := range fields {
		out[k] = s.Field(msg)
	}
	return out
}

// formOriginAllowed admits posts from our own page (same host), from no
// Origin at all (old browsers), and from the widget's allowed origins.
func formOriginAllowed(c *fiber.Ctx, w settings.Widget) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	if _, host, ok := strings.Cut(origin, "://"); ok && strings.EqualFold(host, string(c.Request().Host())) {
		return true
	}
	return w.OriginAllowed(origin)
}

// readForm reads a multipart submission of the hosted form (nil and false
// for a urlencoded one). Too many files, too large or a broken body come
// back as errors httperr answers (422, 413, 400).
func (h *Handler) readForm(c *fiber.Ctx) (*attachments.Form, bool, error) {
	if !download.IsUpload(c) {
		return nil, false, nil
	}
	if h.uploads == nil {
		c.Context().SetConnectionClose()
		return nil, true, model.FieldErrors{"files": "cannot be attached here"}
	}
	form, _, err := download.ReadUpload(c, h.uploads)
	if err == nil && !form.ValidUTF8() {
		form.Close(context.WithoutCancel(c.UserContext()))
		return nil, true, fmt.Errorf("%w: a field is not valid UTF-8", attachments.ErrMalformed)
	}
	return form, true, err
}

// refererPage is the page that opened the hosted form: its Referer, when it
// is a valid page address on another host (the widget opens the form in a
// new tab from the customer's site; our own pages say nothing). Browsers
// usually send only the origin across sites.
func refererPage(c *fiber.Ctx) string {
	ref := validate.Trim(c.Get(fiber.HeaderReferer))
	if ref == "" || validate.PageURL(ref) != "" {
		return ""
	}
	rest := ref[strings.Index(ref, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if strings.EqualFold(rest, string(c.Request().Host())) {
		return ""
	}
	return ref
}

// firstLanguage is the browser's preferred language from Accept-Language
// ("de-CH, de;q=0.9" → "de-CH"), or "" when it is not a plain language tag.
func firstLanguage(header string) string {
	first, _, _ := strings.Cut(header, ",")
	tag, _, _ := strings.Cut(first, ";")
	tag = validate.Trim(tag)
	if tag == "*" || validate.Locale(tag) != "" {
		return ""
	}
	return tag
}
