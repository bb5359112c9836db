// Package admin serves the admin API: session sign-in, runtime settings,
// tickets and contacts. Callers authenticate with the session cookie or the
// host app's bearer token.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
)

// SessionCookie names the admin session cookie.
const SessionCookie = "portico_session"

// Authenticator signs admins in and out.
type Authenticator interface {
	Login(ctx context.Context, email, password string) (string, model.Admin, error)
	Session(ctx context.Context, token string) (model.Admin, error)
	Logout(ctx context.Context, token string) error
	BearerValid(token string) bool
	// BearerAllows reports whether the API token has a scope
	// (adminauth.Scopes).
	BearerAllows(scope string) bool
	// AllowLogin slows down password guessing: it returns how long a client
	// address must wait when it has tried too often.
	AllowLogin(ctx context.Context, clientIP, email string) (time.Duration, error)
}

// Settings reads and writes runtime settings.
type Settings interface {
	GuestPolicyState(ctx context.Context) (settings.GuestPolicyState, error)
	SetGuestPolicy(ctx context.Context, in settings.GuestPolicyInput) (settings.GuestPolicyState, error)
	ResetGuestPolicy(ctx context.Context) (settings.GuestPolicyState, error)
	Portal(ctx context.Context) (settings.Portal, error)
	SetPortal(ctx context.Context, in settings.PortalInput) (settings.Portal, error)
	Widget(ctx context.Context) (settings.Widget, error)
	SetWidget(ctx context.Context, in settings.WidgetInput) (settings.Widget, error)
}

// Tickets lists and shows tickets.
type Tickets interface {
	List(ctx context.Context, q tickets.ListQuery) ([]model.Ticket, int64, error)
	Get(ctx context.Context, reference string) (tickets.Detail, error)
	RevokePortalLinks(ctx context.Context, reference string) (int64, error)
	IssuePortalLink(ctx context.Context, reference, email string) error
	StopPortal(ctx context.Context, reference string) (bool, error)
	ResumePortal(ctx context.Context, reference string) (bool, error)
	OpenAttachment(ctx context.Context, id int64) (attachments.File, error)
	Close(ctx context.Context, ticketID int64, c tickets.StateChange) (bool, error)
	Reopen(ctx context.Context, ticketID int64, c tickets.StateChange) (bool, error)
}

// Signups verifies signup tokens.
type Signups interface {
	Verify(ctx context.Context, token string) (model.Contact, error)
}

// Contacts promotes contacts to host-app users.
type Contacts interface {
	PromoteToUser(ctx context.Context, contactID, userID int64) (model.Contact, int64, error)
}

// Handler serves /support/admin/*.
type Handler struct {
	auth     Authenticator
	settings Settings
	tickets  Tickets
	contacts Contacts
	signups  Signups
	// origin is scheme://host of PORTICO_BASE_URL: with the origin a
	// request was sent to (sameOrigin), the Origin allowed to sign in and to
	// change anything with a session cookie.
	origin string
	secure bool
}

// New returns the admin handler.
func New(auth Authenticator, s Settings, t Tickets, c Contacts, signups Signups, origin string, secureCookie bool) *Handler {
	return &Handler{auth: auth, settings: s, tickets: t, contacts: c, signups: signups, origin: origin, secure: secureCookie}
}

const (
	adminLocal  = "admin"
	bearerLocal = "bearer" // true when the API token let the request in
)

// RequireAdmin lets a request through with a valid bearer token or session
// cookie. With a cookie, unsafe methods must come from our own origin
// (sameOrigin), which is what stops cross-site request forgery.
func (h *Handler) RequireAdmin(c *fiber.Ctx) error {
	if bearer, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
		if h.auth.BearerValid(strings.TrimSpace(bearer)) {
			c.Locals(bearerLocal, true)
			return c.Next()
		}
		return fiber.NewError(fiber.StatusUnauthorized, "the bearer token is not valid")
	}
	token := c.Cookies(SessionCookie)
	if token == "" {
		return fiber.NewError(fiber.StatusUnauthorized, "sign in first")
	}
	admin, err := h.auth.Session(c.UserContext(), token)
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusUnauthorized, "your session has ended; sign in again")
	}
	if err != nil {
		return err
	}
	if !safeMethod(c.Method()) && !sameOrigin(c, h.origin) {
		return fiber.NewError(fiber.StatusForbidden, "cross-site request refused: Origin must be "+h.origin+" or the address this request was sent to")
	}
	c.Locals(adminLocal, admin)
	return c.Next()
}

// RequireScope lets through, after RequireAdmin, a signed-in admin (who has
// every scope) or an API token that has scope; other tokens get a 403 that
// names the scope missing.
func (h *Handler) RequireScope(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if viaToken, _ := c.Locals(bearerLocal).(bool); viaToken && !h.auth.BearerAllows(scope) {
			return fiber.NewError(fiber.StatusForbidden, "the API token lacks the \""+scope+"\" scope "+
				"(PORTICO_ADMIN_API_TOKEN_SCOPES lists what it may do)")
		}
		return c.Next()
	}
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// sameOrigin reports whether the request's Origin is this server's: the
// origin of PORTICO_BASE_URL (configured), or the origin the request was
// sent to, its Host header with the connection's scheme. The second lets
// http://127.0.0.1:8080 work when the base URL says localhost. It is safe
// because a browser chooses neither header: a cross-site request carries
// the attacker's page in Origin ("null" from sandboxed frames and some
// redirects) and this server's own name in Host, so they differ. Forwarded
// headers (X-Forwarded-Host, -Proto) are not read; behind a proxy that
// rewrites Host the base URL is what matches.
func sameOrigin(c *fiber.Ctx, configured string) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	if strings.EqualFold(origin, configured) {
		return true
	}
	own := requestOrigin(c)
	return own != "" && strings.EqualFold(origin, own)
}

// requestOrigin is scheme://host of the address the request was sent to,
// "" without a usable Host header.
func requestOrigin(c *fiber.Ctx) string {
	host := string(c.Request().Header.Host())
	if host == "" || strings.ContainsAny(host, "/\\@?# ") {
		return ""
	}
	scheme := "http"
	if c.Context().IsTLS() {
		scheme = "https"
	}
	return scheme + "://" + host
}

// sessionCookie is the admin session cookie: HttpOnly, SameSite=Strict,
// Secure behind an https base URL.
func sessionCookie(token string, secure bool) *fiber.Cookie {
	return &fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode,
		Expires: time.Now().Add(adminauth.SessionTTL),
	}
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type adminView struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// Login answers POST /support/admin/api/session.
func (h *Handler) Login(c *fiber.Ctx) error {
	// Without Origin it is no browser's cross-site request (curl, scripts).
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !sameOrigin(c, h.origin) {
		return fiber.NewError(fiber.StatusForbidden, "cross-site sign-in refused")
	}
	var in credentials
	if err := decode(c, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Email) == "" || in.Password == "" {
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fiber.Map{"email": "email and password are required"}})
	}
	// Charged per client and per account before the password is looked at;
	// the answer is the same whether or not the account exists.
	if wait, err := h.auth.AllowLogin(c.UserContext(), clientip.String(c.UserContext()), in.Email); err != nil {
		return err
	} else if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		return fiber.NewError(fiber.StatusTooManyRequests, "too many sign-in attempts; try again later")
	}
	token, admin, err := h.auth.Login(c.UserContext(), in.Email, in.Password)
	if errors.Is(err, adminauth.ErrInvalidCredentials) {
		return fiber.NewError(fiber.StatusUnauthorized, "wrong email or password")
	}
	if err != nil {
		return err
	}
	c.Cookie(sessionCookie(token, h.secure))
	return c.JSON(adminView{ID: admin.ID, Email: admin.Email})
}

// Me answers GET /support/admin/api/session.
func (h *Handler) Me(c *fiber.Ctx) error {
	admin, err := h.auth.Session(c.UserContext(), c.Cookies(SessionCookie))
	if errors.Is(err, model.ErrNotFound) {
		return fiber.NewError(fiber.StatusUnauthorized, "nobody is signed in")
	}
	if err != nil {
		return err
	}
	return c.JSON(adminView{ID: admin.ID, Email: admin.Email})
}

// Logout answers DELETE /support/admin/api/session.
func (h *Handler) Logout(c *fiber.Ctx) error {
	if token := c.Cookies(SessionCookie); token != "" {
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && !sameOrigin(c, h.origin) {
			return fiber.NewError(fiber.StatusForbidden, "cross-site sign-out refused")
		}
		if err := h.auth.Logout(c.UserContext(), token); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.secure,
		SameSite: fiber.CookieSameSiteStrictMode, Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
}

// GetGuestPolicy answers GET /support/admin/settings/public-tickets: the
// policy in force, its source (saved or the start-up default) and the
// default.
func (h *Handler) GetGuestPolicy(c *fiber.Ctx) error {
	p, err := h.settings.GuestPolicyState(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// ResetGuestPolicy answers DELETE /support/admin/settings/public-tickets:
// the saved policy is forgotten and the start-up default is in force again.
func (h *Handler) ResetGuestPolicy(c *fiber.Ctx) error {
	p, err := h.settings.ResetGuestPolicy(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type guestPolicyBody struct {
	Mode     json.RawMessage `json:"guest_policy_mode"`
	UserID   json.RawMessage `json:"guest_policy_user_id"`
	Template json.RawMessage `json:"guest_policy_signup_url_template"`
}

// PutGuestPolicy answers PUT /support/admin/settings/public-tickets. Values of
// the wrong type are coerced by the service rather than refused.
func (h *Handler) PutGuestPolicy(c *fiber.Ctx) error {
	var in guestPolicyBody
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := h.settings.SetGuestPolicy(c.UserContext(), settings.GuestPolicyInput{
		Mode: rawString(in.Mode), UserID: string(in.UserID), SignupURLTemplate: rawString(in.Template),
	})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// rawString is a JSON string's value; any other JSON value yields "".
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// GetPortal answers GET /support/admin/settings/portal.
func (h *Handler) GetPortal(c *fiber.Ctx) error {
	p, err := h.settings.Portal(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

type portalBody struct {
	Enabled             *bool   `json:"enabled"`
	AllowReply          *bool   `json:"allow_reply"`
	RetentionAfterClose *string `json:"retention_after_close"`
	StatusMails         *bool   `json:"status_mails"`
	DefaultLanguage     *string `json:"default_language"`
}

// PutPortal answers PUT /support/admin/settings/portal.
func (h *Handler) PutPortal(c *fiber.Ctx) error {
	var in portalBody
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := h.settings.SetPortal(c.UserContext(), settings.PortalInput(in))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// CheckPeriod answers GET /support/admin/settings/period?value=14d: the
// period as the server would store it ("2w"), in words ("2 weeks") and in
// seconds, or a 422 with the message a PUT would give. The admin page asks
// it instead of parsing periods itself, so the rule lives only in validate.
func (h *Handler) CheckPeriod(c *fiber.Ctx) error {
	d, msg := validate.Retention(strings.TrimSpace(c.Query("value")))
	if msg != "" {
		return model.FieldErrors{"value": msg}
	}
	return c.JSON(fiber.Map{"value": validate.FormatRetention(d), "description": validate.DescribeRetention(d),
		"seconds": int64(d / time.Second)})
}

// GetWidget answers GET /support/admin/settings/widget.
func (h *Handler) GetWidget(c *fiber.Ctx) error {
	w, err := h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(w)
}

type widgetBody struct {
	Color          *string  `json:"color"`
	Position       *string  `json:"position"`
	Title          *string  `json:"title"`
	Greeting       *string  `json:"greeting"`
	AllowedOrigins []string `json:"allowed_origins"`
	Priorities     []string `json:"priorities"`
}

// PutWidget answers PUT /support/admin/settings/widget.
func (h *Handler) PutWidget(c *fiber.Ctx) error {
	var in widgetBody
	if err := decode(c, &in); err != nil {
		return err
	}
	w, err := h.settings.SetWidget(c.UserContext(), settings.WidgetInput(in))
	if err != nil {
		return err
	}
	return c.JSON(w)
}

// decode reads a JSON body; a malformed one is a 400 naming the problem.
func decode(c *fiber.Ctx, into any) error {
	if err := json.Unmarshal(c.Body(), into); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fiber.NewError(fiber.StatusBadRequest, typeErr.Field+" must be a "+typeErr.Type.String())
		}
		return fiber.NewError(fiber.StatusBadRequest, "the body is not valid JSON: "+err.Error())
	}
	return nil
}
