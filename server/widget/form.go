package widget

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
	"github.com/portico/portico/views"
)

// FormPath is where the hosted form lives; its POST goes to the same URL.
const FormPath = "/support/widget/form"

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
// our style and Turnstile's script only, no caching, no indexing, no
// framing. The referrer policy is same-origin so that the form's POST carries
// our own Origin (no-referrer would make it "null").
func (h *Handler) FormHeaders(c *fiber.Ctx) error {
	n, err := newNonce(c)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+n+"'; script-src 'nonce-"+n+"' https://challenges.cloudflare.com; "+
		"frame-src https://challenges.cloudflare.com; connect-src https://challenges.cloudflare.com; img-src 'self' data:; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

func (h *Handler) formData(c *fiber.Ctx, w settings.Widget) views.WidgetFormData {
	s := views.English
	d := views.WidgetFormData{
		S: s, Nonce: nonce(c), Title: w.Title, Greeting: w.Greeting, Action: FormPath,
		Priorities: w.Priorities, TurnstileSiteKey: h.turnstileSiteKey,
	}
	if d.Title == "" {
		d.Title = s.WidgetTitle
	}
	if d.Greeting == "" {
		d.Greeting = s.WidgetGreeting
	}
	return d
}

// Form answers GET /support/widget/form: the ticket form as a plain page,
// for visitors whose browser cannot run the widget.
func (h *Handler) Form(c *fiber.Ctx) error {
	w, err := h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	d := h.formData(c, w)
	d.Values.Priority = w.DefaultPriority()
	d.Values.PageURL = refererPage(c)
	return render(c, fiber.StatusOK, views.WidgetForm(d))
}

// SubmitForm answers POST /support/widget/form (urlencoded): 201 with the
// reference; otherwise the form again with what was typed and the reason
// (422 field errors, 429 too many, 403 failed human check or foreign site,
// 503 when a check cannot be made).
func (h *Handler) SubmitForm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	w, err := h.settings.Widget(ctx)
	if err != nil {
		return err
	}
	d := h.formData(c, w)
	d.Values = views.WidgetFormValues{
		Email: c.FormValue("email"), Name: c.FormValue("name"), Subject: c.FormValue("subject"),
		Description: c.FormValue("description"), Priority: c.FormValue("priority"), PageURL: c.FormValue("page_url"),
	}
	again := func(status int, notice string) error {
		d.Notice = notice
		return render(c, status, views.WidgetForm(d))
	}
	if len(c.Body()) > MaxBody {
		return again(fiber.StatusRequestEntityTooLarge, "the request is larger than 64 KiB")
	}
	if !formOriginAllowed(c, w) {
		return again(fiber.StatusForbidden, d.S.WidgetNotAllowed)
	}
	t, err := h.tickets.CreateFromWidget(ctx, tickets.WidgetSubmission{
		Email: d.Values.Email, Name: d.Values.Name, Subject: d.Values.Subject,
		Description: d.Values.Description, Priority: d.Values.Priority,
		ClientIP: clientip.String(ctx), Turnstile: c.FormValue("cf-turnstile-response"),
		Page: validate.PageInput{URL: d.Values.PageURL, Locale: firstLanguage(c.Get(fiber.HeaderAcceptLanguage))},
	})
	if err != nil {
		a, ok := httperr.Of(err)
		if a.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
		}
		switch {
		case ok && a.Status == fiber.StatusUnprocessableEntity:
			d.Errors = a.Fields
			// Only a tampered hidden field gets here: name it.
			if msg := a.Fields[validate.FieldPageURL]; msg != "" {
				return again(a.Status, validate.FieldPageURL+" "+msg)
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
