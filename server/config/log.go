package config

import (
	"log/slog"
	"net/url"
	"strings"
)

// LogValue makes slog print the configuration with secrets replaced by
// "[set]" (or "" when unset) and passwords masked in URLs.
func (c Config) LogValue() slog.Value {
	baseURL := ""
	if c.BaseURL != nil {
		baseURL = c.BaseURL.String()
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("base_url", baseURL),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("database_dialect", c.Database.Dialect),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("secret_key", redact(c.SecretKey)),
		slog.String("requester_signing_key", redact(c.RequesterSigningKey)),
		slog.Duration("legacy_signature_grace", c.LegacySignatureGrace),
		slog.String("mail_url", redactURL(c.MailURL)),
		slog.String("mail_from", c.MailFrom),
		slog.Int("mail_pool_size", c.MailPoolSize),
		slog.String("reply_domain", c.ReplyDomain),
		slog.String("github_repository", c.GitHubRepository),
		slog.String("github_token", redact(c.GitHubToken)),
		slog.Int64("github_app_id", c.GitHubAppID),
		slog.String("github_app_private_key_file", c.GitHubAppPrivateKeyFile),
		slog.Int64("github_app_installation_id", c.GitHubAppInstallationID),
		slog.String("github_api_url", redactURL(c.GitHubAPIURL)),
		slog.String("github_webhook_secret", redact(c.GitHubWebhookSecret)),
		slog.String("turnstile_site_key", c.TurnstileSiteKey),
		slog.String("turnstile_secret_key", redact(c.TurnstileSecretKey)),
		slog.String("turnstile_verify_url", redactURL(c.TurnstileVerifyURL)),
		slog.String("inbound_secret", redact(c.InboundSecret)),
		slog.String("postmark_basic_auth", redact(c.PostmarkBasicAuth)),
		slog.String("mailgun_signing_key", redact(c.MailgunSigningKey)),
		slog.Any("sns_topic_arns", c.SNSTopicARNs),
		slog.String("admin_email", c.AdminEmail),
		slog.String("admin_password", redact(c.AdminPassword)),
		slog.String("admin_api_token", redact(c.AdminAPIToken)),
		slog.Any("admin_api_token_scopes", c.AdminAPITokenScopes),
		slog.String("widget_limit_per_email", c.WidgetLimitPerEmail.String()),
		slog.String("widget_limit_per_ip", c.WidgetLimitPerIP.String()),
		slog.String("mail_limit_per_recipient", c.MailLimitPerRecipient.String()),
		slog.String("admin_login_limit_per_ip", c.AdminLoginLimitPerIP.String()),
		slog.String("admin_login_limit_per_account", c.AdminLoginLimitPerAccount.String()),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("metrics_token", redact(c.MetricsToken)),
		slog.Any("outbound_allow", c.OutboundAllow),
		slog.String("guest_policy_mode", c.GuestPolicy.Mode),
		slog.Int64("guest_policy_user_id", c.GuestPolicy.UserID),
		slog.String("guest_policy_signup_url_template", c.GuestPolicy.SignupURLTemplate),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
	)
}

// String renders the redacted configuration, so that printing a Config
// with fmt cannot leak secrets either.
func (c Config) String() string {
	return c.LogValue().String()
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "[set]"
}

// redactURL masks user info (SMTP users are often API tokens too) and
// password-like query parameters such as postgres' password=.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[set]" // can't tell where a password would be
	}
	if u.User != nil {
		return safeURL(u)
	}
	for k := range u.Query() {
		if secretParam(k) {
			return safeURL(u)
		}
	}
	return s // re-encoding would needlessly alter it, e.g. "log://" → "log:"
}

// safeURL renders u without user info or password-like query parameters.
func safeURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User("xxxxx")
	}
	if r.RawQuery != "" {
		q := r.Query()
		for k := range q {
			if secretParam(k) {
				q.Set(k, "xxxxx")
			}
		}
		r.RawQuery = q.Encode()
	}
	return r.String()
}

func secretParam(name string) bool {
	name = strings.ToLower(name)
	return strings.Contains(name, "pass") || strings.Contains(name, "secret") ||
		strings.Contains(name, "token") || strings.Contains(name, "key")
}
