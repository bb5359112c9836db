// Package config holds the boot-time configuration of the portico server,
// read once from an optional YAML file and PORTICO_* environment variables.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/portico/portico/server/validate"
)

// Database dialects.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Database is PORTICO_DATABASE_URL resolved into what a driver needs.
type Database struct {
	Dialect string // DialectSQLite or DialectPostgres
	DSN     string // sqlite: file path; postgres: the URL unchanged
}

// Config is the validated server configuration. Secret fields must not be
// logged directly; use LogValue (slog does so automatically) or String.
type Config struct {
	Addr    string
	BaseURL *url.URL // no trailing slash

	DatabaseURL string
	Database    Database
	RedisURL    string

	// SecretKey is empty when the application should generate and store one.
	SecretKey string
	// RequesterSigningKey is the host apps' key for the widget's
	// requester_signature (never the secret key); empty: signed requester
	// ids are refused.
	RequesterSigningKey string
	// LegacySignatureGrace is how long reply addresses and signup tokens
	// signed with the secret key itself (before per-purpose keys) still
	// count; 0: never.
	LegacySignatureGrace time.Duration

	MailURL     string
	MailFrom    string
	ReplyDomain string
	// MailPoolSize bounds the SMTP sessions open at once; each is reused
	// for many mails.
	MailPoolSize int

	GitHubRepository        string // owner/name
	GitHubToken             string
	GitHubAppID             int64
	GitHubAppPrivateKeyFile string
	GitHubAppInstallationID int64
	GitHubAPIURL            string // with trailing slash
	GitHubWebhookSecret     string

	TurnstileSiteKey   string
	TurnstileSecretKey string
	TurnstileVerifyURL string

	InboundSecret     string
	PostmarkBasicAuth string // user:pass
	MailgunSigningKey string
	SNSTopicARNs      []string

	AdminEmail    string // bare address
	AdminPassword string
	AdminAPIToken string
	// AdminAPITokenScopes limits what the API token may do (AdminScopes);
	// nil means every scope.
	AdminAPITokenScopes []string

	WidgetLimitPerEmail Rate
	WidgetLimitPerIP    Rate
	// MailLimitPerRecipient bounds the automatic mails (confirmations) one
	// address receives, across every channel; agent replies are not counted.
	MailLimitPerRecipient Rate
	// AdminLoginLimitPerIP and AdminLoginLimitPerAccount bound admin
	// sign-in attempts per client (IPv6: per /64) and per email address.
	AdminLoginLimitPerIP      Rate
	AdminLoginLimitPerAccount Rate
	TrustedProxies            []string // IPs or CIDR prefixes

	// MetricsAddr, when set, is the only listener serving /metrics.
	MetricsAddr string
	// PprofAddr, when set, serves Go's profiler (net/http/pprof) on this
	// loopback address, for profiling under load.
	PprofAddr string
	// MetricsToken, when set, is the Bearer token /metrics asks for.
	// Neither set: /metrics answers loopback clients only.
	MetricsToken string
	// OutboundAllow names the internal destinations workflow webhooks may
	// reach anyway: IPs, CIDR prefixes or host names (lower case).
	OutboundAllow []string

	// GuestPolicy is the guest policy in force until an admin saves one
	// (PORTICO_GUEST_POLICY_MODE, _USER_ID, _SIGNUP_URL_TEMPLATE), checked
	// by the rule the admin API applies; unassigned when unset.
	GuestPolicy validate.GuestPolicy

	LogLevel        slog.Level
	LogFormat       string // "text" or "json"
	ShutdownTimeout time.Duration
}

// defaultFile is read when PORTICO_CONFIG is unset, if it exists.
const defaultFile = "portico.yaml"

// Load reads the optional YAML file named by PORTICO_CONFIG (default
// ./portico.yaml, if present) and the environment via lookup, which is
// os.LookupEnv in production. Environment values win over the file; empty
// values count as unset. All problems found are returned joined, one line each.
func Load(lookup func(string) (string, bool)) (Config, error) {
	return load(lookup, defaultFile)
}

func load(lookup func(string) (string, bool), defaultPath string) (Config, error) {
	l, err := newLoader(lookup, defaultPath)
	if err != nil {
		return Config{}, err
	}

	l.allowList("PORTICO_SNS_TOPIC_ARNS", "PORTICO_TRUSTED_PROXIES", "PORTICO_ADMIN_API_TOKEN_SCOPES", "PORTICO_OUTBOUND_ALLOW")

	// Read every variable unconditionally: file keys that are never read
	// are reported as unknown.
	var c Config
	c.Addr = parse(l, "PORTICO_ADDR", ":8080", parseAddr)
	c.BaseURL = parse(l, "PORTICO_BASE_URL", "http://localhost:8080", parseBaseURL)

	c.DatabaseURL = l.value("PORTICO_DATABASE_URL", "sqlite://./data/portico.db")
	c.Database, err = parseDatabase(c.DatabaseURL)
	l.check("PORTICO_DATABASE_URL", err)
	c.RedisURL = parse(l, "PORTICO_REDIS_URL", "", parseRedisURL)
	c.SecretKey = parse(l, "PORTICO_SECRET_KEY", "", minLen(32))
	c.RequesterSigningKey = parse(l, "PORTICO_REQUESTER_SIGNING_KEY", "", minLen(32))
	if c.SecretKey != "" && c.RequesterSigningKey != "" && c.SecretKey == c.RequesterSigningKey {
		l.check("PORTICO_REQUESTER_SIGNING_KEY", errors.New("must differ from PORTICO_SECRET_KEY: give host apps a key of their own"))
	}
	c.LegacySignatureGrace = parse(l, "PORTICO_LEGACY_SIGNATURE_GRACE", "90d", parseGrace)

	c.MailURL = parse(l, "PORTICO_MAIL_URL", "log://", parseMailURL)
	c.MailFrom = parse(l, "PORTICO_MAIL_FROM", "Support <support@localhost>", parseMailFrom)
	c.MailPoolSize = parse(l, "PORTICO_MAIL_POOL_SIZE", "4", parsePoolSize)
	c.ReplyDomain = parse(l, "PORTICO_REPLY_DOMAIN", "", parseDomain)
	if c.ReplyDomain == "" && c.MailFrom != "" {
		c.ReplyDomain = addressDomain(c.MailFrom)
	}

	c.GitHubRepository = parse(l, "PORTICO_GITHUB_REPOSITORY", "", parseRepository)
	c.GitHubToken = l.value("PORTICO_GITHUB_TOKEN", "")
	c.GitHubAppID = parse(l, "PORTICO_GITHUB_APP_ID", "", parseID)
	c.GitHubAppPrivateKeyFile = l.value("PORTICO_GITHUB_APP_PRIVATE_KEY_FILE", "")
	c.GitHubAppInstallationID = parse(l, "PORTICO_GITHUB_APP_INSTALLATION_ID", "", parseID)
	c.GitHubAPIURL = parse(l, "PORTICO_GITHUB_API_URL", "https://api.github.com/", parseAPIURL)
	c.GitHubWebhookSecret = l.value("PORTICO_GITHUB_WEBHOOK_SECRET", "")

	c.TurnstileSiteKey = l.value("PORTICO_TURNSTILE_SITE_KEY", "")
	c.TurnstileSecretKey = l.value("PORTICO_TURNSTILE_SECRET_KEY", "")
	c.TurnstileVerifyURL = parse(l, "PORTICO_TURNSTILE_VERIFY_URL",
		"https://challenges.cloudflare.com/turnstile/v0/siteverify", parseHTTPURL)
	// The site key shows the challenge, the secret checks its answer: with
	// only the secret every guest would be refused, with only the site key
	// nobody would be checked.
	switch site, secret := l.isSet("PORTICO_TURNSTILE_SITE_KEY"), l.isSet("PORTICO_TURNSTILE_SECRET_KEY"); {
	case site && !secret:
		l.check("PORTICO_TURNSTILE_SITE_KEY", errors.New("PORTICO_TURNSTILE_SECRET_KEY must be set too"))
	case secret && !site:
		l.check("PORTICO_TURNSTILE_SECRET_KEY", errors.New("PORTICO_TURNSTILE_SITE_KEY must be set too"))
	}

	c.InboundSecret = l.value("PORTICO_INBOUND_SECRET", "")
	c.PostmarkBasicAuth = parse(l, "PORTICO_POSTMARK_BASIC_AUTH", "", parseBasicAuth)
	c.MailgunSigningKey = l.value("PORTICO_MAILGUN_SIGNING_KEY", "")
	c.SNSTopicARNs = parse(l, "PORTICO_SNS_TOPIC_ARNS", "", parseARNs)

	c.AdminEmail = parse(l, "PORTICO_ADMIN_EMAIL", "", parseEmail)
	c.AdminPassword = parse(l, "PORTICO_ADMIN_PASSWORD", "", parseAdminPassword)
	c.AdminAPIToken = parse(l, "PORTICO_ADMIN_API_TOKEN", "", minLen(16))
	c.AdminAPITokenScopes = parse(l, "PORTICO_ADMIN_API_TOKEN_SCOPES", "", parseScopes)
	if l.isSet("PORTICO_ADMIN_API_TOKEN_SCOPES") && !l.isSet("PORTICO_ADMIN_API_TOKEN") {
		l.check("PORTICO_ADMIN_API_TOKEN_SCOPES", errors.New("set without PORTICO_ADMIN_API_TOKEN"))
	}
	// Checked on what was set, not on what parsed, so one typo gives one error.
	switch email, pass := l.isSet("PORTICO_ADMIN_EMAIL"), l.isSet("PORTICO_ADMIN_PASSWORD"); {
	case email && !pass:
		l.check("PORTICO_ADMIN_EMAIL", errors.New("PORTICO_ADMIN_PASSWORD must be set too"))
	case pass && !email:
		l.check("PORTICO_ADMIN_PASSWORD", errors.New("set without PORTICO_ADMIN_EMAIL"))
	}

	c.WidgetLimitPerEmail = parse(l, "PORTICO_WIDGET_LIMIT_PER_EMAIL", "10/1h", ParseRate)
	c.WidgetLimitPerIP = parse(l, "PORTICO_WIDGET_LIMIT_PER_IP", "60/1h", ParseRate)
	c.MailLimitPerRecipient = parse(l, "PORTICO_MAIL_LIMIT_PER_RECIPIENT", "20/1h", ParseRate)
	c.AdminLoginLimitPerIP = parse(l, "PORTICO_ADMIN_LOGIN_LIMIT_PER_IP", "10/10m", ParseRate)
	c.AdminLoginLimitPerAccount = parse(l, "PORTICO_ADMIN_LOGIN_LIMIT_PER_ACCOUNT", "10/15m", ParseRate)
	c.TrustedProxies = parse(l, "PORTICO_TRUSTED_PROXIES", "", parseProxies)
	c.MetricsAddr = parse(l, "PORTICO_METRICS_ADDR", "", parseAddr)
	c.PprofAddr = parse(l, "PORTICO_PPROF_ADDR", "", parseLoopbackAddr)
	c.MetricsToken = parse(l, "PORTICO_METRICS_TOKEN", "", minLen(16))
	c.OutboundAllow = parse(l, "PORTICO_OUTBOUND_ALLOW", "", parseOutboundAllow)

	c.GuestPolicy = guestPolicy(l)

	c.LogLevel = parse(l, "PORTICO_LOG_LEVEL", "info", parseLogLevel)
	c.LogFormat = parse(l, "PORTICO_LOG_FORMAT", "text", parseLogFormat)
	c.ShutdownTimeout = parse(l, "PORTICO_SHUTDOWN_TIMEOUT", "15s", parseTimeout)

	if err := l.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// guestPolicy reads the start-up default of the guest policy and refuses
// whatever the admin API would store differently (an unknown mode, a user id
// that is not a positive integer, a template over 500 characters, a field
// of another mode) and a mode without its field.
func guestPolicy(l *loader) validate.GuestPolicy {
	const (
		modeVar     = "PORTICO_GUEST_POLICY_MODE"
		userIDVar   = "PORTICO_GUEST_POLICY_USER_ID"
		templateVar = "PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE"
	)
	mode := l.value(modeVar, validate.GuestUnassigned)
	userID := l.value(userIDVar, "")
	tpl := l.value(templateVar, "")
	p, problems := validate.CheckGuestPolicy(mode, userID, tpl)
	if msg, bad := problems[validate.FieldGuestPolicyMode]; bad {
		l.check(modeVar, fmt.Errorf("%q %s", mode, msg))
	}
	if msg, bad := problems[validate.FieldGuestPolicyUserID]; bad {
		if userID != "" {
			msg = strconv.Quote(userID) + " " + msg
		}
		if p.Mode != validate.GuestUser {
			msg += " (" + modeVar + " is " + p.Mode + ")"
		}
		l.check(userIDVar, errors.New(msg))
	}
	if msg, bad := problems[validate.FieldGuestPolicyTemplate]; bad {
		// Not quoted: a template may be long.
		if p.Mode != validate.GuestPromptSignup {
			msg += " (" + modeVar + " is " + p.Mode + ")"
		}
		l.check(templateVar, errors.New(msg))
	}
	return p
}

// parse reads name (or def) and converts it with fn, recording any error
// against the place the value came from. Unset without default gives zero.
func parse[T any](l *loader, name, def string, fn func(string) (T, error)) T {
	s := l.value(name, def)
	if s == "" {
		var zero T
		return zero
	}
	v, err := fn(s)
	if err != nil {
		l.check(name, err)
		var zero T
		return zero
	}
	return v
}
