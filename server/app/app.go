// Package app wires portico together: configuration, store, job queue,
// services and HTTP routes. Everything is built here and passed in
// explicitly; there are no globals.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/portico/portico/server/i18n"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/portico/portico/server/admin"
	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/egress"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/github"
	"github.com/portico/portico/server/githubhook"
	"github.com/portico/portico/server/httpserver"
	"github.com/portico/portico/server/inbound"
	"github.com/portico/portico/server/jobs"
	"github.com/portico/portico/server/keys"
	"github.com/portico/portico/server/logmask"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/portal"
	"github.com/portico/portico/server/privacy"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/ratings"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/turnstile"
	"github.com/portico/portico/server/widget"
	"github.com/portico/portico/server/workflows"
	"github.com/portico/portico/views"
)

// Deps are the parts that come from outside the configuration.
type Deps struct {
	Logger     *slog.Logger
	Migrations fs.FS
	// AdminUI is the built admin app (admin-ui/dist); may be empty.
	AdminUI fs.FS
	// WidgetAssets is the built widget (widget/dist); may be empty.
	WidgetAssets fs.FS
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Limiter replaces the limiter the configuration asks for (tests).
	Limiter ratelimit.Limiter
	// JobPollInterval is how often idle job workers poll (default 1s).
	JobPollInterval time.Duration
	// JobRetryPolicy replaces River's backoff (tests).
	JobRetryPolicy river.ClientRetryPolicy
	// PurgeInterval is how often the retention purge runs (default daily;
	// tests make it short).
	PurgeInterval time.Duration
	// MailLog receives the mails of the log:// transport (default stdout).
	MailLog io.Writer
	// Console receives what the operator must read at start-up, plainly:
	// the first run's set-up link (default stdout).
	Console io.Writer
	// MailTLS is the TLS configuration of SMTP connections (tests trust
	// their own certificate with it; nil means the system's roots).
	MailTLS *tls.Config
	// HTTPClient calls third parties the operator configures (Turnstile,
	// SNS, GitHub); nil means a 10 s timeout client (30 s for GitHub).
	// Workflow webhooks never use it: they go through the egress guard.
	HTTPClient *http.Client
	// SNSAllowHost replaces the rule that SNS certificates and subscription
	// URLs come from sns.<region>.amazonaws.com (tests serve their own).
	SNSAllowHost func(host string) bool
	// WorkflowMaxSleep bounds how long a delayed workflow chain sleeps
	// before it reads Now again (default: until it is due). Tests that move
	// Now set it low.
	WorkflowMaxSleep time.Duration
}

// App is a running portico instance.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
	queue *jobs.Queue
	bus   *events.Bus
	redis *redis.Client
	http  *httpserver.Server
	// registry holds the metrics; served on PORTICO_METRICS_ADDR when set.
	registry *prometheus.Registry
	github   *github.Service
	settings *settings.Service
	// catalog is every customer-facing sentence in every language (issue 17).
	catalog *i18n.Catalog
	// mail keeps SMTP sessions open between mails; Close ends them.
	mail    mail.Transport
	Tickets *tickets.Service
}

// secretKeySetting stores the generated secret when PORTICO_SECRET_KEY is unset.
const secretKeySetting = "secret_key"

// signingKeysSinceSetting stores when this database first ran with
// per-purpose keys (RFC 3339), written once, so every instance and restart
// agrees on when the legacy grace started.
const signingKeysSinceSetting = "signing_keys_v1_since"

// New builds every part of the app; Serve starts it.
func New(ctx context.Context, cfg config.Config, d Deps) (*App, error) {
	return newApp(ctx, cfg, d, true)
}

// newApp builds the app; announce prints the first run's set-up link when
// there is no admin yet. Commands other than the server do not: a new link
// would kill the one the running server printed.
func newApp(ctx context.Context, cfg config.Config, d Deps, announce bool) (*App, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	// Whatever reaches the log has addresses and tokens masked (an SMTP
	// refusal quoting the recipient, a job error River logs, …).
	d.Logger = slog.New(logmask.LogHandler(d.Logger.Handler()))
	a := &App{cfg: cfg, log: d.Logger, bus: events.NewBus(d.Logger)}
	var err error
	a.store, err = store.Open(ctx, store.Options{
		Dialect: store.Dialect(cfg.Database.Dialect), DSN: cfg.Database.DSN, Migrations: d.Migrations, Now: d.Now,
	})
	if err != nil {
		return nil, err
	}
	if err := a.build(ctx, d, announce); err != nil {
		return nil, errors.Join(err, a.Close())
	}
	return a, nil
}

func (a *App) build(ctx context.Context, d Deps, announce bool) error {
	cfg := a.cfg
	if err := jobs.Migrate(ctx, a.store.WriteDB(), cfg.Database.Dialect, a.log); err != nil {
		return err
	}
	secret, err := a.secretKey(ctx)
	if err != nil {
		return err
	}
	ring, err := a.keyRing(ctx, secret, d.Now)
	if err != nil {
		return err
	}

	limiter := d.Limiter
	if limiter == nil {
		if limiter, err = a.limiter(ctx, d.Now); err != nil {
			return err
		}
	}

	from, err := netmail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return fmt.Errorf("PORTICO_MAIL_FROM: %w", err)
	}
	if d.MailLog == nil {
		d.MailLog = os.Stdout
	}
	sender, err := mail.NewSender(cfg.MailURL, mail.Options{TLSConfig: d.MailTLS, Log: d.MailLog, PoolSize: cfg.MailPoolSize, Now: d.Now})
	if err != nil {
		return fmt.Errorf("PORTICO_MAIL_URL: %w", err)
	}
	a.mail = sender
	if strings.HasPrefix(cfg.MailURL, "log://") {
		a.log.Warn("PORTICO_MAIL_URL is log://: mails with live portal links are written to stdout, where anyone reading the log can open them; set PORTICO_MAIL_URL to smtp://… or smtps://… before real customers write in")
	}

	// The queue is built before the services that enqueue into it, and its
	// workers are registered before it starts; workers reach services
	// through this registry.
	workers := jobs.NewWorkers()
	a.queue, err = jobs.New(jobs.Options{
		DB: a.store.WriteDB(), Dialect: cfg.Database.Dialect, Workers: workers, Logger: riverLogger(a.log), PollInterval: d.JobPollInterval,
		RetryPolicy:  d.JobRetryPolicy,
		PeriodicJobs: []*river.PeriodicJob{privacy.PeriodicPurge(d.PurgeInterval), attachments.PeriodicSweep(0)},
	})
	if err != nil {
		return err
	}

	settingsSvc := settings.New(a.store, settings.Options{Now: d.Now, Log: a.log, GuestPolicy: cfg.GuestPolicy})
	a.settings = settingsSvc
	if a.catalog, err = i18n.Load(); err != nil {
		return err
	}
	// Every page in every language, built once: a missing message stops
	// start-up here rather than show a half-translated page.
	texts, err := views.NewTexts(a.catalog)
	if err != nil {
		return err
	}
	if err := a.noteGuestPolicy(ctx); err != nil {
		return err
	}
	files, err := attachments.New(attachments.Options{
		Store: a.store, Settings: settingsSvc, Jobs: a.queue, Storage: cfg.Attachments, Dir: cfg.AttachmentsDir,
		BaseURL: cfg.BaseURL.String(), Key: ring.AttachmentURL(), Now: d.Now, Log: a.log,
	})
	if err != nil {
		return err
	}
	river.AddWorker(workers, attachments.NewSweepWorker(files))
	contactsSvc := contacts.New(a.store)
	signups := contacts.NewSignups(a.store, ring, d.Now)
	human := turnstile.New(cfg.TurnstileSecretKey, cfg.TurnstileVerifyURL, d.HTTPClient, a.log)
	a.Tickets = tickets.New(tickets.Deps{
		Store: a.store, Jobs: a.queue, Settings: settingsSvc, Limiter: limiter,
		Limits: tickets.Limits{
			PerEmail: ratelimit.Limit(cfg.WidgetLimitPerEmail),
			PerIP:    ratelimit.Limit(cfg.WidgetLimitPerIP),
		},
		Turnstile:   human,
		BaseURL:     cfg.BaseURL.String(),
		ReplyDomain: cfg.ReplyDomain,
		Keys:        ring,
		Files:       files,
		Catalog:     a.catalog,
		Now:         d.Now,
	})
	mailWorker := mail.NewWorker(mail.WorkerDeps{
		Store: a.store, Jobs: a.queue, Sender: sender, Links: privacy.GuardLinks(a.Tickets, a.store), Signups: signups,
		Signins: a.Tickets, SigninValidFor: tickets.SigninTTL,
		From: mail.Address{Name: from.Name, Email: from.Address}, ReplyKey: ring.ReplyAddress(), ReplyDomain: cfg.ReplyDomain,
		Limiter: limiter, PerRecipient: ratelimit.Limit(cfg.MailLimitPerRecipient),
		Catalog: a.catalog, Settings: settingsSvc,
		Log: a.log, Now: d.Now,
	})
	river.AddWorker(workers, events.NewPublishWorker(a.bus, mailWorker))
	river.AddWorker(workers, mailWorker)
	river.AddWorker(workers, tickets.NewSigninRequestWorker(a.Tickets, a.log))
	// GitHub: off (webhook ignores, no jobs queued) without a repository.
	gh, err := github.New(github.Options{
		Client: github.ClientOptions{
			Repository: cfg.GitHubRepository, Token: cfg.GitHubToken,
			AppID: cfg.GitHubAppID, InstallationID: cfg.GitHubAppInstallationID, AppPrivateKeyFile: cfg.GitHubAppPrivateKeyFile,
			APIURL: cfg.GitHubAPIURL, HTTPClient: d.HTTPClient,
		},
		Store: a.store, Tickets: a.Tickets, Jobs: a.queue, Desk: settingsSvc, Log: a.log, Links: files,
	})
	if err != nil {
		return err
	}
	gh.Register(workers, a.bus)
	a.github = gh
	// "How did we do?" after a close; answers are mirrored on the issue.
	ratingsSvc := ratings.New(ratings.Deps{
		Store: a.store, Portal: a.Tickets, Mirror: gh, Turnstile: human, Limiter: limiter,
		FormKey: ring.PortalForm(), Log: a.log, Now: d.Now,
	})
	// Workflows: rules acting on ticket events; their GitHub side (labels,
	// assignees) only while the sync is on.
	var labeler workflows.IssueLabeler
	if l := gh.IssueLabels(); l != nil {
		labeler = l
	}
	// Webhook URLs are chosen by admins: they reach the public internet
	// only, plus what PORTICO_OUTBOUND_ALLOW names.
	outbound, err := egress.New(cfg.OutboundAllow)
	if err != nil {
		return fmt.Errorf("PORTICO_OUTBOUND_ALLOW: %w", err)
	}
	wf := workflows.New(workflows.Options{
		Store: a.store, Tickets: a.Tickets, Jobs: a.queue, Labeler: labeler,
		Priorities: func(ctx context.Context) ([]string, error) {
			w, err := settingsSvc.Widget(ctx)
			return w.Priorities, err
		},
		Outbound: outbound, BaseURL: cfg.BaseURL.String(), Log: a.log, Now: d.Now, MaxSleep: d.WorkflowMaxSleep,
	})
	wf.Register(workers, a.bus)
	if err := wf.SeedDefaults(ctx); err != nil {
		return err
	}
	privacySvc := privacy.New(privacy.Deps{Store: a.store, Settings: settingsSvc, Redactor: gh, Files: files, Log: a.log, Now: d.Now})
	river.AddWorker(workers, privacy.NewPurgeWorker(privacySvc))
	auth, err := adminauth.New(a.store, limiter, cfg.AdminAPIToken, cfg.AdminAPITokenScopes...)
	if err != nil {
		return err
	}
	auth.WithLoginLimits(ratelimit.Limit(cfg.AdminLoginLimitPerIP), ratelimit.Limit(cfg.AdminLoginLimitPerAccount))
	trusted, err := clientip.ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("PORTICO_TRUSTED_PROXIES: %w", err)
	}
	if created, err := auth.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		return fmt.Errorf("create first admin: %w", err)
	} else if created {
		a.log.Info("created the first admin", "email", logmask.MaskEmail(cfg.AdminEmail))
	}
	if announce {
		if err := a.announceSetup(ctx, auth, d.Console); err != nil {
			return err
		}
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.registry = registry
	widgetHandler := widget.New(a.Tickets, settingsSvc, ring.Requester(), cfg.TurnstileSiteKey, a.log).
		WithMyTicketsURL(cfg.BaseURL.String()+views.MyTicketsPath).WithUploads(files).
		WithCatalog(a.catalog, settingsSvc)
	a.http = httpserver.New(httpserver.Options{
		Logger:           a.log,
		Registry:         registry,
		TrustedProxies:   trusted,
		MetricsToken:     cfg.MetricsToken,
		MetricsElsewhere: cfg.MetricsAddr != "",
		HSTS:             cfg.BaseURL.Scheme == "https",
		Ready:            a.store.Ping,
		Widget:           widgetHandler,
		WidgetForm:       widgetHandler.HostedForm(texts, settingsSvc),
		Admin: admin.New(auth, settingsSvc, a.Tickets, contactsSvc, signups,
			cfg.BaseURL.Scheme+"://"+cfg.BaseURL.Host, cfg.BaseURL.Scheme == "https"),
		Setup:  admin.NewSetup(auth, cfg.BaseURL.Scheme+"://"+cfg.BaseURL.Host, cfg.BaseURL.Scheme == "https"),
		Portal: portal.New(a.Tickets, ratingsSvc, cfg.TurnstileSiteKey, texts, settingsSvc).WithUploads(files),
		MyTickets: portal.NewMyTickets(a.Tickets, ring.PortalForm(), cfg.BaseURL.Scheme == "https",
			cfg.TurnstileSiteKey, texts, settingsSvc, a.log),
		Inbound: inbound.New(a.Tickets, inbound.Options{
			SharedSecret:      cfg.InboundSecret,
			PostmarkBasicAuth: cfg.PostmarkBasicAuth,
			MailgunSigningKey: cfg.MailgunSigningKey,
			ReplayGuard:       a.store.MailgunTokens(),
			SNS:               snsVerifier(cfg, d),
			ReplyDomain:       cfg.ReplyDomain,
			Now:               d.Now,
			Log:               a.log,
		}),
		AdminUI: d.AdminUI,
		AdminInfo: httpserver.AdminInfo{
			BaseURL:          cfg.BaseURL.String(),
			GitHubRepository: cfg.GitHubRepository,
			GitHubWebURL:     httpserver.GitHubWebURL(cfg.GitHubAPIURL),
			GitHubWarning:    gh.RepositoryWarning,
		},
		WidgetAssets: d.WidgetAssets,
		GitHub:       githubhook.NewHandler(gh, cfg.GitHubWebhookSecret, a.log),
		Privacy:      admin.NewPrivacy(privacySvc, settingsSvc),
		InboundAdmin: admin.NewInbound(a.Tickets, settingsSvc, a.log),
		Workflows:    admin.NewWorkflows(wf),
		Attachments:  admin.NewAttachments(settingsSvc),
		Signed:       download.NewSigned(files),
		DeskAdmin:    admin.NewDesk(gh),
		GitHubAdmin:  admin.NewGitHub(gh),
		Ratings:      admin.NewRatings(ratingsSvc),
	})
	return nil
}

// announceSetup prints the first run's one-time set-up link while no admin
// exists: plainly on the console (stdout), where the operator of `make run`
// reads it, and in the log, where the token is masked like every other
// token. Each start makes a new link and kills the one before.
func (a *App) announceSetup(ctx context.Context, auth *adminauth.Service, console io.Writer) error {
	token, err := auth.StartSetup(ctx)
	if err != nil || token == "" {
		return err
	}
	if console == nil {
		console = os.Stdout
	}
	link := a.cfg.BaseURL.String() + "/admin/setup?token=" + token
	a.log.Warn("no admin yet: open the one-time set-up link printed on stdout to create the first one "+
		"(or set PORTICO_ADMIN_EMAIL and PORTICO_ADMIN_PASSWORD)", "setup_url", link)
	_, err = fmt.Fprintf(console, "\nportico has no admin yet. Create the first one at this one-time link\n"+
		"(it works until used; the next start prints a new one):\n\n    %s\n\n", link)
	if err != nil {
		return fmt.Errorf("print the set-up link: %w", err)
	}
	return nil
}

// snsVerifier checks SES notifications when SNS topics are configured.
func snsVerifier(cfg config.Config, d Deps) *inbound.SNSVerifier {
	if len(cfg.SNSTopicARNs) == 0 {
		return nil
	}
	client := d.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	v := inbound.NewSNSVerifier(client, cfg.SNSTopicARNs)
	if d.SNSAllowHost != nil {
		v.AllowHost = d.SNSAllowHost
	}
	return v
}

// riverLogger keeps River's routine chatter (job counts every few seconds)
// out of the log unless debug logging is on.
func riverLogger(log *slog.Logger) *slog.Logger {
	if log.Enabled(context.Background(), slog.LevelDebug) {
		return log
	}
	return slog.New(minLevel{log.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(attrs), m.level}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.Handler.WithGroup(name), m.level}
}

// secretKey returns PORTICO_SECRET_KEY, or a key generated on the first
// start and kept in the database so that every instance signs alike.
func (a *App) secretKey(ctx context.Context) ([]byte, error) {
	if a.cfg.SecretKey != "" {
		return []byte(a.cfg.SecretKey), nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	key, err := a.store.SettingOnce(ctx, secretKeySetting, hex.EncodeToString(b[:]))
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return []byte(key), nil
}

// keyRing derives the per-purpose keys from the secret key and sets the
// legacy grace from the stored switch-over time (written on the first start
// with derived keys).
func (a *App) keyRing(ctx context.Context, secret []byte, now func() time.Time) (*keys.Ring, error) {
	stored, err := a.store.SettingOnce(ctx, signingKeysSinceSetting, now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	since, err := time.Parse(time.RFC3339Nano, stored)
	if err != nil {
		return nil, fmt.Errorf("signing keys: setting %s holds %q, not a time: %w", signingKeysSinceSetting, stored, err)
	}
	ring, err := keys.New(keys.Options{
		Master: secret, Requester: []byte(a.cfg.RequesterSigningKey), Since: since, Grace: a.cfg.LegacySignatureGrace,
	})
	if err != nil {
		return nil, err
	}
	if until := ring.LegacyUntil(); until.After(now()) {
		a.log.Info("reply addresses and signup tokens signed with the secret key itself are accepted until the legacy grace ends",
			"until", until, "setting", "PORTICO_LEGACY_SIGNATURE_GRACE")
	}
	if ring.Requester() == nil {
		a.log.Info("PORTICO_REQUESTER_SIGNING_KEY is unset: the widget refuses signed requester ids")
	}
	return ring, nil
}

// limiter is in memory, or in Redis when PORTICO_REDIS_URL is set so that
// every instance shares one budget. While Redis cannot be reached (also at
// start-up) each instance falls back to its own in-memory budget and logs
// it, rather than refusing requests.
func (a *App) limiter(ctx context.Context, now func() time.Time) (ratelimit.Limiter, error) {
	if a.cfg.RedisURL == "" {
		return ratelimit.NewMemory(now), nil
	}
	opts, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("PORTICO_REDIS_URL: %w", err)
	}
	a.redis = redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.redis.Ping(pingCtx).Err(); err != nil {
		a.log.Warn("redis unreachable at start-up; rate limits are per instance until it answers", "err", err)
	}
	return &ratelimit.Fallback{Primary: ratelimit.NewRedis(a.redis, "portico:rl:"), Secondary: ratelimit.NewMemory(now), Log: a.log}, nil
}

// HTTP is the HTTP server, for tests that call it in memory.
func (a *App) HTTP() *httpserver.Server { return a.http }

// Bus is the event bus that workflows subscribe to.
func (a *App) Bus() *events.Bus { return a.bus }

// Serve works jobs and answers HTTP on ln until ctx ends, then shuts down
// gracefully: requests in flight finish, running jobs finish (or are
// cancelled and retried later once ShutdownTimeout passes).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	// The queue gets a context of its own: cancelling ctx must not kill
	// running jobs, Stop below ends them in order.
	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.http.Serve(ln) }()
	go func() {
		// A public mirror repository publishes every customer's mail.
		checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a.github.WarnIfPublic(checkCtx)
	}()
	var metricsSrv *http.Server
	if a.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			_ = a.http.Shutdown(context.Background())
			_ = a.queue.Stop(context.Background())
			return fmt.Errorf("listen on %s (PORTICO_METRICS_ADDR): %w", a.cfg.MetricsAddr, err)
		}
		metricsSrv = &http.Server{Handler: httpserver.MetricsHandler(a.registry, a.cfg.MetricsToken), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("metrics listener stopped", "err", err)
			}
		}()
	}

	if a.cfg.PprofAddr != "" {
		pln, err := net.Listen("tcp", a.cfg.PprofAddr)
		if err != nil {
			_ = a.http.Shutdown(context.Background())
			_ = a.queue.Stop(context.Background())
			return fmt.Errorf("listen on %s (PORTICO_PPROF_ADDR): %w", a.cfg.PprofAddr, err)
		}
		a.log.Warn("profiler listening", "addr", a.cfg.PprofAddr)
		pprofSrv := &http.Server{Handler: httpserver.ProfileHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = pprofSrv.Serve(pln) }()
		defer pprofSrv.Close()
	}
	// The settings cache is in use while this listens for other instances'
	// changes (on PostgreSQL; on SQLite always, and Run returns at once). It
	// stops after the requests and jobs that read settings.
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if err := a.settings.Run(watchCtx); err != nil {
			a.log.Error("settings listener stopped; settings are read from the database on every use", "err", err)
		}
	}()

	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	case serveErr = <-served:
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	httpErr := a.http.Shutdown(stopCtx)
	if metricsSrv != nil {
		httpErr = errors.Join(httpErr, metricsSrv.Shutdown(stopCtx))
	}
	jobsErr := a.queue.Stop(stopCtx)
	stopWatch()
	<-watched
	return errors.Join(serveErr, httpErr, jobsErr)
}

// noteGuestPolicy tells an operator who set PORTICO_GUEST_POLICY_* when a
// policy saved in the admin is in force instead, which would otherwise look
// like the variables being ignored.
func (a *App) noteGuestPolicy(ctx context.Context) error {
	st, err := a.settings.GuestPolicyState(ctx)
	if err != nil {
		return err
	}
	// Unset variables give an unassigned default, and an unassigned
	// default with other fields stops start-up: unassigned means unset.
	if st.Source == settings.SourceSaved && st.Default.Mode != settings.ModeUnassigned {
		a.log.Info("guest policy: the one saved in the admin is in force, not PORTICO_GUEST_POLICY_* (the admin's Reset to start-up default brings the variables back)",
			"saved_mode", st.Mode, "default_mode", st.Default.Mode)
	}
	return nil
}

// Close releases the SMTP sessions and the database and Redis connections.
func (a *App) Close() error {
	var errs []error
	if a.mail != nil {
		errs = append(errs, a.mail.Close())
	}
	if a.redis != nil {
		errs = append(errs, a.redis.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// Run builds the app, listens on PORTICO_ADDR and serves until ctx ends.
func Run(ctx context.Context, cfg config.Config, d Deps) error {
	a, err := New(ctx, cfg, d)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PORTICO_ADDR): %w", cfg.Addr, err)
	}
	base := cfg.BaseURL.String()
	a.log.Info("portico is running",
		"listen", ln.Addr().String(),
		"widget_api", base+"/support/widget/tickets",
		"admin", base+"/admin",
		"admin_api", base+"/support/admin/settings/public-tickets",
		"health", base+"/healthz",
		"metrics", metricsWhere(cfg, base),
		"database", cfg.Database.Dialect)
	return a.Serve(ctx, ln)
}

// metricsWhere says where /metrics is served, for the start-up line.
func metricsWhere(cfg config.Config, base string) string {
	switch {
	case cfg.MetricsAddr != "":
		return "http://" + cfg.MetricsAddr + "/metrics"
	case cfg.MetricsToken != "":
		return base + "/metrics (Bearer PORTICO_METRICS_TOKEN)"
	}
	return base + "/metrics (local clients only)"
}
