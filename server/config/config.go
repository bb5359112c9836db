// Package config holds the boot-time configuration of the portico server,
// read once from an optional YAML file and PORTICO_* environment variables.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

	c.LogLevel = parse(l, "PORTICO_LOG_LEVEL", "info", parseLogLevel)
	c.LogFormat = parse(l, "PORTICO_LOG_FORMAT", "text", parseLogFormat)
	c.ShutdownTimeout = parse(l, "PORTICO_SHUTDOWN_TIMEOUT", "15s", parseTimeout)

	if err := l.err(); err != nil {
		return Config{}, err
	}
	return c, nil
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

func parseAddr(s string) (string, error) {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port (e.g. :8080)", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%q: port must be a number from 0 to 65535", s)
	}
	return s, nil
}

// parseLoopbackAddr is parseAddr for listeners that must not be reachable
// from elsewhere (the profiler shows memory and stacks).
func parseLoopbackAddr(s string) (string, error) {
	if _, err := parseAddr(s); err != nil {
		return "", err
	}
	host, _, _ := net.SplitHostPort(s)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%q: must be a loopback address such as 127.0.0.1:6060", s)
	}
	return s, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := parseURL(s, false)
	if err != nil {
		return nil, err
	}
	if err := requireHTTP(u); err != nil {
		return nil, err
	}
	if u.User != nil {
		return nil, errors.New("must not contain a user or password")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not have a query or fragment", safeURL(u))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

func parseHTTPURL(s string) (string, error) {
	u, err := parseURL(s, false)
	if err != nil {
		return "", err
	}
	if err := requireHTTP(u); err != nil {
		return "", err
	}
	return s, nil
}

func parseAPIURL(s string) (string, error) {
	s, err := parseHTTPURL(s)
	if err != nil {
		return "", err
	}
	// Callers resolve relative paths against it, which drops a last
	// segment without a trailing slash.
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// parseURL parses s. When the URL may carry credentials the parser's detail
// is dropped, since it can quote part of the password.
func parseURL(s string, secret bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err == nil {
		return u, nil
	}
	if secret {
		return nil, errors.New("not a valid URL (check that special characters in the password are percent-encoded)")
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return nil, fmt.Errorf("not a valid URL: %w", err)
}

func requireHTTP(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL", safeURL(u))
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", safeURL(u))
	}
	return nil
}

func parseDatabase(s string) (Database, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#@") {
		return Database{}, errors.New("missing scheme (want sqlite:// or postgres://)")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		path, ok := strings.CutPrefix(rest, "//")
		if !ok || path == "" {
			return Database{}, errors.New("want sqlite://PATH (e.g. sqlite://./data/portico.db)")
		}
		return Database{Dialect: DialectSQLite, DSN: path}, nil
	case "postgres", "postgresql":
		if _, err := parseURL(s, true); err != nil {
			return Database{}, err
		}
		return Database{Dialect: DialectPostgres, DSN: s}, nil
	}
	return Database{}, fmt.Errorf("unknown scheme %q (want sqlite:// or postgres://)", scheme)
}

func parseRedisURL(s string) (string, error) {
	u, err := parseURL(s, true)
	if err != nil {
		return "", err
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return "", fmt.Errorf("unknown scheme %q (want redis:// or rediss://)", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("missing host (e.g. redis://localhost:6379/0)")
	}
	return s, nil
}

func parseMailURL(s string) (string, error) {
	u, err := parseURL(s, true)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "log":
		return s, nil
	case "smtp", "smtps":
		if u.Host == "" {
			return "", errors.New("missing host (e.g. smtp://user:pass@mail.example.com:587)")
		}
	default:
		return "", fmt.Errorf("unknown scheme %q (want smtp://, smtps:// or log://)", u.Scheme)
	}
	if u.Scheme == "smtp" {
		switch tls := u.Query().Get("tls"); tls {
		case "", "required", "opportunistic", "none":
		default:
			return "", fmt.Errorf("tls=%q: want required, opportunistic or none", tls)
		}
	}
	return s, nil
}

// maxMailPoolSize is far above what a relay allows one client (often 10 to
// 20 connections); more only gets connections refused.
const maxMailPoolSize = 100

func parsePoolSize(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxMailPoolSize {
		return 0, fmt.Errorf("%q is not a whole number from 1 to %d", s, maxMailPoolSize)
	}
	return n, nil
}

func parseMailFrom(s string) (string, error) {
	if _, err := mail.ParseAddress(s); err != nil {
		return "", fmt.Errorf("%q is not an email address (e.g. Support <support@example.com>): %w", s, err)
	}
	return s, nil
}

func parseEmail(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address: %w", s, err)
	}
	return a.Address, nil
}

// addressDomain returns the domain of an address already validated by
// mail.ParseAddress.
func addressDomain(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(a.Address[strings.LastIndexByte(a.Address, '@')+1:])
}

func parseDomain(s string) (string, error) {
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("@/:?#", r)
	}) {
		return "", fmt.Errorf("%q is not a domain name (e.g. support.example.com)", s)
	}
	return strings.ToLower(s), nil
}

func parseRepository(s string) (string, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || !repoPart(owner) || !repoPart(name) {
		return "", fmt.Errorf("%q is not owner/name (e.g. portico/portico)", s)
	}
	return s, nil
}

func repoPart(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
}

func parseID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer", s)
	}
	return n, nil
}

// minLen checks a secret's length without ever quoting it.
func minLen(n int) func(string) (string, error) {
	return func(s string) (string, error) {
		if utf8.RuneCountInString(s) < n {
			return "", fmt.Errorf("must be at least %d characters long", n)
		}
		return s, nil
	}
}

// parseAdminPassword holds the first admin's password to the rule of the
// set-up page (validate.AdminPassword).
func parseAdminPassword(s string) (string, error) {
	if msg := validate.AdminPassword(s); msg != "" {
		return "", errors.New(msg)
	}
	return s, nil
}

func parseBasicAuth(s string) (string, error) {
	if user, _, ok := strings.Cut(s, ":"); !ok || user == "" {
		return "", errors.New("must be user:password")
	}
	return s, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func parseARNs(s string) ([]string, error) {
	arns := splitList(s)
	for _, a := range arns {
		if !strings.HasPrefix(a, "arn:") {
			return nil, fmt.Errorf("%q is not an ARN (want arn:aws:sns:REGION:ACCOUNT:TOPIC)", a)
		}
	}
	return arns, nil
}

func parseProxies(s string) ([]string, error) {
	proxies := splitList(s)
	for _, p := range proxies {
		var err error
		if strings.Contains(p, "/") {
			_, err = netip.ParsePrefix(p)
		} else {
			_, err = netip.ParseAddr(p)
		}
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix (e.g. 10.0.0.0/8)", p)
		}
	}
	return proxies, nil
}

// AdminScopes are what PORTICO_ADMIN_API_TOKEN_SCOPES may name, one per
// group of admin routes (server/adminauth defines them; a test there keeps
// the two lists equal).
var AdminScopes = []string{"settings", "tickets", "contacts", "workflows", "privacy"}

func parseScopes(s string) ([]string, error) {
	var out []string
	for _, item := range splitList(s) {
		item = strings.ToLower(item)
		if !slices.Contains(AdminScopes, item) {
			return nil, fmt.Errorf("%q is not a scope (want a comma-separated list of %s)", item, strings.Join(AdminScopes, ", "))
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("names no scope (leave it unset for every scope)")
	}
	return out, nil
}

// parseOutboundAllow reads IPs, CIDR prefixes and host names. A host name
// is letters, digits, '-', '_' and dots, without a scheme or port, and not
// all numeric (2130706433 or 0177.0.0.1 are addresses in disguise).
func parseOutboundAllow(s string) ([]string, error) {
	var out []string
	for _, item := range splitList(s) {
		bad := fmt.Errorf("%q is not an IP address, CIDR prefix or host name (e.g. 10.0.0.5, 10.0.0.0/8, hooks.internal)", item)
		if strings.Contains(item, "/") {
			if _, err := netip.ParsePrefix(item); err != nil {
				return nil, bad
			}
			out = append(out, item)
			continue
		}
		if _, err := netip.ParseAddr(item); err == nil {
			out = append(out, item)
			continue
		}
		name := strings.TrimSuffix(strings.ToLower(item), ".")
		labels := strings.Split(name, ".")
		last := labels[len(labels)-1]
		numeric := strings.Trim(last, "0123456789") == "" ||
			strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == ""
		ok := name != "" && len(name) <= 253 && !numeric
		for _, label := range labels {
			ok = ok && label != "" && len(label) <= 63 && label[0] != '-' && label[len(label)-1] != '-' &&
				!strings.ContainsFunc(label, func(r rune) bool {
					return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
				})
		}
		if !ok {
			return nil, bad
		}
		out = append(out, name)
	}
	return out, nil
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level (want debug, info, warn or error)", s)
}

func parseLogFormat(s string) (string, error) {
	switch f := strings.ToLower(s); f {
	case "text", "json":
		return f, nil
	}
	return "", fmt.Errorf("%q is not a log format (want text or json)", s)
}

// parseGrace reads a duration that may be 0 (off) and may use days ("90d").
func parseGrace(s string) (time.Duration, error) {
	d, ok := parsePeriod(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a duration (e.g. 90d, 720h, or 0 for none)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}

func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 15s)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return d, nil
}
