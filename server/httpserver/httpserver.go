// Package httpserver builds the HTTP server: the one route table and the
// middleware every request goes through (request id, panic recovery, access
// log, metrics, security headers, JSON errors).
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/server/admin"
	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/githubhook"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/inbound"
	"github.com/portico/portico/server/logmask"
	"github.com/portico/portico/server/portal"
	"github.com/portico/portico/server/widget"
)

// BodyLimit is the largest request body read at all: an inbound mail webhook
// with 25 MB of attachments. Bodies are streamed, and every route is held to
// its own limit before any handler runs (limitBodies: 64 KiB unless
// bodyLimit says otherwise); a reverse proxy in front should do the same.
const BodyLimit = inbound.MaxBody

// Options holds what the server needs.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies clientip.Trusted
	// MetricsToken, when set, is the Bearer token /metrics asks for;
	// otherwise /metrics answers local clients only.
	MetricsToken string
	// MetricsElsewhere: /metrics has a listener of its own
	// (PORTICO_METRICS_ADDR) and this one answers 404.
	MetricsElsewhere bool
	// HSTS sends Strict-Transport-Security (the base URL is https).
	HSTS bool
	// Ready reports whether the server can do its work (the database answers).
	Ready  func(ctx context.Context) error
	Widget *widget.Handler
	// WidgetForm is the hosted form (widget.FormPath); nil: routes off.
	WidgetForm *widget.FormPage
	Admin      *admin.Handler
	// Setup creates the first admin from the set-up link; nil: routes off.
	Setup  *admin.SetupHandler
	Portal *portal.Handler
	// MyTickets serves the "My tickets" pages (/portal, sign-in links, the
	// list); nil: routes off.
	MyTickets *portal.MyTicketsHandler
	// Inbound receives provider webhooks (inbound mail).
	Inbound *inbound.Handler
	// AdminUI is the built admin single-page app (may be nil or empty).
	AdminUI fs.FS
	// WidgetAssets is the built widget loader and wasm (may be nil or empty).
	WidgetAssets fs.FS
	// AdminInfo is what GET /support/admin/api/info tells the admin app.
	AdminInfo AdminInfo
	// GitHub receives GitHub's webhooks.
	GitHub *githubhook.Handler
	// Privacy exports and erases contacts (admin only); nil: no such routes.
	Privacy *admin.PrivacyHandler
	// InboundAdmin serves the inbound settings and held mail; nil: routes off.
	InboundAdmin *admin.InboundHandler
	// Workflows serves the workflow rules (admin only); nil: no such routes.
	Workflows *admin.WorkflowHandler
	// Attachments serves the upload settings (admin only); nil: no such routes.
	Attachments *admin.AttachmentsHandler
	// Signed serves the signed attachment links GitHub shows; nil: none.
	Signed *download.SignedHandler
	// DeskAdmin serves the GitHub desk setting; nil: routes off.
	DeskAdmin *admin.DeskHandler
	// GitHubAdmin serves the GitHub backfill (admin only); nil: no such routes.
	GitHubAdmin *admin.GitHubHandler
	// Ratings serves the ratings summary (admin only); nil: no such route.
	Ratings *admin.RatingsHandler
}

// New returns the server with every route.
func New(o Options) *Server {
	app := fiber.New(fiber.Config{
		AppName:               "portico",
		BodyLimit:             BodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          httperr.Handler(o.Logger),
		// Bodies are read by limitBodies, route by route, not up front;
		// multipart forms are parsed only once the body passed its limit.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// No ProxyHeader: resolveClientIP decides the client address.
	})
	metrics := newMetrics(o.Registry)
	app.Use(requestid.New())
	app.Use(resolveClientIP(o.TrustedProxies))
	app.Use(accessLog(o.Logger, metrics))
	app.Use(recoverPanic(o.Logger))
	app.Use(securityHeaders(o.HSTS))
	app.Use(limitBodies)
	routes(app, o)
	return &Server{app: app}
}

// routes is the route table: every URL the server answers is here.
func routes(app *fiber.App, o Options) {
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := o.Ready(ctx); err != nil {
			o.Logger.WarnContext(ctx, "not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "error": "database unreachable"})
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	if !o.MetricsElsewhere {
		app.Get("/metrics", metricsGuard(o.MetricsToken), adaptor.HTTPHandler(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})))
	}

	w := o.Widget
	app.Get("/support/widget/config", w.Config)
	app.Options("/support/widget/config", w.Preflight)
	app.Post("/support/widget/tickets", w.CreateTicket)
	app.Options("/support/widget/tickets", w.Preflight)

	a := o.Admin
	api := app.Group("/support/admin", adminHeaders)
	api.Post("/api/session", a.Login)
	api.Get("/api/session", a.Me)
	api.Delete("/api/session", a.Logout)
	if su := o.Setup; su != nil {
		api.Get("/api/setup", su.Status)
		api.Post("/api/setup", su.Setup)
	}
	authed := api.Group("", a.RequireAdmin)
	// Each route names the scope an API token needs for it
	// (PORTICO_ADMIN_API_TOKEN_SCOPES); signed-in admins have every scope.
	settingsScope := a.RequireScope(adminauth.ScopeSettings)
	ticketsScope := a.RequireScope(adminauth.ScopeTickets)
	contactsScope := a.RequireScope(adminauth.ScopeContacts)
	workflowsScope := a.RequireScope(adminauth.ScopeWorkflows)
	privacyScope := a.RequireScope(adminauth.ScopePrivacy)
	authed.Get("/settings/public-tickets", settingsScope, a.GetGuestPolicy)
	authed.Put("/settings/public-tickets", settingsScope, a.PutGuestPolicy)
	authed.Delete("/settings/public-tickets", settingsScope, a.ResetGuestPolicy)
	authed.Get("/settings/portal", settingsScope, a.GetPortal)
	authed.Put("/settings/portal", settingsScope, a.PutPortal)
	authed.Get("/settings/widget", settingsScope, a.GetWidget)
	authed.Get("/settings/period", a.CheckPeriod)
	authed.Put("/settings/widget", settingsScope, a.PutWidget)
	authed.Get("/tickets", ticketsScope, a.ListTickets)
	authed.Get("/tickets/:reference", ticketsScope, a.GetTicket)
	authed.Post("/tickets/:reference/portal-links/revoke", ticketsScope, a.RevokePortalLinks)
	authed.Post("/tickets/:reference/portal-links/issue", ticketsScope, a.IssuePortalLink)
	authed.Post("/tickets/:reference/portal/stop", ticketsScope, a.StopPortal)
	authed.Post("/tickets/:reference/portal/resume", ticketsScope, a.ResumePortal)
	authed.Post("/tickets/:reference/close", ticketsScope, a.CloseTicket)
	authed.Post("/tickets/:reference/reopen", ticketsScope, a.ReopenTicket)
	authed.Post("/contacts/:id/promote", contactsScope, a.PromoteContact)
	authed.Post("/signup-tokens/verify", contactsScope, a.VerifySignupToken)
	authed.Get("/attachments/:id", ticketsScope, a.Attachment)
	if wf := o.Workflows; wf != nil {
		// Fixed paths before /workflows/:id.
		authed.Get("/workflows", workflowsScope, wf.List)
		authed.Post("/workflows", workflowsScope, wf.Create)
		authed.Get("/workflows/runs", workflowsScope, wf.Runs)
		authed.Post("/workflows/dry-run", workflowsScope, wf.DryRun)
		authed.Post("/workflows/reorder", workflowsScope, wf.Reorder)
		authed.Get("/workflows/:id", workflowsScope, wf.Get)
		authed.Put("/workflows/:id", workflowsScope, wf.Update)
		authed.Delete("/workflows/:id", workflowsScope, wf.Delete)
		authed.Post("/workflows/:id/enable", workflowsScope, wf.Enable)
		authed.Post("/workflows/:id/disable", workflowsScope, wf.Disable)
	}
	if ia := o.InboundAdmin; ia != nil {
		authed.Get("/settings/inbound", settingsScope, ia.GetSettings)
		authed.Put("/settings/inbound", settingsScope, ia.PutSettings)
		authed.Get("/inbound/held", ticketsScope, ia.ListHeld)
		authed.Post("/inbound/held/:id/release", ticketsScope, ia.ReleaseHeld)
		authed.Post("/inbound/held/:id/discard", ticketsScope, ia.DiscardHeld)
	}
	if at := o.Attachments; at != nil {
		authed.Get("/settings/attachments", settingsScope, at.GetSettings)
		authed.Put("/settings/attachments", settingsScope, at.PutSettings)
	}
	if dk := o.DeskAdmin; dk != nil {
		authed.Get("/settings/github", settingsScope, dk.GetSettings)
		authed.Put("/settings/github", settingsScope, dk.PutSettings)
	}
	if gh := o.GitHubAdmin; gh != nil {
		authed.Get("/api/github/backfill", ticketsScope, gh.BackfillStatus)
		authed.Post("/api/github/backfill", ticketsScope, gh.Backfill)
	}
	if rt := o.Ratings; rt != nil {
		authed.Get("/ratings/summary", ticketsScope, rt.Summary)
	}
	if pv := o.Privacy; pv != nil {
		authed.Get("/settings/privacy", privacyScope, pv.GetSettings)
		authed.Put("/settings/privacy", privacyScope, pv.PutSettings)
		authed.Get("/contacts/:id/export", privacyScope, pv.ExportContact)
		authed.Post("/contacts/:id/erase", privacyScope, pv.EraseContact)
	}

	// The fixed "My tickets" paths and the pages' script come before
	// /portal/:token.
	app.Get(portal.AssetsRoute, portal.Asset)
	if mt := o.MyTickets; mt != nil {
		app.Get("/portal", portal.Headers, mt.Form)
		app.Post("/portal", portal.Headers, mt.Request)
		app.Get("/portal/signin/:token", portal.Headers, mt.SigninPage)
		app.Post("/portal/signin/:token", portal.Headers, mt.Signin)
		app.Get("/portal/tickets", portal.Headers, mt.List)
		app.Get("/portal/tickets/:reference", portal.Headers, mt.Open)
		app.Post("/portal/signout", portal.Headers, mt.SignOut)
	}
	p := o.Portal
	app.Get("/portal/:token", portal.Headers, p.Page)
	app.Post("/portal/:token/replies", portal.Headers, p.Reply)
	app.Get("/portal/:token/attachments/:id", portal.Headers, p.Attachment)
	app.Get("/portal/:token/attachments/:id/image", portal.Headers, p.Image)
	if sg := o.Signed; sg != nil {
		app.Get(attachments.SignedPath+":id", sg.Get)
	}
	app.Get("/portal/:token/rate", portal.Headers, p.RateForm)
	app.Post("/portal/:token/rate", portal.Headers, p.Rate)

	in := o.Inbound
	app.Post("/support/inbound/postmark", in.Postmark)
	app.Post("/support/inbound/mailgun", in.Mailgun)
	app.Post("/support/inbound/ses", in.SES)

	adminUIRoutes(app, o)
	widgetRoutes(app, o)
	app.Post("/github/webhook", o.GitHub.Webhook)
	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no such page: "+c.Method()+" "+c.Path())
	})
}

// adminHeaders are the headers of every admin API response (docs/CONTRACTS.md, Headers).
func adminHeaders(c *fiber.Ctx) error {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Robots-Tag", "noindex")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

// recoverPanic turns a panic into a logged 500; the client never sees a stack.
func recoverPanic(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic", "panic", fmt.Sprint(r), "request_id", httperr.RequestID(c),
					"stack", string(debug.Stack()))
				err = errors.New("panic recovered")
			}
		}()
		return c.Next()
	}
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// accessLog logs one structured line per request and records its metrics.
// It runs outside recoverPanic so that a panicking request is logged too.
func accessLog(log *slog.Logger, m *metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Let the error handler write the response now so that the
			// status logged is the one sent.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
			err = nil
		}
		elapsed := time.Since(start)
		status := c.Response().StatusCode()
		route := c.Route().Path
		// Fiber reuses the buffers behind c.Method(); metric labels outlive
		// the request, so they get their own copy.
		method := strings.Clone(c.Method())
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		// The path can hold a portal token: it never reaches the log.
		log.Log(c.UserContext(), level, "http", "method", c.Method(), "path", logmask.RedactPath(c.Path()), "route", route,
			"status", status, "duration_ms", float64(elapsed.Microseconds())/1000, "ip", ClientIP(c).String(), "request_id", httperr.RequestID(c))
		return err
	}
}
