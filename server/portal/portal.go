// Package portal serves the customer's secret conversation page and the
// replies posted there. It parses and renders; the tickets service decides.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/views"
)

// Service opens portal pages and takes replies.
type Service interface {
	OpenPortal(ctx context.Context, token string) (tickets.PortalPage, error)
	ReplyOnPortal(ctx context.Context, in tickets.PortalReply) (model.Message, error)
	OpenPortalAttachment(ctx context.Context, token string, id int64) (attachments.File, error)
}

// Handler serves /portal/*.
type Handler struct {
	svc     Service
	ratings Ratings
	siteKey string
	lang    languages
	// uploads reads replies with files; nil: multipart is refused.
	uploads Uploads
}

// Uploads reads replies with files and says which types are accepted
// (attachments.Service).
type Uploads interface {
	download.FormReader
	Attachments(ctx context.Context) (settings.Attachments, error)
}

// New returns the portal handler; siteKey is the Turnstile site key (may be
// empty: no challenge on the page); texts are the pages in every language,
// defaults the admin's default language.
func New(svc Service, ratings Ratings, siteKey string, texts *views.Texts, defaults DefaultLanguage) *Handler {
	return &Handler{svc: svc, ratings: ratings, siteKey: siteKey, lang: languages{texts: texts, defaults: defaults}}
}

const nonceLocal = "csp-nonce"

// Headers sets the portal's security headers: no referrer (the URL is the
// secret), a strict CSP whose nonce admits only our style and scripts and
// Turnstile's (our upload script posts the reply form to our own origin,
// hence connect-src 'self'), no indexing, no caching, no framing.
func Headers(c *fiber.Ctx) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	nonce := hex.EncodeToString(b[:])
	c.Locals(nonceLocal, nonce)
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; script-src 'nonce-"+nonce+"' https://challenges.cloudflare.com; "+
		"frame-src https://challenges.cloudflare.com; connect-src 'self' https://challenges.cloudflare.com; img-src 'self' data:; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
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

// Page answers GET /portal/:token.
func (h *Handler) Page(c *fiber.Ctx) error {
	token := c.Params("token")
	page, err := h.svc.OpenPortal(c.UserContext(), token)
	if err != nil {
		return h.fail(c, err)
	}
	d := h.data(c, token, page, "", nil)
	if err := h.addRating(c, token, page, &d); err != nil {
		return h.fail(c, err)
	}
	return render(c, fiber.StatusOK, views.Portal(d))
}

// MaxReplyBody is the largest reply form read: 10,000 characters of the
// widest UTF-8, percent-encoded, plus the Turnstile token, fit many times.
const MaxReplyBody = 256 << 10

// Reply answers POST /portal/:token/replies: 303 back to the page on
// success; otherwise the page again with the text kept and the reason.
func (h *Handler) Reply(c *fiber.Ctx) error {
	token := c.Params("token")
	// A reply with files (multipart) is streamed, its files to disk.
	value := func(k string) string { return c.FormValue(k) }
	form, multipart, err := h.readForm(c)
	if form != nil {
		defer form.Close(context.WithoutCancel(c.UserContext()))
		value = form.Value
	}
	var tooLarge *attachments.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		// Not kept: the text may be what was too large.
		return h.again(c, token, fiber.StatusRequestEntityTooLarge, "", func(s views.Strings) string {
			return s.Files.TooLarge + " (" + s.Field(tooLarge.Reason) + ")"
		})
	case err != nil:
		a, ok := httperr.Of(err)
		if !ok {
			return h.fail(c, err)
		}
		return h.again(c, token, a.Status, "", func(s views.Strings) string {
			if msg := s.FileProblem(s.Field(a.Fields["files"])); msg != "" {
				return msg
			}
			return joinNonEmpty(s.Field(a.Fields["body"]), s.Field(a.Message))
		})
	case !multipart && len(c.Body()) > MaxReplyBody:
		// Not kept: echoing megabytes back would only amplify the request.
		return h.again(c, token, fiber.StatusRequestEntityTooLarge, "", func(s views.Strings) string { return s.ReplyTooLarge })
	}
	body := value("body")
	_, err = h.svc.ReplyOnPortal(c.UserContext(), tickets.PortalReply{
		Token: token, Body: body, Turnstile: value("cf-turnstile-response"), ClientIP: clientip.String(c.UserContext()),
		Files: form,
	})
	if err == nil {
		return c.Redirect("/portal/"+token+"?sent=1#reply", fiber.StatusSeeOther)
	}
	a, ok := httperr.Of(err)
	if a.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
	}
	switch {
	case !ok:
	case errors.Is(err, tickets.ErrRepliesOff):
		return h.again(c, token, a.Status, "", nil)
	case a.Status == fiber.StatusUnprocessableEntity:
		return h.again(c, token, a.Status, body, func(s views.Strings) string {
			return joinNonEmpty(s.Field(a.Fields["body"]), s.FileProblem(s.Field(a.Fields["files"])))
		})
	case a.Status == fiber.StatusForbidden:
		return h.again(c, token, a.Status, body, func(s views.Strings) string { return s.HumanCheckFailed })
	case a.Status == fiber.StatusTooManyRequests:
		return h.again(c, token, a.Status, body, func(s views.Strings) string { return s.TooManyText })
	case a.Status == fiber.StatusServiceUnavailable:
		return h.again(c, token, a.Status, body, func(s views.Strings) string { return s.UnavailableText })
	}
	return h.fail(c, err)
}

// again renders the page with the customer's draft and an explanation,
// worded by reason in the page's language (nil: none).
func (h *Handler) again(c *fiber.Ctx, token string, status int, draft string, reason func(views.Strings) string) error {
	page, err := h.svc.OpenPortal(c.UserContext(), token)
	if err != nil {
		return h.fail(c, err)
	}
	d := h.data(c, token, page, draft, reason)
	if err := h.addRating(c, token, page, &d); err != nil {
		return h.fail(c, err)
	}
	return render(c, status, views.Portal(d))
}

// data is the page of the link's contact, in their language.
func (h *Handler) data(c *fiber.Ctx, token string, page tickets.PortalPage, draft string, reason func(views.Strings) string) views.PortalData {
	s := h.lang.pick(c, page.Locale)
	d := views.PortalData{
		S: s, Nonce: nonce(c), Reference: page.Ticket.Reference, Subject: page.Ticket.Subject,
		Closed: page.Ticket.Status == model.StatusClosed, ExpiresAt: page.ExpiresAt, AllowReply: page.AllowReply,
		FormAction: "/portal/" + token + "/replies", Draft: draft,
		TurnstileSiteKey: h.siteKey,
	}
	if reason != nil {
		d.Error = reason(s)
	}
	d.Sent = c.Query("sent") == "1" && d.Error == ""
	if h.uploads != nil {
		// Without the settings the form still works, without files.
		if set, err := h.uploads.Attachments(c.UserContext()); err == nil {
			d.Accept = strings.Join(set.AllowedTypes, ",")
		}
	}
	for _, m := range page.Messages {
		vm := views.Message{Mine: m.Mine, At: m.CreatedAt, Body: m.Body, HTML: m.HTML}
		for _, a := range page.Attachments[m.ID] {
			l := views.AttachmentLink{
				Name: a.Filename, Size: s.L.Size(a.Size),
				URL: "/portal/" + token + "/attachments/" + strconv.FormatInt(a.ID, 10),
			}
			if attachments.IsImage(a.ContentType) {
				l.ImageURL = l.URL + "/image"
			}
			vm.Attachments = append(vm.Attachments, l)
		}
		switch {
		case vm.Mine:
			vm.Author = s.You
		case m.Direction == model.DirectionInbound:
			// A customer's mail this person was copied on: they saw the
			// sender's name and address in it.
			vm.Author = m.AuthorName
			if vm.Author == "" {
				vm.Author = m.AuthorEmail
			}
		case m.AuthorName != "":
			vm.Author = m.AuthorName + " (" + s.Support + ")"
		default:
			vm.Author = s.Support
		}
		d.Messages = append(d.Messages, vm)
	}
	return d
}

// Attachment answers GET /portal/:token/attachments/:id: the file, always as
// a download (never rendered, whatever its type).
func (h *Handler) Attachment(c *fiber.Ctx) error { return h.attachment(c, false) }

// Image answers GET /portal/:token/attachments/:id/image: a PNG, JPEG, GIF
// or WebP (by its bytes) for the page's thumbnail; anything else is 404.
func (h *Handler) Image(c *fiber.Ctx) error { return h.attachment(c, true) }

func (h *Handler) attachment(c *fiber.Ctx, image bool) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return h.fail(c, model.ErrNotFound)
	}
	f, err := h.svc.OpenPortalAttachment(c.UserContext(), c.Params("token"), id)
	if err != nil {
		return h.fail(c, err)
	}
	if image && !f.Image {
		f.Body.Close()
		return h.fail(c, model.ErrNotFound)
	}
	download.Send(c, f, image)
	return nil
}

// fail renders the friendly page of an error: 404 for unknown, revoked or
// disabled links alike, 410 once expired; anything else goes to the server's
// error handler (logged, 500). The link says nothing of its contact here,
// so the page speaks the browser's language.
func (h *Handler) fail(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, model.ErrNotFound):
		s := h.lang.pick(c, "")
		return render(c, fiber.StatusNotFound, views.ErrorPage(s, nonce(c), s.NotFoundTitle, s.NotFoundText))
	case errors.Is(err, tickets.ErrPortalGone):
		s := h.lang.pick(c, "")
		return render(c, fiber.StatusGone, views.ErrorPage(s, nonce(c), s.GoneTitle, s.GoneText))
	}
	return err
}

// WithUploads lets the reply form take files.
func (h *Handler) WithUploads(r Uploads) *Handler {
	h.uploads = r
	return h
}

// readForm reads a multipart reply (nil and false for a urlencoded one).
func (h *Handler) readForm(c *fiber.Ctx) (*attachments.Form, bool, error) {
	if !download.IsUpload(c) {
		return nil, false, nil
	}
	if h.uploads == nil {
		c.Context().SetConnectionClose()
		return nil, true, model.FieldErrors{"files": "cannot be attached here"}
	}
	form, _, err := download.ReadUpload(c, h.uploads)
	if err != nil {
		return nil, true, err
	}
	if !form.ValidUTF8() {
		form.Close(context.WithoutCancel(c.UserContext()))
		return nil, true, model.FieldErrors{"body": "must be valid UTF-8 text"}
	}
	return form, true, nil
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
