package widget

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
	"github.com/portico/portico/views"
)

// fakeTickets files tickets in memory with the real validation rules and, as
// the service does, asks the human check (answered with human; nil: passes)
// of guest submissions after their fields.
type fakeTickets struct {
	filed   []tickets.WidgetSubmission
	limited bool
	human   error
	checked []string
}

func (f *fakeTickets) CreateFromWidget(_ context.Context, in tickets.WidgetSubmission) (model.Ticket, error) {
	errs := validate.Ticket(validate.TicketInput{
		Email: validate.Trim(in.Email), Name: validate.Trim(in.Name), Subject: validate.Trim(in.Subject),
		Description: validate.Trim(in.Description), Priority: in.Priority, RequireEmail: in.RequesterID == nil,
	}, settings.DefaultWidget().Priorities)
	if errs != nil {
		return model.Ticket{}, model.FieldErrors(errs)
	}
	if in.RequesterID == nil {
		f.checked = append(f.checked, in.Turnstile)
		if f.human != nil {
			return model.Ticket{}, f.human
		}
	}
	if f.limited {
		return model.Ticket{}, &tickets.RateLimitedError{RetryAfter: 5*time.Minute + 200*time.Millisecond}
	}
	f.filed = append(f.filed, in)
	return model.Ticket{Reference: "TK-7", Status: model.StatusOpen}, nil
}

type fakeSettings struct{ w settings.Widget }

func (s fakeSettings) Widget(context.Context) (settings.Widget, error) { return s.w, nil }
func (s fakeSettings) Portal(context.Context) (settings.Portal, error) {
	return settings.DefaultPortal(), nil
}

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

func newFormApp(t *testing.T, tk *fakeTickets, w settings.Widget, siteKey string) *fiber.App {
	t.Helper()
	h := New(tk, fakeSettings{w}, []byte("secret"), siteKey, slog.New(slog.NewTextHandler(io.Discard, nil)))
	app := fiber.New(fiber.Config{ErrorHandler: httperr.Handler(slog.New(slog.DiscardHandler))})
	// httpserver resolves the client address before any handler.
	app.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(clientip.WithContext(c.UserContext(), netip.MustParseAddr("203.0.113.7")))
		return c.Next()
	})
	f := h.HostedForm(texts(t), fakeSettings{w})
	app.Get(FormPath, f.FormHeaders, f.Form)
	app.Post(FormPath, f.FormHeaders, f.SubmitForm)
	app.Post("/support/widget/tickets", h.CreateTicket)
	app.Get("/", h.DemoHeaders, h.Demo)
	return app
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return res, string(body)
}

func postForm(t *testing.T, app *fiber.App, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, FormPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, app, req)
}

func validForm() url.Values {
	return url.Values{
		"email": {"ada@example.com"}, "name": {"Ada"}, "subject": {"Cannot log in"},
		"description": {"The button <b>does</b> nothing."}, "priority": {"high"},
	}
}

func mustContain(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s: missing %q in\n%s", what, p, body)
		}
	}
}

func TestFormPage(t *testing.T) {
	app := newFormApp(t, &fakeTickets{}, settings.DefaultWidget(), "")
	res, body := do(t, app, httptest.NewRequest(http.MethodGet, FormPath, nil))
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	mustContain(t, "CSP", csp, "default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "style-src 'nonce-")
	nonce := strings.TrimSuffix(strings.SplitN(strings.SplitN(csp, "style-src 'nonce-", 2)[1], "'", 2)[0], "'")
	mustContain(t, "page", body, `<style nonce="`+nonce+`">`, "Contact support", `action="/support/widget/form"`,
		`name="email"`, `name="subject"`, `name="description"`, `<option value="medium" selected>`, "(required)")
	if strings.Contains(body, `class="cf-turnstile"`) {
		t.Error("Turnstile shown without a site key")
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if res.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, res.Header.Get(k), v)
		}
	}

	// One priority: no choice to make, no select.
	w := settings.DefaultWidget()
	w.Priorities = []string{"normal"}
	_, body = do(t, newFormApp(t, &fakeTickets{}, w, "site-key"), httptest.NewRequest(http.MethodGet, FormPath, nil))
	if strings.Contains(body, `name="priority"`) {
		t.Error("priority select shown with a single priority")
	}
	mustContain(t, "turnstile", body, `class="cf-turnstile" data-sitekey="site-key"`, "challenges.cloudflare.com/turnstile/v0/api.js")
}

func TestFormSuccess(t *testing.T) {
	tk := &fakeTickets{}
	app := newFormApp(t, tk, settings.DefaultWidget(), "")
	res, body := postForm(t, app, validForm(), "Origin", "http://example.com")
	if res.StatusCode != fiber.StatusCreated {
		t.Fatalf("status %d\n%s", res.StatusCode, body)
	}
	mustContain(t, "success", body, "TK-7", "We emailed you a link to follow this request.", `href="/support/widget/form"`)
	if len(tk.filed) != 1 || tk.filed[0].Email != "ada@example.com" || tk.filed[0].Priority != "high" || tk.filed[0].ClientIP == "" {
		t.Errorf("filed %+v", tk.filed)
	}
	// The service decides whether the (empty) response passes: with no
	// Turnstile secret configured its verifier lets guests through.
	if len(tk.checked) != 1 || tk.checked[0] != "" {
		t.Errorf("human check asked with %q", tk.checked)
	}
}

func TestFormFieldErrorsKeepValues(t *testing.T) {
	tk := &fakeTickets{}
	app := newFormApp(t, tk, settings.DefaultWidget(), "")
	form := validForm()
	form.Set("email", "ada@@example")
	form.Set("subject", "  ")
	res, body := postForm(t, app, form)
	if res.StatusCode != fiber.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	mustContain(t, "422", body,
		`value="ada@@example"`, "The button &lt;b&gt;does&lt;/b&gt; nothing.", `<option value="high" selected>`,
		"Email is not a valid email address", "Subject is required", `aria-invalid="true"`,
		`aria-describedby="f-email-error"`, `id="f-email-error"`, "Please correct the highlighted fields.", `value="Ada"`)
	if strings.Contains(body, "Name is") {
		t.Error("a valid field is marked")
	}
	if len(tk.filed) != 0 {
		t.Error("filed an invalid ticket")
	}
}

func TestFormRateLimited(t *testing.T) {
	app := newFormApp(t, &fakeTickets{limited: true}, settings.DefaultWidget(), "")
	res, body := postForm(t, app, validForm())
	if res.StatusCode != fiber.StatusTooManyRequests {
		t.Fatalf("status %d", res.StatusCode)
	}
	if res.Header.Get("Retry-After") != "301" {
		t.Errorf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	mustContain(t, "429", body, "several requests in a short time", `value="Cannot log in"`, `role="alert"`)
}

func TestFormHumanCheck(t *testing.T) {
	tk := &fakeTickets{human: tickets.ErrNotHuman}
	app := newFormApp(t, tk, settings.DefaultWidget(), "site-key")
	form := validForm()
	form.Set("cf-turnstile-response", "tok")
	res, body := postForm(t, app, form)
	if res.StatusCode != fiber.StatusForbidden || len(tk.filed) != 0 {
		t.Fatalf("status %d, filed %d", res.StatusCode, len(tk.filed))
	}
	mustContain(t, "403", body, "not a robot", `value="ada@example.com"`)
	if len(tk.checked) != 1 || tk.checked[0] != "tok" {
		t.Errorf("checked %q", tk.checked)
	}

	tk.human = tickets.ErrHumanCheckUnavailable
	if res, _ := postForm(t, app, form); res.StatusCode != fiber.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("unavailable: status %d", res.StatusCode)
	}
	tk.human = nil
	if res, _ := postForm(t, app, form); res.StatusCode != fiber.StatusCreated || len(tk.filed) != 1 {
		t.Errorf("passed check: status %d", res.StatusCode)
	}
}

func TestFormOrigin(t *testing.T) {
	w := settings.DefaultWidget()
	w.AllowedOrigins = []string{"https://shop.example.com"}
	tk := &fakeTickets{}
	app := newFormApp(t, tk, w, "")
	if res, _ := postForm(t, app, validForm(), "Origin", "https://evil.example"); res.StatusCode != fiber.StatusForbidden {
		t.Errorf("foreign origin: status %d", res.StatusCode)
	}
	// httptest requests are for example.com: our own page posts with that origin.
	for _, origin := range []string{"http://example.com", "https://shop.example.com", ""} {
		if res, _ := postForm(t, app, validForm(), "Origin", origin); res.StatusCode != fiber.StatusCreated {
			t.Errorf("origin %q: status %d", origin, res.StatusCode)
		}
	}
}

func TestTicketAPIHumanCheck(t *testing.T) {
	tk := &fakeTickets{human: tickets.ErrNotHuman}
	app := newFormApp(t, tk, settings.DefaultWidget(), "site-key")
	post := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/support/widget/tickets", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, _ := do(t, app, req)
		return res.StatusCode
	}
	guest := `{"email":"ada@example.com","subject":"Hi","description":"Help","cf-turnstile-response":"tok"}`
	if got := post(guest); got != fiber.StatusForbidden {
		t.Errorf("failed check: %d", got)
	}
	tk.human = nil
	if got := post(guest); got != fiber.StatusCreated {
		t.Errorf("passed check: %d", got)
	}
	if len(tk.checked) != 2 || tk.checked[0] != "tok" {
		t.Errorf("checked %q", tk.checked)
	}
	// The JSON answers of a refused submission come from the one error
	// handler: 503 with Retry-After when Turnstile cannot be asked.
	tk.human = tickets.ErrHumanCheckUnavailable
	req := httptest.NewRequest(http.MethodPost, "/support/widget/tickets", strings.NewReader(guest))
	req.Header.Set("Content-Type", "application/json")
	if res, body := do(t, app, req); res.StatusCode != fiber.StatusServiceUnavailable || res.Header.Get("Retry-After") != "30" ||
		!strings.Contains(body, "paused") {
		t.Errorf("unavailable: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestDemoPage(t *testing.T) {
	app := newFormApp(t, &fakeTickets{}, settings.DefaultWidget(), "")
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/", nil)
	res, body := do(t, app, req)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	mustContain(t, "demo", body, `src="http://127.0.0.1:8080/support/widget/widget.js"`, `data-base-url="http://127.0.0.1:8080"`, " async")
	mustContain(t, "CSP", res.Header.Get("Content-Security-Policy"), "'wasm-unsafe-eval'", "script-src 'self'", "connect-src 'self'")
}
