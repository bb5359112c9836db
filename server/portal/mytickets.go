package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/views"
)

// "My tickets" (issue 17): GET /portal asks for an address, POST /portal
// mails a sign-in link (the same answer for every address), the link's page
// signs in with a button, /portal/tickets lists the customer's requests.

// MyTicketsService is what the "My tickets" pages ask of the tickets service.
type MyTicketsService interface {
	PortalOn(ctx context.Context) error
	RequestSignin(ctx context.Context, in tickets.SigninRequest) error
	CheckSignin(ctx context.Context, token string) error
	Signin(ctx context.Context, token string) (tickets.PortalSession, error)
	ListMyTickets(ctx context.Context, sessionToken string) (tickets.MyTickets, error)
	OpenMyTicket(ctx context.Context, sessionToken, reference string) (string, error)
	SignOut(ctx context.Context, sessionToken string) error
}

// MyTicketsHandler serves /portal, /portal/signin/:token, /portal/tickets
// and /portal/signout.
type MyTicketsHandler struct {
	svc      MyTicketsService
	formKey  []byte
	secure   bool
	siteKey  string
	lang     languages
	log      *slog.Logger
	listPath string
}

// NewMyTickets returns the handler. formKey signs the forms' anti-forgery
// tokens (keys.Ring.PortalForm); secure marks the cookies Secure (an https
// base URL); siteKey is the Turnstile site key (may be empty); texts are
// the pages in every language, defaults the admin's default language.
func NewMyTickets(svc MyTicketsService, formKey []byte, secure bool, siteKey string, texts *views.Texts, defaults DefaultLanguage,
	log *slog.Logger) *MyTicketsHandler {
	return &MyTicketsHandler{svc: svc, formKey: formKey, secure: secure, siteKey: siteKey, log: log,
		lang: languages{texts: texts, defaults: defaults}, listPath: views.MyTicketsPath + "/tickets"}
}

// Cookies of the "My tickets" pages, both limited to /portal and HttpOnly.
const (
	// sessionCookie holds the session's secret (the server keeps its
	// SHA-256); SameSite=Lax so that the list opens from a link.
	sessionCookie = "portico_portal_session"
	// formCookie holds the random value the forms' tokens are signed over
	// (double submit: a forged post from another site has no cookie or no
	// matching token).
	formCookie = "portico_portal_form"
)

// Form answers GET /portal: the address form (a notice after signing out or
// when the session ended).
func (h *MyTicketsHandler) Form(c *fiber.Ctx) error {
	if err := h.svc.PortalOn(c.UserContext()); err != nil {
		return h.sessionFailed(c, err)
	}
	d, err := h.formData(c)
	if err != nil {
		return err
	}
	switch c.Query("from") {
	case "signout":
		d.Info = d.S.MyTickets.SignedOut
	case "ended":
		d.Info = d.S.MyTickets.Ended
	}
	return render(c, fiber.StatusOK, views.MyTicketsForm(d))
}

// formData is the address form. Nobody is signed in here: the page speaks
// the browser's language.
func (h *MyTicketsHandler) formData(c *fiber.Ctx) (views.MyTicketsFormData, error) {
	token, err := h.formToken(c)
	if err != nil {
		return views.MyTicketsFormData{}, err
	}
	return views.MyTicketsFormData{S: h.lang.pick(c, ""), Nonce: nonce(c), CSRF: token, TurnstileSiteKey: h.siteKey}, nil
}

// Request answers POST /portal: 200 "if we have tickets for that address,
// we sent a link" for every valid address; the form again with 403 (forged
// or expired form, failed human check), 422 (bad address), 429 (with
// Retry-After) or 503.
func (h *MyTicketsHandler) Request(c *fiber.Ctx) error {
	d, err := h.formData(c)
	if err != nil {
		return err
	}
	d.Email = c.FormValue("email")
	if !h.formPosted(c) {
		d.Notice = d.S.MyTickets.FormExpired
		return render(c, fiber.StatusForbidden, views.MyTicketsForm(d))
	}
	err = h.svc.RequestSignin(c.UserContext(), tickets.SigninRequest{
		Email: d.Email, Turnstile: c.FormValue("cf-turnstile-response"), ClientIP: clientip.String(c.UserContext()),
	})
	if err == nil {
		// Nothing that depends on the address: not even the address.
		d.Sent, d.Email = true, ""
		return render(c, fiber.StatusOK, views.MyTicketsForm(d))
	}
	a, ok := httperr.Of(err)
	if a.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
	}
	switch {
	case !ok:
		return err
	case a.Status == fiber.StatusNotFound:
		return h.notFound(c)
	case a.Status == fiber.StatusUnprocessableEntity:
		d.EmailError = d.S.Field(a.Fields["email"])
	case a.Status == fiber.StatusForbidden:
		d.Notice = d.S.HumanCheckFailed
	case a.Status == fiber.StatusTooManyRequests:
		d.Notice = d.S.MyTickets.TooMany
	case a.Status == fiber.StatusServiceUnavailable:
		h.log.WarnContext(c.UserContext(), "my tickets: a check is unavailable", "err", err)
		d.Notice = d.S.MyTickets.Unavailable
	default:
		return err
	}
	return render(c, a.Status, views.MyTicketsForm(d))
}

// SigninPage answers GET /portal/signin/:token: a button that signs in, or
// 410 (used or expired) / 404 (unknown). It spends nothing: mail scanners
// open links before people do.
func (h *MyTicketsHandler) SigninPage(c *fiber.Ctx) error {
	token := c.Params("token")
	if err := h.svc.CheckSignin(c.UserContext(), token); err != nil {
		return h.signinFailed(c, err)
	}
	form, err := h.formToken(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.MyTicketsSignin(views.MyTicketsSigninData{
		S: h.lang.pick(c, ""), Nonce: nonce(c), CSRF: form, Action: tickets.SigninPath + token,
	}))
}

// Signin answers POST /portal/signin/:token: spends the link, sets the
// session cookie and sends the customer to their list (303).
func (h *MyTicketsHandler) Signin(c *fiber.Ctx) error {
	if !h.formPosted(c) {
		return h.formExpired(c)
	}
	session, err := h.svc.Signin(c.UserContext(), c.Params("token"))
	if err != nil {
		return h.signinFailed(c, err)
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: session.Token, Path: views.MyTicketsPath,
		MaxAge: int(tickets.PortalSessionTTL.Seconds()), HTTPOnly: true, Secure: h.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(h.listPath, fiber.StatusSeeOther)
}

func (h *MyTicketsHandler) signinFailed(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, tickets.ErrSigninGone):
		s := h.lang.pick(c, "")
		return render(c, fiber.StatusGone, views.MyTicketsMessage(s, nonce(c), s.MyTickets.GoneTitle, s.MyTickets.GoneText))
	case errors.Is(err, model.ErrNotFound):
		s := h.lang.pick(c, "")
		return render(c, fiber.StatusNotFound, views.MyTicketsMessage(s, nonce(c), s.NotFoundTitle, s.MyTickets.NotFoundText))
	}
	return err
}

// List answers GET /portal/tickets: the session's requests; without a
// session, 303 to /portal (which says the session ended).
func (h *MyTicketsHandler) List(c *fiber.Ctx) error {
	mine, err := h.svc.ListMyTickets(c.UserContext(), c.Cookies(sessionCookie))
	if err != nil {
		return h.sessionFailed(c, err)
	}
	form, err := h.formToken(c)
	if err != nil {
		return err
	}
	// Signed in: the contact's language first.
	d := views.MyTicketsListData{S: h.lang.pick(c, mine.Locale), Nonce: nonce(c), CSRF: form, Email: mine.Email, More: mine.More, ExpiresAt: mine.SessionExpiresAt}
	for _, t := range mine.Tickets {
		row := views.MyTicketRow{Reference: t.Reference, Subject: shorten(t.Subject, listSubject), Closed: t.Status == model.StatusClosed,
			LastActivity: t.LastActivity}
		switch {
		case t.Openable:
			row.URL = h.listPath + "/" + t.Reference
		case t.Link == model.LinkRevoked:
			row.Note = d.S.MyTickets.LinkRevoked
		default:
			row.Note = d.S.MyTickets.LinkExpired
		}
		d.Tickets = append(d.Tickets, row)
	}
	return render(c, fiber.StatusOK, views.MyTicketsList(d))
}

// Open answers GET /portal/tickets/:reference: 303 to a fresh portal link
// of one of the session's requests; 404 for a request that is not theirs
// or whose link was turned off, 410 once it expired.
func (h *MyTicketsHandler) Open(c *fiber.Ctx) error {
	link, err := h.svc.OpenMyTicket(c.UserContext(), c.Cookies(sessionCookie), c.Params("reference"))
	switch {
	case errors.Is(err, tickets.ErrPortalGone):
		s := h.lang.pick(c, "")
		return render(c, fiber.StatusGone, views.ErrorPage(s, nonce(c), s.GoneTitle, s.GoneText))
	case errors.Is(err, model.ErrNotFound):
		return h.notFound(c)
	case err != nil:
		return h.sessionFailed(c, err)
	}
	return c.Redirect(link, fiber.StatusSeeOther)
}

// SignOut answers POST /portal/signout: the session ends, the cookie goes,
// 303 to /portal.
func (h *MyTicketsHandler) SignOut(c *fiber.Ctx) error {
	if !h.formPosted(c) {
		return h.formExpired(c)
	}
	if err := h.svc.SignOut(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Path: views.MyTicketsPath, MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: h.secure, SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect(views.MyTicketsPath+"?from=signout", fiber.StatusSeeOther)
}

func (h *MyTicketsHandler) sessionFailed(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, tickets.ErrNoSession):
		return c.Redirect(views.MyTicketsPath+"?from=ended", fiber.StatusSeeOther)
	case errors.Is(err, model.ErrNotFound): // the portal is switched off
		return h.notFound(c)
	}
	return err
}

func (h *MyTicketsHandler) notFound(c *fiber.Ctx) error {
	s := h.lang.pick(c, "")
	return render(c, fiber.StatusNotFound, views.ErrorPage(s, nonce(c), s.NotFoundTitle, s.NotFoundText))
}

func (h *MyTicketsHandler) formExpired(c *fiber.Ctx) error {
	s := h.lang.pick(c, "")
	return render(c, fiber.StatusForbidden, views.MyTicketsMessage(s, nonce(c), s.ForbiddenTitle, s.MyTickets.FormExpired))
}

// formToken returns the anti-forgery token for this browser's form cookie,
// setting a new cookie when it has none.
func (h *MyTicketsHandler) formToken(c *fiber.Ctx) (string, error) {
	v := c.Cookies(formCookie)
	if !isHex64(v) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		v = hex.EncodeToString(b[:])
		// SameSite=Strict: a post from another site never carries it.
		c.Cookie(&fiber.Cookie{Name: formCookie, Value: v, Path: views.MyTicketsPath, HTTPOnly: true, Secure: h.secure,
			SameSite: fiber.CookieSameSiteStrictMode})
	}
	return hex.EncodeToString(h.sign(v)), nil
}

// formPosted reports whether a post carries the token of its form cookie
// (compared in constant time).
func (h *MyTicketsHandler) formPosted(c *fiber.Ctx) bool {
	v := c.Cookies(formCookie)
	got, err := hex.DecodeString(c.FormValue("csrf"))
	return isHex64(v) && err == nil && hmac.Equal(got, h.sign(v))
}

func (h *MyTicketsHandler) sign(v string) []byte {
	mac := hmac.New(sha256.New, h.formKey)
	mac.Write([]byte("portal-form:" + v))
	return mac.Sum(nil)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// listSubject is the most of a subject the list shows (its portal page shows
// it whole), so that a list stays under 15 KB.
const listSubject = 100

// shorten cuts s to n characters, ending with "…" when it cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
