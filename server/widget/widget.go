// Package widget serves the widget's public API: its configuration and the
// ticket intake. It parses and answers; the tickets service decides.
package widget

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
)

// MaxBody is the largest ticket submission accepted.
const MaxBody = 64 << 10

// TicketCreator files widget tickets.
type TicketCreator interface {
	CreateFromWidget(ctx context.Context, in tickets.WidgetSubmission) (model.Ticket, error)
}

// SettingsReader gives the runtime widget settings.
type SettingsReader interface {
	Widget(ctx context.Context) (settings.Widget, error)
}

// PortalReader gives the portal settings, whose default language the
// widget speaks when neither the page nor the browser names one it knows.
type PortalReader interface {
	Portal(ctx context.Context) (settings.Portal, error)
}

// Handler serves /support/widget/*.
type Handler struct {
	tickets          TicketCreator
	settings         SettingsReader
	requesterKey     []byte
	turnstileSiteKey string
	log              *slog.Logger
	// uploads reads files sent with a ticket; nil: multipart is refused.
	uploads Uploads
	// myTicketsURL is where customers ask for a link to all their tickets.
	myTicketsURL string
	// catalog and portal choose the language of the form and of field
	// errors; nil catalog: English, nothing translated.
	catalog *i18n.Catalog
	portal  PortalReader
}

// New returns the widget API handler. requesterKey
// (PORTICO_REQUESTER_SIGNING_KEY) is the host apps' key for requester
// signatures, never the secret key; nil: signed requester ids are refused.
func New(t TicketCreator, s SettingsReader, requesterKey []byte, turnstileSiteKey string, log *slog.Logger) *Handler {
	return &Handler{tickets: t, settings: s, requesterKey: requesterKey, turnstileSiteKey: turnstileSiteKey, log: log}
}

// WithMyTicketsURL sets the absolute URL of the "My tickets" page that the
// widget links to (config my_tickets_url); empty: no link.
func (h *Handler) WithMyTicketsURL(u string) *Handler {
	h.myTicketsURL = u
	return h
}

// WithCatalog lets the widget speak the customer's language: config sends
// the form its texts, and field errors are answered translated.
func (h *Handler) WithCatalog(c *i18n.Catalog, p PortalReader) *Handler {
	h.catalog, h.portal = c, p
	return h
}

// maxLocaleQuery bounds ?locale= on config: a language tag, perhaps with a
// region and script; anything longer is not one and is ignored.
const maxLocaleQuery = 35

// language chooses the language of a widget request: explicit (the page's
// data-locale, or the submission's "language"), then Accept-Language, then
// the admin's default language. "" without a catalog.
func (h *Handler) language(c *fiber.Ctx, explicit string) (string, error) {
	if h.catalog == nil {
		return "", nil
	}
	p, err := h.portal.Portal(c.UserContext())
	if err != nil {
		return "", err
	}
	if len(explicit) > maxLocaleQuery {
		explicit = ""
	}
	return h.catalog.Choose(p.DefaultLanguage, explicit, c.Get(fiber.HeaderAcceptLanguage)), nil
}

// translated returns err with the messages of its field errors (422) in
// lang; other errors as they are.
func (h *Handler) translated(lang string, err error) error {
	var fields model.FieldErrors
	if h.catalog == nil || !errors.As(err, &fields) {
		return err
	}
	l := h.catalog.For(lang)
	out := make(model.FieldErrors, len(fields))
	for k, msg := range fields {
		out[k] = l.Field(msg)
	}
	return out
}

type configResponse struct {
	Color            string   `json:"color"`
	Position         string   `json:"position"`
	Title            string   `json:"title"`
	Greeting         string   `json:"greeting"`
	Priorities       []string `json:"priorities"`
	TurnstileSiteKey string   `json:"turnstile_site_key"`
	MyTicketsURL     string   `json:"my_tickets_url,omitempty"`
	// Attachments says what files the form may send; absent: none.
	Attachments *uploadConfig `json:"attachments,omitempty"`
	// Locale is the language the form speaks; Texts its messages (catalog
	// area widget, without the "widget." prefix) and FieldMessages the
	// translations of package validate's messages, keyed by the English
	// template (catalog area field, see i18n.Localizer.Field).
	Locale        string            `json:"locale,omitempty"`
	Texts         map[string]string `json:"texts,omitempty"`
	FieldMessages map[string]string `json:"field_messages,omitempty"`
}

// Config answers GET /support/widget/config.
func (h *Handler) Config(c *fiber.Ctx) error {
	w, err := h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	if !h.cors(c, w) {
		return fiber.NewError(fiber.StatusForbidden, "this site is not allowed to use the support widget")
	}
	up, err := h.uploadConfig(c.UserContext())
	if err != nil {
		return err
	}
	out := configResponse{
		Color: w.Color, Position: w.Position, Title: w.Title, Greeting: w.Greeting,
		Priorities: w.Priorities, TurnstileSiteKey: h.turnstileSiteKey, MyTicketsURL: h.myTicketsURL, Attachments: up,
	}
	// The answer depends on ?locale= (part of the URL, so of any cache's
	// key) and on Accept-Language.
	c.Vary(fiber.HeaderAcceptLanguage)
	lang, err := h.language(c, c.Query("locale"))
	if err != nil {
		return err
	}
	if lang != "" {
		l := h.catalog.For(lang)
		if w.PorticoTitle() {
			out.Title = l.T("widget.default_title")
		}
		if w.PorticoGreeting() {
			out.Greeting = l.T("widget.default_greeting")
		}
		out.Locale = lang
		out.Texts = h.catalog.Texts(lang, "widget.")
		out.FieldMessages = h.catalog.Texts(lang, "field.")
		c.Set(fiber.HeaderContentLanguage, lang)
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(out)
}

// Preflight answers CORS preflight requests of the widget API.
func (h *Handler) Preflight(c *fiber.Ctx) error {
	w, err := h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	if !h.cors(c, w) {
		return c.SendStatus(fiber.StatusForbidden)
	}
	c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "600")
	return c.SendStatus(fiber.StatusNoContent)
}

// cors sets Access-Control-Allow-Origin to the caller's origin when it is
// allowed, and reports whether the request may go on. Requests without an
// Origin (servers, curl) are not cross-origin and pass.
func (h *Handler) cors(c *fiber.Ctx, w settings.Widget) bool {
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	if !w.OriginAllowed(origin) {
		return false
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	return true
}

type submission struct {
	Email              *string         `json:"email"`
	Name               string          `json:"name"`
	Subject            string          `json:"subject"`
	Description        string          `json:"description"`
	Priority           string          `json:"priority"`
	RequesterID        json.RawMessage `json:"requester_id"`
	RequesterSignature string          `json:"requester_signature"`
	Turnstile          string          `json:"cf-turnstile-response"`
	// Where the widget was opened (issue 17).
	PageURL   string `json:"page_url"`
	PageTitle string `json:"page_title"`
	Locale    string `json:"locale"`
	// Language is the language the form spoke (config's "locale"): stored
	// on the contact when portico speaks it, and the language of field
	// errors.
	Language string `json:"language"`
}

type createdResponse struct {
	Reference string `json:"reference"`
	Status    string `json:"status"`
}

// CreateTicket answers POST /support/widget/tickets. The answer never holds
// a portal link: that goes only to the mailbox, which proves ownership.
func (h *Handler) CreateTicket(c *fiber.Ctx) error {
	w, err := h.settings.Widget(c.UserContext())
	if err != nil {
		return err
	}
	if !h.cors(c, w) {
		return fiber.NewError(fiber.StatusForbidden, "this site is not allowed to use the support widget")
	}
	if download.IsUpload(c) {
		return h.createWithFiles(c)
	}
	body := c.Body()
	if len(body) > MaxBody {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the request is larger than 64 KiB")
	}
	if !jsonContentType(string(c.Request().Header.ContentType())) {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "send the ticket as JSON with Content-Type: application/json")
	}
	if !utf8.Valid(body) { // encoding/json would quietly turn the bad bytes into U+FFFD
		return fiber.NewError(fiber.StatusBadRequest, "the body is not valid UTF-8")
	}
	var in submission
	if err := json.Unmarshal(body, &in); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, jsonProblem(err))
	}
	return h.file(c, in, nil)
}

// file files a parsed submission (JSON, or a multipart form with files).
func (h *Handler) file(c *fiber.Ctx, in submission, files *attachments.Form) error {
	sub := tickets.WidgetSubmission{
		Name: in.Name, Subject: in.Subject, Description: in.Description, Priority: in.Priority, ClientIP: clientip.String(c.UserContext()),
		Page: validate.PageInput{URL: in.PageURL, Title: in.PageTitle, Locale: in.Locale},
	}
	if in.Email != nil {
		sub.Email = *in.Email
	}
	hasRequester := len(in.RequesterID) > 0 && string(in.RequesterID) != "null"
	switch {
	case hasRequester:
		id, ok := parseRequesterID(in.RequesterID)
		if !ok {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fiber.Map{"requester_id": "must be a positive integer"}})
		}
		if len(h.requesterKey) == 0 {
			return fiber.NewError(fiber.StatusUnauthorized, "signed requester ids are off: the operator must set PORTICO_REQUESTER_SIGNING_KEY and give host apps that key")
		}
		if !h.signatureValid(id, in.RequesterSignature) {
			return fiber.NewError(fiber.StatusUnauthorized, "requester_signature is missing or does not match requester_id")
		}
		sub.RequesterID = &id
	case strings.TrimSpace(sub.Email) == "":
		return fiber.NewError(fiber.StatusBadRequest, "email is required (or requester_id with requester_signature)")
	}

	sub.Turnstile = in.Turnstile
	sub.Files = files
	sub.Language = in.Language // the service keeps it only when portico speaks it
	// Field errors (422), a failed human check (403), budgets (429) and
	// outages (503) are answered by the error handler, through httperr.
	t, err := h.tickets.CreateFromWidget(c.UserContext(), sub)
	if err != nil {
		lang, lerr := h.language(c, in.Language)
		if lerr != nil {
			return err
		}
		return h.translated(lang, err)
	}
	return c.Status(fiber.StatusCreated).JSON(createdResponse{Reference: t.Reference, Status: t.Status})
}

// signatureValid checks the host app's hex
// HMAC-SHA256(PORTICO_REQUESTER_SIGNING_KEY, requester_id) in constant time.
// Nothing else signs with that key, and it is never the secret key, so no
// internal signature can pass for a requester signature or the other way.
func (h *Handler) signatureValid(id int64, signature string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, h.requesterKey)
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	return hmac.Equal(got, mac.Sum(nil))
}

// parseRequesterID accepts a JSON number or a string of digits.
func parseRequesterID(raw json.RawMessage) (int64, bool) {
	s := string(raw)
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

// jsonContentType accepts application/json, any +json type, and no
// Content-Type at all; forms, text/plain and the rest are refused.
func jsonContentType(v string) bool {
	mt, _, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "" || mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")
}

// jsonProblem turns a decoding error into a sentence for the caller.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeErr.Field + " must be a " + typeErr.Type.String()
	}
	return "the body is not valid JSON: " + err.Error()
}
