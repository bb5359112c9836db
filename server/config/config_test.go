package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/validate"
)

// Every secret used in these tests contains this marker, so a leak into an
// error or log line is caught by a plain substring check.
const marker = "s3cr3t"

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// loadTest loads from env plus, if yamlText is non-empty, a config file
// holding it. The default file path never exists, so neither the real
// environment nor the working directory is consulted.
func loadTest(t *testing.T, env map[string]string, yamlText string) (Config, error) {
	t.Helper()
	dir := t.TempDir()
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	if yamlText != "" {
		path := filepath.Join(dir, "portico.yaml")
		if err := os.WriteFile(path, []byte(yamlText), 0o600); err != nil {
			t.Fatal(err)
		}
		env["PORTICO_CONFIG"] = path
	}
	return load(lookupMap(env), filepath.Join(dir, "absent.yaml"))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// diffConfig reports differing fields by name, which reads better than one
// huge struct dump.
func diffConfig(t *testing.T, got, want Config) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", gv.Type().Field(i).Name, g, w)
		}
	}
}

func defaultConfig(t *testing.T) Config {
	return Config{
		Addr:                      ":8080",
		BaseURL:                   mustURL(t, "http://localhost:8080"),
		DatabaseURL:               "sqlite://./data/portico.db",
		Database:                  Database{Dialect: DialectSQLite, DSN: "./data/portico.db"},
		MailURL:                   "log://",
		MailFrom:                  "Support <support@localhost>",
		MailPoolSize:              4,
		ReplyDomain:               "localhost",
		GitHubAPIURL:              "https://api.github.com/",
		TurnstileVerifyURL:        "https://challenges.cloudflare.com/turnstile/v0/siteverify",
		WidgetLimitPerEmail:       Rate{Count: 10, Period: time.Hour},
		WidgetLimitPerIP:          Rate{Count: 60, Period: time.Hour},
		AdminLoginLimitPerIP:      Rate{Count: 10, Period: 10 * time.Minute},
		AdminLoginLimitPerAccount: Rate{Count: 10, Period: 15 * time.Minute},
		LogLevel:                  slog.LevelInfo,
		LogFormat:                 "text",
		ShutdownTimeout:           15 * time.Second,
		MailLimitPerRecipient:     Rate{Count: 20, Period: time.Hour},
		LegacySignatureGrace:      90 * 24 * time.Hour,
		GuestPolicy:               validate.GuestPolicy{Mode: validate.GuestUnassigned},
	}
}

// allEnv sets every variable to a non-default value.
func allEnv() map[string]string {
	return map[string]string{
		"PORTICO_ADDR":                          "127.0.0.1:9000",
		"PORTICO_BASE_URL":                      "https://support.example.com/portal/",
		"PORTICO_DATABASE_URL":                  "postgres://portico:pg-s3cr3t@db:5432/portico?sslmode=disable",
		"PORTICO_REDIS_URL":                     "rediss://:redis-s3cr3t@cache:6380/1",
		"PORTICO_SECRET_KEY":                    "key-s3cr3t-0123456789abcdef0123456789",
		"PORTICO_MAIL_URL":                      "smtp://mailer-s3cr3t:smtp-s3cr3t@mail.example.com:587?tls=required",
		"PORTICO_MAIL_FROM":                     "Example Help <help@example.com>",
		"PORTICO_MAIL_POOL_SIZE":                "12",
		"PORTICO_ADMIN_LOGIN_LIMIT_PER_IP":      "5/1h",
		"PORTICO_ADMIN_LOGIN_LIMIT_PER_ACCOUNT": "20/1d",
		"PORTICO_METRICS_ADDR":                  "127.0.0.1:9090",
		"PORTICO_METRICS_TOKEN":                 "metrics-s3cr3t-0123456789",
		"PORTICO_REPLY_DOMAIN":                  "Reply.Example.com",
		"PORTICO_GITHUB_REPOSITORY":             "example-org/app.web",
		"PORTICO_GITHUB_TOKEN":                  "ghp-s3cr3t",
		"PORTICO_GITHUB_APP_ID":                 "12345",
		"PORTICO_GITHUB_APP_PRIVATE_KEY_FILE":   "/run/keys/gh.pem",
		"PORTICO_GITHUB_APP_INSTALLATION_ID":    "678",
		"PORTICO_GITHUB_API_URL":                "https://ghe.example.com/api/v3",
		"PORTICO_GITHUB_WEBHOOK_SECRET":         "webhook-s3cr3t",
		"PORTICO_TURNSTILE_SITE_KEY":            "0x4AAAAsite",
		"PORTICO_TURNSTILE_SECRET_KEY":          "turnstile-s3cr3t",
		"PORTICO_TURNSTILE_VERIFY_URL":          "http://localhost:9999/verify",
		"PORTICO_INBOUND_SECRET":                "inbound-s3cr3t",
		"PORTICO_POSTMARK_BASIC_AUTH":           "postmark:postmark-s3cr3t",
		"PORTICO_MAILGUN_SIGNING_KEY":           "mailgun-s3cr3t",
		"PORTICO_SNS_TOPIC_ARNS":                " arn:aws:sns:eu-west-1:123456789012:inbound, ,arn:aws:sns:us-east-1:123456789012:bounces,",
		"PORTICO_ADMIN_EMAIL":                   "Admin <admin@example.com>",
		"PORTICO_ADMIN_PASSWORD":                "admin-s3cr3t",
		"PORTICO_ADMIN_API_TOKEN":               "api-token-s3cr3t-0123",
		"PORTICO_ADMIN_API_TOKEN_SCOPES":        " Tickets, contacts,tickets ",
		"PORTICO_OUTBOUND_ALLOW":                "10.0.0.5, 192.168.0.0/16, Hooks.Internal., fd00::/8",
		"PORTICO_WIDGET_LIMIT_PER_EMAIL":        "5/30m",
		"PORTICO_WIDGET_LIMIT_PER_IP":           "100/d",
		"PORTICO_TRUSTED_PROXIES":               "10.0.0.0/8, 192.168.1.1,::1, fd00::/8",
		"PORTICO_LOG_LEVEL":                     "DEBUG",
		"PORTICO_LOG_FORMAT":                    "JSON",
		"PORTICO_SHUTDOWN_TIMEOUT":              "1m30s",
		"PORTICO_REQUESTER_SIGNING_KEY":         "host-s3cr3t-0123456789abcdef0123456789",
		"PORTICO_LEGACY_SIGNATURE_GRACE":        "30d",
		"PORTICO_MAIL_LIMIT_PER_RECIPIENT":      "5/2h",
		"PORTICO_GUEST_POLICY_MODE":             " guest_user ",
		"PORTICO_GUEST_POLICY_USER_ID":          "42",
	}
}

func allConfig(t *testing.T) Config {
	return Config{
		Addr:                      "127.0.0.1:9000",
		BaseURL:                   mustURL(t, "https://support.example.com/portal"),
		DatabaseURL:               "postgres://portico:pg-s3cr3t@db:5432/portico?sslmode=disable",
		Database:                  Database{Dialect: DialectPostgres, DSN: "postgres://portico:pg-s3cr3t@db:5432/portico?sslmode=disable"},
		RedisURL:                  "rediss://:redis-s3cr3t@cache:6380/1",
		SecretKey:                 "key-s3cr3t-0123456789abcdef0123456789",
		MailURL:                   "smtp://mailer-s3cr3t:smtp-s3cr3t@mail.example.com:587?tls=required",
		MailFrom:                  "Example Help <help@example.com>",
		MailPoolSize:              12,
		ReplyDomain:               "reply.example.com",
		GitHubRepository:          "example-org/app.web",
		GitHubToken:               "ghp-s3cr3t",
		GitHubAppID:               12345,
		GitHubAppPrivateKeyFile:   "/run/keys/gh.pem",
		GitHubAppInstallationID:   678,
		GitHubAPIURL:              "https://ghe.example.com/api/v3/",
		GitHubWebhookSecret:       "webhook-s3cr3t",
		TurnstileSiteKey:          "0x4AAAAsite",
		TurnstileSecretKey:        "turnstile-s3cr3t",
		TurnstileVerifyURL:        "http://localhost:9999/verify",
		InboundSecret:             "inbound-s3cr3t",
		PostmarkBasicAuth:         "postmark:postmark-s3cr3t",
		MailgunSigningKey:         "mailgun-s3cr3t",
		SNSTopicARNs:              []string{"arn:aws:sns:eu-west-1:123456789012:inbound", "arn:aws:sns:us-east-1:123456789012:bounces"},
		AdminEmail:                "admin@example.com",
		AdminPassword:             "admin-s3cr3t",
		AdminAPIToken:             "api-token-s3cr3t-0123",
		AdminAPITokenScopes:       []string{"tickets", "contacts"},
		OutboundAllow:             []string{"10.0.0.5", "192.168.0.0/16", "hooks.internal", "fd00::/8"},
		WidgetLimitPerEmail:       Rate{Count: 5, Period: 30 * time.Minute},
		WidgetLimitPerIP:          Rate{Count: 100, Period: 24 * time.Hour},
		AdminLoginLimitPerIP:      Rate{Count: 5, Period: time.Hour},
		AdminLoginLimitPerAccount: Rate{Count: 20, Period: 24 * time.Hour},
		MetricsAddr:               "127.0.0.1:9090",
		MetricsToken:              "metrics-s3cr3t-0123456789",
		TrustedProxies:            []string{"10.0.0.0/8", "192.168.1.1", "::1", "fd00::/8"},
		LogLevel:                  slog.LevelDebug,
		LogFormat:                 "json",
		ShutdownTimeout:           90 * time.Second,
		RequesterSigningKey:       "host-s3cr3t-0123456789abcdef0123456789",
		LegacySignatureGrace:      30 * 24 * time.Hour,
		MailLimitPerRecipient:     Rate{Count: 5, Period: 2 * time.Hour},
		GuestPolicy:               validate.GuestPolicy{Mode: validate.GuestUser, UserID: 42},
	}
}

// toYAML writes env as a YAML mapping, with keys passed through key.
func toYAML(env map[string]string, key func(string) string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(&b, "%s: %s\n", key(k), strconv.Quote(env[k]))
	}
	return b.String()
}

func shortKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(name, "PORTICO_"))
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	blank := map[string]string{}
	spaces := map[string]string{}
	for k := range allEnv() {
		blank[k] = ""
		spaces[k] = "  "
	}
	tests := []struct {
		name string
		env  map[string]string
		yaml string
	}{
		{name: "nothing set"},
		{name: "empty values count as unset", env: blank},
		{name: "blank values count as unset", env: spaces},
		{name: "empty file", yaml: "# nothing here\n"},
		{name: "null file values", yaml: "addr:\nPORTICO_DATABASE_URL: ~\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadTest(t, tt.env, tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			diffConfig(t, got, defaultConfig(t))
		})
	}
}

func TestAllVariables(t *testing.T) {
	t.Parallel()
	got, err := loadTest(t, allEnv(), "")
	if err != nil {
		t.Fatal(err)
	}
	diffConfig(t, got, allConfig(t))
}

func TestVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "sqlite absolute path",
			env:  map[string]string{"PORTICO_DATABASE_URL": "sqlite:///var/lib/portico/portico.db"},
			check: func(t *testing.T, c Config) {
				want := Database{Dialect: DialectSQLite, DSN: "/var/lib/portico/portico.db"}
				if c.Database != want {
					t.Errorf("Database = %+v, want %+v", c.Database, want)
				}
			},
		},
		{
			name: "postgresql scheme",
			env:  map[string]string{"PORTICO_DATABASE_URL": "postgresql://u@localhost/portico"},
			check: func(t *testing.T, c Config) {
				want := Database{Dialect: DialectPostgres, DSN: "postgresql://u@localhost/portico"}
				if c.Database != want {
					t.Errorf("Database = %+v, want %+v", c.Database, want)
				}
			},
		},
		{
			name: "base URL root slash removed",
			env:  map[string]string{"PORTICO_BASE_URL": "https://help.example.com/"},
			check: func(t *testing.T, c Config) {
				if got := c.BaseURL.String(); got != "https://help.example.com" {
					t.Errorf("BaseURL = %q", got)
				}
			},
		},
		{
			name: "API URL slash kept",
			env:  map[string]string{"PORTICO_GITHUB_API_URL": "https://api.github.com/"},
			check: func(t *testing.T, c Config) {
				if c.GitHubAPIURL != "https://api.github.com/" {
					t.Errorf("GitHubAPIURL = %q", c.GitHubAPIURL)
				}
			},
		},
		{
			name: "reply domain from mail from",
			env:  map[string]string{"PORTICO_MAIL_FROM": "help@Mail.Example.com"},
			check: func(t *testing.T, c Config) {
				if c.ReplyDomain != "mail.example.com" {
					t.Errorf("ReplyDomain = %q", c.ReplyDomain)
				}
			},
		},
		{
			name: "mail URLs",
			env: map[string]string{
				"PORTICO_MAIL_URL": "smtps://u:p@mail.example.com:465",
			},
			check: func(t *testing.T, c Config) {
				if c.MailURL != "smtps://u:p@mail.example.com:465" {
					t.Errorf("MailURL = %q", c.MailURL)
				}
			},
		},
		{
			name: "rates with bare units and days",
			env: map[string]string{
				"PORTICO_WIDGET_LIMIT_PER_EMAIL": "3/h",
				"PORTICO_WIDGET_LIMIT_PER_IP":    "20 / 7d",
			},
			check: func(t *testing.T, c Config) {
				if want := (Rate{3, time.Hour}); c.WidgetLimitPerEmail != want {
					t.Errorf("WidgetLimitPerEmail = %v, want %v", c.WidgetLimitPerEmail, want)
				}
				if want := (Rate{20, 7 * 24 * time.Hour}); c.WidgetLimitPerIP != want {
					t.Errorf("WidgetLimitPerIP = %v, want %v", c.WidgetLimitPerIP, want)
				}
			},
		},
		{
			name: "log levels",
			env:  map[string]string{"PORTICO_LOG_LEVEL": "warn"},
			check: func(t *testing.T, c Config) {
				if c.LogLevel != slog.LevelWarn {
					t.Errorf("LogLevel = %v", c.LogLevel)
				}
			},
		},
		{
			name: "list of only commas",
			env:  map[string]string{"PORTICO_TRUSTED_PROXIES": " , ,"},
			check: func(t *testing.T, c Config) {
				if c.TrustedProxies != nil {
					t.Errorf("TrustedProxies = %q", c.TrustedProxies)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadTest(t, tt.env, "")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}

	for _, s := range []string{"smtp://h?tls=none", "smtp://h?tls=opportunistic", "smtp://h:25", "log:"} {
		t.Run("mail URL "+s, func(t *testing.T) {
			t.Parallel()
			if _, err := loadTest(t, map[string]string{"PORTICO_MAIL_URL": s}, ""); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string // the whole message if exact, else a substring
		// exact requires the message to equal want.
		exact bool
	}{
		{"addr without port", map[string]string{"PORTICO_ADDR": "localhost"}, `PORTICO_ADDR: "localhost" is not host:port`, false},
		{"addr named port", map[string]string{"PORTICO_ADDR": ":http"}, "PORTICO_ADDR: \":http\": port must be a number", false},
		{"base URL scheme", map[string]string{"PORTICO_BASE_URL": "ftp://example.com"}, "PORTICO_BASE_URL: \"ftp://example.com\" is not an absolute http:// or https:// URL", true},
		{"base URL relative", map[string]string{"PORTICO_BASE_URL": "example.com"}, "PORTICO_BASE_URL: \"example.com\" is not an absolute", false},
		{"base URL without host", map[string]string{"PORTICO_BASE_URL": "http:///path"}, "PORTICO_BASE_URL: \"http:///path\" has no host", true},
		{"base URL query", map[string]string{"PORTICO_BASE_URL": "http://x/?a=1"}, "PORTICO_BASE_URL: \"http://x/?a=1\" must not have a query or fragment", true},
		{"base URL fragment", map[string]string{"PORTICO_BASE_URL": "http://x/#top"}, "must not have a query or fragment", false},
		{"base URL user", map[string]string{"PORTICO_BASE_URL": "http://u:s3cr3t@x"}, "PORTICO_BASE_URL: must not contain a user or password", true},
		{"base URL malformed", map[string]string{"PORTICO_BASE_URL": "http://[::1"}, "PORTICO_BASE_URL: not a valid URL: missing ']' in host", true},
		{"database unknown scheme", map[string]string{"PORTICO_DATABASE_URL": "mysql://u:s3cr3t@db/portico"}, `PORTICO_DATABASE_URL: unknown scheme "mysql" (want sqlite:// or postgres://)`, true},
		{"database no scheme", map[string]string{"PORTICO_DATABASE_URL": "./data/portico.db"}, "PORTICO_DATABASE_URL: missing scheme", false},
		{"database sqlite without slashes", map[string]string{"PORTICO_DATABASE_URL": "sqlite:data.db"}, "PORTICO_DATABASE_URL: want sqlite://PATH", false},
		{"database sqlite empty path", map[string]string{"PORTICO_DATABASE_URL": "sqlite://"}, "PORTICO_DATABASE_URL: want sqlite://PATH", false},
		{"database malformed postgres", map[string]string{"PORTICO_DATABASE_URL": "postgres://u:p%zzs3cr3t@db/portico"}, "PORTICO_DATABASE_URL: not a valid URL", false},
		{"redis scheme", map[string]string{"PORTICO_REDIS_URL": "http://cache:6379"}, `PORTICO_REDIS_URL: unknown scheme "http" (want redis:// or rediss://)`, true},
		{"redis no host", map[string]string{"PORTICO_REDIS_URL": "redis://"}, "PORTICO_REDIS_URL: missing host", false},
		{"redis malformed", map[string]string{"PORTICO_REDIS_URL": "redis://:s3cr3t%@cache"}, "PORTICO_REDIS_URL: not a valid URL", false},
		{"secret key short", map[string]string{"PORTICO_SECRET_KEY": "short-s3cr3t"}, "PORTICO_SECRET_KEY: must be at least 32 characters long", true},
		{"requester key short", map[string]string{"PORTICO_REQUESTER_SIGNING_KEY": "short-s3cr3t"}, "PORTICO_REQUESTER_SIGNING_KEY: must be at least 32 characters long", true},
		{"requester key is the secret key", map[string]string{"PORTICO_SECRET_KEY": "same-s3cr3t-0123456789abcdef0123456789", "PORTICO_REQUESTER_SIGNING_KEY": "same-s3cr3t-0123456789abcdef0123456789"},
			"PORTICO_REQUESTER_SIGNING_KEY: must differ from PORTICO_SECRET_KEY: give host apps a key of their own", true},
		{"grace text", map[string]string{"PORTICO_LEGACY_SIGNATURE_GRACE": "soon"}, `PORTICO_LEGACY_SIGNATURE_GRACE: "soon" is not a duration (e.g. 90d, 720h, or 0 for none)`, true},
		{"grace negative", map[string]string{"PORTICO_LEGACY_SIGNATURE_GRACE": "-1h"}, `PORTICO_LEGACY_SIGNATURE_GRACE: "-1h": must not be negative`, true},
		{"mail limit zero", map[string]string{"PORTICO_MAIL_LIMIT_PER_RECIPIENT": "0/1h"}, `PORTICO_MAIL_LIMIT_PER_RECIPIENT: rate "0/1h": count must be a positive integer`, true},
		{"mail scheme", map[string]string{"PORTICO_MAIL_URL": "sendmail://localhost"}, `PORTICO_MAIL_URL: unknown scheme "sendmail" (want smtp://, smtps:// or log://)`, true},
		{"mail tls", map[string]string{"PORTICO_MAIL_URL": "smtp://u:s3cr3t@mail?tls=maybe"}, `PORTICO_MAIL_URL: tls="maybe": want required, opportunistic or none`, true},
		{"mail no host", map[string]string{"PORTICO_MAIL_URL": "smtp://u:s3cr3t@"}, "PORTICO_MAIL_URL: missing host", false},
		{"mail malformed", map[string]string{"PORTICO_MAIL_URL": "smtp://u:%zs3cr3t@mail"}, "PORTICO_MAIL_URL: not a valid URL", false},
		{"mail from", map[string]string{"PORTICO_MAIL_FROM": "support"}, `PORTICO_MAIL_FROM: "support" is not an email address`, false},
		{"mail pool zero", map[string]string{"PORTICO_MAIL_POOL_SIZE": "0"}, `PORTICO_MAIL_POOL_SIZE: "0" is not a whole number from 1 to 100`, true},
		{"mail pool text", map[string]string{"PORTICO_MAIL_POOL_SIZE": "four"}, `PORTICO_MAIL_POOL_SIZE: "four" is not a whole number from 1 to 100`, true},
		{"mail pool too large", map[string]string{"PORTICO_MAIL_POOL_SIZE": "101"}, `PORTICO_MAIL_POOL_SIZE: "101" is not a whole number from 1 to 100`, true},
		{"mail pool fraction", map[string]string{"PORTICO_MAIL_POOL_SIZE": "2.5"}, "PORTICO_MAIL_POOL_SIZE:", false},
		{"reply domain", map[string]string{"PORTICO_REPLY_DOMAIN": "help@example.com"}, `PORTICO_REPLY_DOMAIN: "help@example.com" is not a domain name`, false},
		{"repository without slash", map[string]string{"PORTICO_GITHUB_REPOSITORY": "portico"}, `PORTICO_GITHUB_REPOSITORY: "portico" is not owner/name`, false},
		{"repository too deep", map[string]string{"PORTICO_GITHUB_REPOSITORY": "a/b/c"}, "PORTICO_GITHUB_REPOSITORY:", false},
		{"repository empty owner", map[string]string{"PORTICO_GITHUB_REPOSITORY": "/b"}, "PORTICO_GITHUB_REPOSITORY:", false},
		{"app id text", map[string]string{"PORTICO_GITHUB_APP_ID": "abc"}, `PORTICO_GITHUB_APP_ID: "abc" is not a positive integer`, true},
		{"app id zero", map[string]string{"PORTICO_GITHUB_APP_ID": "0"}, "PORTICO_GITHUB_APP_ID:", false},
		{"app id negative", map[string]string{"PORTICO_GITHUB_APP_ID": "-5"}, "PORTICO_GITHUB_APP_ID:", false},
		{"installation id", map[string]string{"PORTICO_GITHUB_APP_INSTALLATION_ID": "1.5"}, "PORTICO_GITHUB_APP_INSTALLATION_ID: \"1.5\" is not a positive integer", true},
		{"API URL relative", map[string]string{"PORTICO_GITHUB_API_URL": "api.github.com"}, "PORTICO_GITHUB_API_URL: \"api.github.com\" is not an absolute http:// or https:// URL", true},
		{"verify URL relative", map[string]string{"PORTICO_TURNSTILE_VERIFY_URL": "/verify"}, "PORTICO_TURNSTILE_VERIFY_URL:", false},
		{"turnstile site key alone", map[string]string{"PORTICO_TURNSTILE_SITE_KEY": "0x4AAAAsite"}, "PORTICO_TURNSTILE_SITE_KEY: PORTICO_TURNSTILE_SECRET_KEY must be set too", false},
		{"turnstile secret alone", map[string]string{"PORTICO_TURNSTILE_SECRET_KEY": "turnstile-s3cr3t"}, "PORTICO_TURNSTILE_SECRET_KEY: PORTICO_TURNSTILE_SITE_KEY must be set too", true},
		{"pprof not loopback", map[string]string{"PORTICO_PPROF_ADDR": "0.0.0.0:6060"}, `PORTICO_PPROF_ADDR: "0.0.0.0:6060": must be a loopback address`, false},
		{"postmark no colon", map[string]string{"PORTICO_POSTMARK_BASIC_AUTH": "s3cr3t"}, "PORTICO_POSTMARK_BASIC_AUTH: must be user:password", true},
		{"postmark no user", map[string]string{"PORTICO_POSTMARK_BASIC_AUTH": ":s3cr3t"}, "PORTICO_POSTMARK_BASIC_AUTH: must be user:password", true},
		{"sns not arn", map[string]string{"PORTICO_SNS_TOPIC_ARNS": "arn:aws:sns:x:1:t, topic"}, `PORTICO_SNS_TOPIC_ARNS: "topic" is not an ARN`, false},
		{"admin email malformed", map[string]string{"PORTICO_ADMIN_EMAIL": "admin", "PORTICO_ADMIN_PASSWORD": "pw-s3cr3t"}, `PORTICO_ADMIN_EMAIL: "admin" is not an email address`, false},
		{"admin email without password", map[string]string{"PORTICO_ADMIN_EMAIL": "admin@example.com"}, "PORTICO_ADMIN_EMAIL: PORTICO_ADMIN_PASSWORD must be set too", true},
		{"admin password without email", map[string]string{"PORTICO_ADMIN_PASSWORD": "pw-s3cr3t-long"}, "PORTICO_ADMIN_PASSWORD: set without PORTICO_ADMIN_EMAIL", true},
		{"admin password short", map[string]string{"PORTICO_ADMIN_EMAIL": "a@example.com", "PORTICO_ADMIN_PASSWORD": "s3cr3t1"}, "PORTICO_ADMIN_PASSWORD: must be at least 8 characters long", true},
		{"admin token short", map[string]string{"PORTICO_ADMIN_API_TOKEN": "s3cr3t-short"}, "PORTICO_ADMIN_API_TOKEN: must be at least 16 characters long", true},
		{"rate without slash", map[string]string{"PORTICO_WIDGET_LIMIT_PER_EMAIL": "10"}, `PORTICO_WIDGET_LIMIT_PER_EMAIL: rate "10": want N/duration (e.g. 10/1h)`, true},
		{"rate zero", map[string]string{"PORTICO_WIDGET_LIMIT_PER_EMAIL": "0/1h"}, "PORTICO_WIDGET_LIMIT_PER_EMAIL: rate \"0/1h\": count must be a positive integer", true},
		{"rate negative", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "-1/1h"}, "PORTICO_WIDGET_LIMIT_PER_IP: rate \"-1/1h\": count must be a positive integer", true},
		{"rate count text", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "x/1h"}, "PORTICO_WIDGET_LIMIT_PER_IP: rate \"x/1h\": count", false},
		{"rate bad period", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "10/abc"}, `PORTICO_WIDGET_LIMIT_PER_IP: rate "10/abc": "abc" is not a duration`, false},
		{"rate empty period", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "10/"}, "PORTICO_WIDGET_LIMIT_PER_IP: rate \"10/\":", false},
		{"rate zero period", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "10/0s"}, "PORTICO_WIDGET_LIMIT_PER_IP: rate \"10/0s\": period must be positive", true},
		{"rate negative period", map[string]string{"PORTICO_WIDGET_LIMIT_PER_IP": "10/-1h"}, "period must be positive", false},
		{"proxy prefix too long", map[string]string{"PORTICO_TRUSTED_PROXIES": "10.0.0.0/33"}, `PORTICO_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR prefix`, false},
		{"proxy hostname", map[string]string{"PORTICO_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, `PORTICO_TRUSTED_PROXIES: "proxy.local" is not an IP address`, false},
		{"proxy bad octet", map[string]string{"PORTICO_TRUSTED_PROXIES": "300.1.1.1"}, `PORTICO_TRUSTED_PROXIES: "300.1.1.1"`, false},
		{"unknown scope", map[string]string{"PORTICO_ADMIN_API_TOKEN": "api-token-s3cr3t-0123", "PORTICO_ADMIN_API_TOKEN_SCOPES": "tickets, tikets"},
			`PORTICO_ADMIN_API_TOKEN_SCOPES: "tikets" is not a scope (want a comma-separated list of settings, tickets, contacts, workflows, privacy)`, true},
		{"scope all is not a scope", map[string]string{"PORTICO_ADMIN_API_TOKEN": "api-token-s3cr3t-0123", "PORTICO_ADMIN_API_TOKEN_SCOPES": "all"},
			`PORTICO_ADMIN_API_TOKEN_SCOPES: "all" is not a scope`, false},
		{"scopes only commas", map[string]string{"PORTICO_ADMIN_API_TOKEN": "api-token-s3cr3t-0123", "PORTICO_ADMIN_API_TOKEN_SCOPES": " , "},
			"PORTICO_ADMIN_API_TOKEN_SCOPES: names no scope (leave it unset for every scope)", true},
		{"scopes without token", map[string]string{"PORTICO_ADMIN_API_TOKEN_SCOPES": "tickets"},
			"PORTICO_ADMIN_API_TOKEN_SCOPES: set without PORTICO_ADMIN_API_TOKEN", true},
		{"outbound prefix too long", map[string]string{"PORTICO_OUTBOUND_ALLOW": "10.0.0.0/33"}, `PORTICO_OUTBOUND_ALLOW: "10.0.0.0/33" is not an IP address, CIDR prefix or host name`, false},
		{"outbound URL", map[string]string{"PORTICO_OUTBOUND_ALLOW": "http://hooks.internal"}, `PORTICO_OUTBOUND_ALLOW: "http://hooks.internal" is not an IP address, CIDR prefix or host name`, false},
		{"outbound port", map[string]string{"PORTICO_OUTBOUND_ALLOW": "hooks.internal:8080"}, `"hooks.internal:8080" is not an IP address`, false},
		{"outbound bad octet", map[string]string{"PORTICO_OUTBOUND_ALLOW": "300.1.1.1"}, `PORTICO_OUTBOUND_ALLOW: "300.1.1.1"`, false},
		{"outbound decimal address", map[string]string{"PORTICO_OUTBOUND_ALLOW": "2130706433"}, `PORTICO_OUTBOUND_ALLOW: "2130706433"`, false},
		{"outbound hex address", map[string]string{"PORTICO_OUTBOUND_ALLOW": "0x7f.1"}, `PORTICO_OUTBOUND_ALLOW: "0x7f.1"`, false},
		{"log level", map[string]string{"PORTICO_LOG_LEVEL": "verbose"}, `PORTICO_LOG_LEVEL: "verbose" is not a log level (want debug, info, warn or error)`, true},
		{"log format", map[string]string{"PORTICO_LOG_FORMAT": "xml"}, `PORTICO_LOG_FORMAT: "xml" is not a log format (want text or json)`, true},
		{"timeout text", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "abc"}, `PORTICO_SHUTDOWN_TIMEOUT: "abc" is not a duration (e.g. 15s)`, true},
		{"timeout without unit", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "15"}, `PORTICO_SHUTDOWN_TIMEOUT: "15" is not a duration (e.g. 15s)`, true},
		{"timeout zero", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "0s"}, `PORTICO_SHUTDOWN_TIMEOUT: "0s": must be positive`, true},
		{"timeout negative", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "-1s"}, "PORTICO_SHUTDOWN_TIMEOUT:", false},
		{"config file missing", map[string]string{"PORTICO_CONFIG": "/nonexistent/portico.yaml"}, "PORTICO_CONFIG: open /nonexistent/portico.yaml: no such file or directory", true},
		// The guest policy's start-up default: what the admin API would
		// store differently is refused (validate.CheckGuestPolicy).
		{"guest policy mode", map[string]string{"PORTICO_GUEST_POLICY_MODE": "everyone"},
			`PORTICO_GUEST_POLICY_MODE: "everyone" must be unassigned, guest_user or prompt_signup`, true},
		{"guest policy user id missing", map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user"},
			"PORTICO_GUEST_POLICY_USER_ID: is required in guest_user mode", true},
		{"guest policy user id zero", map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user", "PORTICO_GUEST_POLICY_USER_ID": "0"},
			`PORTICO_GUEST_POLICY_USER_ID: "0" must be a positive whole number`, true},
		{"guest policy user id text", map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user", "PORTICO_GUEST_POLICY_USER_ID": "guest"},
			`PORTICO_GUEST_POLICY_USER_ID: "guest" must be a positive whole number`, true},
		{"guest policy user id without its mode", map[string]string{"PORTICO_GUEST_POLICY_USER_ID": "42"},
			`PORTICO_GUEST_POLICY_USER_ID: "42" is only used in guest_user mode (PORTICO_GUEST_POLICY_MODE is unassigned)`, true},
		{"guest policy template missing", map[string]string{"PORTICO_GUEST_POLICY_MODE": "prompt_signup"},
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE: is required in prompt_signup mode", true},
		{"guest policy template too long", map[string]string{"PORTICO_GUEST_POLICY_MODE": "prompt_signup",
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE": "https://app.example/" + strings.Repeat("x", 481) + "?t={token}"},
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE: must be at most 500 characters", true},
		{"guest policy template in another mode", map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user", "PORTICO_GUEST_POLICY_USER_ID": "7",
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE": "https://app.example/s?t={token}"},
			"PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE: is only used in prompt_signup mode (PORTICO_GUEST_POLICY_MODE is guest_user)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadTest(t, tt.env, "")
			if err == nil {
				t.Fatalf("no error; config %v", c)
			}
			msg := err.Error()
			if tt.exact && msg != tt.want || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			if strings.Contains(msg, marker) {
				t.Errorf("error leaks a secret: %q", msg)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("config not zero on error")
			}
		})
	}
}

func TestSeveralErrors(t *testing.T) {
	t.Parallel()
	_, err := loadTest(t, map[string]string{
		"PORTICO_ADDR":             "nope",
		"PORTICO_SHUTDOWN_TIMEOUT": "never",
	}, "")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PORTICO_ADDR: ") || !strings.HasPrefix(lines[1], "PORTICO_SHUTDOWN_TIMEOUT: ") {
		t.Errorf("error = %q, want one line each for PORTICO_ADDR and PORTICO_SHUTDOWN_TIMEOUT", err)
	}
}

func TestYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		yaml string
		want func(t *testing.T) Config
	}{
		{
			name: "short keys",
			yaml: toYAML(allEnv(), shortKey),
			want: allConfig,
		},
		{
			name: "variable names as keys",
			yaml: toYAML(allEnv(), func(k string) string { return k }),
			want: allConfig,
		},
		{
			name: "env wins over file",
			env:  allEnv(),
			yaml: "addr: \":1\"\nPORTICO_DATABASE_URL: mysql://ignored\nlog_level: bogus\n",
			want: allConfig,
		},
		{
			name: "empty env does not hide file",
			env:  map[string]string{"PORTICO_ADDR": ""},
			yaml: "addr: \":9000\"\n",
			want: func(t *testing.T) Config {
				c := defaultConfig(t)
				c.Addr = ":9000"
				return c
			},
		},
		{
			name: "native YAML types and lists",
			yaml: `
github_app_id: 42
PORTICO_GITHUB_APP_INSTALLATION_ID: 7
mail_pool_size: 8
shutdown_timeout: 30s
log_format: json
redis_url:
trusted_proxies: [10.0.0.0/8, 127.0.0.1]
sns_topic_arns:
  - arn:aws:sns:eu-west-1:1:a
  - arn:aws:sns:eu-west-1:1:b
`,
			want: func(t *testing.T) Config {
				c := defaultConfig(t)
				c.GitHubAppID = 42
				c.GitHubAppInstallationID = 7
				c.MailPoolSize = 8
				c.ShutdownTimeout = 30 * time.Second
				c.LogFormat = "json"
				c.TrustedProxies = []string{"10.0.0.0/8", "127.0.0.1"}
				c.SNSTopicARNs = []string{"arn:aws:sns:eu-west-1:1:a", "arn:aws:sns:eu-west-1:1:b"}
				return c
			},
		},
		{
			// The YAML keys are the admin API's field names; {token} needs
			// no quotes inside a plain scalar.
			name: "guest policy",
			yaml: "guest_policy_mode: prompt_signup\nguest_policy_signup_url_template: https://app.example/signup?invite={token}\n",
			want: func(t *testing.T) Config {
				c := defaultConfig(t)
				c.GuestPolicy = validate.GuestPolicy{Mode: validate.GuestPromptSignup, SignupURLTemplate: "https://app.example/signup?invite={token}"}
				return c
			},
		},
		{
			name: "guest policy, env wins over file",
			env:  map[string]string{"PORTICO_GUEST_POLICY_MODE": "guest_user", "PORTICO_GUEST_POLICY_USER_ID": "5"},
			yaml: "PORTICO_GUEST_POLICY_MODE: prompt_signup\nPORTICO_GUEST_POLICY_USER_ID: 9\n",
			want: func(t *testing.T) Config {
				c := defaultConfig(t)
				c.GuestPolicy = validate.GuestPolicy{Mode: validate.GuestUser, UserID: 5}
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadTest(t, tt.env, tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			diffConfig(t, got, tt.want(t))
		})
	}
}

func TestYAMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want string // after "<path>: "
	}{
		{"short key value", "database_url: mysql://db/x\n", `database_url: unknown scheme "mysql" (want sqlite:// or postgres://)`},
		{"long key value", "PORTICO_SHUTDOWN_TIMEOUT: abc\n", `PORTICO_SHUTDOWN_TIMEOUT: "abc" is not a duration (e.g. 15s)`},
		{"cross check", "admin_email: a@example.com\n", "admin_email: PORTICO_ADMIN_PASSWORD must be set too"},
		{"unknown key", "databse_url: sqlite://x.db\n", `unknown key "databse_url"`},
		{"unknown prefixed key", "PORTICO_NOPE: 1\n", `unknown key "PORTICO_NOPE"`},
		{"mixed case key", "Addr: \":1\"\n", `unknown key "Addr"`},
		{"prefixed lower-case key", "portico_addr: \":1\"\n", `unknown key "portico_addr"`},
		{"config key", "config: other.yaml\n", `unknown key "config"`},
		{"both key styles", "addr: \":1\"\nPORTICO_ADDR: \":2\"\n", "PORTICO_ADDR: same setting as addr"},
		{"duplicate key", "addr: \":1\"\naddr: \":2\"\n", `invalid YAML: [2:1] mapping key "addr" already defined at [1:1]`},
		{"syntax error hides source", "secret_key: \"abcs3cr3t\ndef: [\n", "invalid YAML: "},
		{"not a mapping", "- a\n- b\n", "invalid YAML: "},
		{"map value", "addr:\n  host: x\n", "addr: must be a single value"},
		{"list for scalar", "addr: [\":1\"]\n", "addr: must be a single value, not a list"},
		{"nested list", "trusted_proxies: [[10.0.0.1]]\n", "trusted_proxies: list items must be single values"},
		{"secret in file", "secret_key: toos3cr3t\n", "secret_key: must be at least 32 characters long"},
		{"guest policy mode", "guest_policy_mode: guest\n", `guest_policy_mode: "guest" must be unassigned, guest_user or prompt_signup`},
		{"guest policy user id", "guest_policy_mode: guest_user\nguest_policy_user_id: -1\n", `guest_policy_user_id: "-1" must be a positive whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "portico.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := load(lookupMap(map[string]string{"PORTICO_CONFIG": path}), filepath.Join(dir, "absent.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want %q", msg, path+": "+tt.want+"…")
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			if strings.Contains(msg, marker) {
				t.Errorf("error leaks a secret: %q", msg)
			}
		})
	}
}

func TestConfigFileLocation(t *testing.T) {
	t.Parallel()

	t.Run("default file used when present", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "portico.yaml")
		if err := os.WriteFile(path, []byte("addr: \":7000\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := load(lookupMap(nil), path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":7000" {
			t.Errorf("Addr = %q, want :7000", c.Addr)
		}
	})

	t.Run("explicit file is a directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, err := load(lookupMap(map[string]string{"PORTICO_CONFIG": dir}), filepath.Join(dir, "absent.yaml"))
		if err == nil || !strings.HasPrefix(err.Error(), "PORTICO_CONFIG: ") {
			t.Errorf("error = %v, want PORTICO_CONFIG: …", err)
		}
	})

	t.Run("explicit file wins over default", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		def := filepath.Join(dir, "default.yaml")
		explicit := filepath.Join(dir, "explicit.yaml")
		for path, addr := range map[string]string{def: ":1", explicit: ":2"} {
			if err := os.WriteFile(path, []byte("addr: \""+addr+"\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c, err := load(lookupMap(map[string]string{"PORTICO_CONFIG": explicit}), def)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":2" {
			t.Errorf("Addr = %q, want :2", c.Addr)
		}
	})
}

func TestLogValueHidesSecrets(t *testing.T) {
	t.Parallel()
	c, err := loadTest(t, allEnv(), "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	logged := buf.String()

	for _, out := range []string{logged, fmt.Sprint(c), fmt.Sprintf("%+v", c)} {
		if strings.Contains(out, marker) {
			t.Errorf("output leaks a secret: %s", out)
		}
	}
	for _, want := range []string{
		`"secret_key":"[set]"`,
		`"admin_password":"[set]"`,
		`"postmark_basic_auth":"[set]"`,
		`"database_url":"postgres://xxxxx@db:5432/portico?sslmode=disable"`,
		`"mail_url":"smtp://xxxxx@mail.example.com:587?tls=required"`,
		`"mail_pool_size":12`,
		`"addr":"127.0.0.1:9000"`,
		`"base_url":"https://support.example.com/portal"`,
		`"widget_limit_per_ip":"100/24h"`,
		`"log_level":"DEBUG"`,
		`"github_api_url":"https://ghe.example.com/api/v3/"`,
		`"guest_policy_mode":"guest_user"`,
		`"guest_policy_user_id":42`,
	} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %s:\n%s", want, logged)
		}
	}

	d, err := loadTest(t, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", d)
	if !strings.Contains(buf.String(), `"secret_key":""`) || !strings.Contains(buf.String(), `"mail_url":"log://"`) {
		t.Errorf("defaults logged wrongly:\n%s", buf.String())
	}
}

func TestRedactURLQuery(t *testing.T) {
	t.Parallel()
	got := redactURL("postgres://db/portico?sslmode=require&password=pg-s3cr3t")
	if strings.Contains(got, marker) || !strings.Contains(got, "sslmode=require") {
		t.Errorf("redactURL = %q", got)
	}
	if got := redactURL("postgres://u:%zzs3cr3t@db"); got != "[set]" {
		t.Errorf("redactURL(malformed) = %q, want [set]", got)
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Rate
		str  string
	}{
		{"10/1h", Rate{10, time.Hour}, "10/1h"},
		{"60/1h", Rate{60, time.Hour}, "60/1h"},
		{"5/30m", Rate{5, 30 * time.Minute}, "5/30m"},
		{"1/h", Rate{1, time.Hour}, "1/1h"},
		{"2/m", Rate{2, time.Minute}, "2/1m"},
		{"3/s", Rate{3, time.Second}, "3/1s"},
		{"4/d", Rate{4, 24 * time.Hour}, "4/24h"},
		{"4/2d", Rate{4, 48 * time.Hour}, "4/48h"},
		{"7/90s", Rate{7, 90 * time.Second}, "7/1m30s"},
		{"8/1h30m", Rate{8, 90 * time.Minute}, "8/1h30m"},
		{"9/10s", Rate{9, 10 * time.Second}, "9/10s"},
		{"1/500ms", Rate{1, 500 * time.Millisecond}, "1/500ms"},
		{" 12 / 1h ", Rate{12, time.Hour}, "12/1h"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseRate(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if back, err := ParseRate(got.String()); err != nil || back != got {
				t.Errorf("ParseRate(String()) = %+v, %v; want %+v", back, err, got)
			}
		})
	}

	for _, in := range []string{"", "10", "/1h", "0/1h", "-1/1h", "1.5/1h", "x/1h", "10/", "10/x", "10/0s", "10/-1h", "10/-1d", "10/1y", "10/99999999999999d"} {
		t.Run("invalid "+in, func(t *testing.T) {
			t.Parallel()
			if r, err := ParseRate(in); err == nil {
				t.Errorf("ParseRate(%q) = %+v, want error", in, r)
			}
		})
	}
}

// TestLoad covers the exported entry point; naming the file explicitly keeps
// it independent of the working directory.
func TestLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "custom.yaml")
	if err := os.WriteFile(path, []byte("log_level: error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(lookupMap(map[string]string{"PORTICO_CONFIG": path}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelError {
		t.Errorf("LogLevel = %v, want ERROR", c.LogLevel)
	}
}
