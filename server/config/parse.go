package config

// The parsers of the variables: each turns a value into its typed form
// or an error that names the problem without quoting a secret.

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
