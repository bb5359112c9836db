package httpserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/server/admin"
	"github.com/portico/portico/server/adminauth"
	"github.com/portico/portico/server/model"
)

const testIndex = `<!doctype html><html><head>` +
	`<script type="module" crossorigin src="/admin/assets/index-Ab12Cd34.js"></script>` +
	`<link rel="stylesheet" crossorigin href="/admin/assets/index-Ef56Gh78.css"></head>` +
	`<body><div id="app"></div></body></html>`

var testJS = "console.log('portico admin');\n" + strings.Repeat("export const x = 'compressible';\n", 100)

func builtUI() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                  {Data: []byte(testIndex)},
		".gitkeep":                    {Data: nil},
		"favicon.svg":                 {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-Ab12Cd34.js":    {Data: []byte(testJS)},
		"assets/index-Ef56Gh78.css":   {Data: []byte("body{color:red}")},
		"assets/logo-0a1b2c3d.woff2":  {Data: []byte("wOF2")},
		"assets/nested/chunk-9z8y.js": {Data: []byte("export default 1")},
	}
}

// fakeAuth is an Authenticator with one admin, one password and one token.
type fakeAuth struct{}

func (fakeAuth) Login(_ context.Context, email, password string) (string, model.Admin, error) {
	if email == "admin@example.com" && password == "right" {
		return "session-token", model.Admin{ID: 1, Email: email}, nil
	}
	return "", model.Admin{}, adminauth.ErrInvalidCredentials
}

func (fakeAuth) Session(_ context.Context, token string) (model.Admin, error) {
	if token == "session-token" {
		return model.Admin{ID: 1, Email: "admin@example.com"}, nil
	}
	return model.Admin{}, model.ErrNotFound
}

func (fakeAuth) Logout(context.Context, string) error { return nil }

func (fakeAuth) BearerValid(token string) bool { return token == "api-token" }

func (fakeAuth) BearerAllows(string) bool { return true }

func (fakeAuth) AllowLogin(context.Context, string, string) (time.Duration, error) { return 0, nil }

func newTestServer(t *testing.T, ui fs.FS, info AdminInfo, secure bool) *Server {
	t.Helper()
	return New(Options{
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:  prometheus.NewRegistry(),
		Ready:     func(context.Context) error { return nil },
		Admin:     admin.New(fakeAuth{}, nil, nil, nil, nil, "https://support.example.com", secure),
		AdminUI:   ui,
		AdminInfo: info,
	})
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, app *Server, req *http.Request) answer {
	t.Helper()
	res, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(body)}
}

func get(t *testing.T, app *Server, target string) answer {
	t.Helper()
	return do(t, app, httptest.NewRequest(http.MethodGet, target, nil))
}

func checkAdminHeaders(t *testing.T, target string, a answer) {
	t.Helper()
	want := map[string]string{
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := a.header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", target, k, got, v)
		}
	}
	if !strings.Contains(a.header.Get("X-Robots-Tag"), "noindex") {
		t.Errorf("%s: X-Robots-Tag = %q", target, a.header.Get("X-Robots-Tag"))
	}
	csp := a.header.Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("%s: CSP %q lacks %q", target, csp, part)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
		t.Errorf("%s: CSP %q is not strict", target, csp)
	}
}

// Before `make build` the embedded dist holds only .gitkeep: every admin page
// says so with a 503, and the binary still works.
func TestAdminUINotBuilt(t *testing.T) {
	for name, ui := range map[string]fs.FS{
		"nil":     nil,
		"empty":   fstest.MapFS{},
		"gitkeep": fstest.MapFS{".gitkeep": {Data: nil}},
	} {
		app := newTestServer(t, ui, AdminInfo{}, false)
		for _, target := range []string{"/admin", "/admin/", "/admin/settings", "/admin/assets/index-Ab12Cd34.js"} {
			a := get(t, app, target)
			if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "Admin UI not built") ||
				!strings.Contains(a.body, "make build") {
				t.Errorf("%s: %s answered %d %q", name, target, a.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: %s Content-Type = %q", name, target, ct)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %s Cache-Control = %q", name, target, a.header.Get("Cache-Control"))
			}
			checkAdminHeaders(t, target, a)
		}
		if a := get(t, app, "/healthz"); a.status != 200 {
			t.Errorf("%s: /healthz answered %d", name, a.status)
		}
	}
}

// Every path of the app that is not a file gets index.html (history mode),
// never cached.
func TestAdminUIHistoryFallback(t *testing.T) {
	app := newTestServer(t, builtUI(), AdminInfo{}, false)
	for _, target := range []string{"/admin", "/admin/", "/admin/index.html", "/admin/login", "/admin/settings",
		"/admin/tickets?q=printer&page=2", "/admin/tickets/TK-42", "/admin/contacts/7?ticket=TK-42", "/admin/a/b/c/d"} {
		a := get(t, app, target)
		if a.status != 200 || a.body != testIndex {
			t.Errorf("%s answered %d %q", target, a.status, a.body)
			continue
		}
		if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", target, ct)
		}
		if cc := a.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control = %q", target, cc)
		}
		checkAdminHeaders(t, target, a)
	}
	head := do(t, app, httptest.NewRequest(http.MethodHead, "/admin/settings", nil))
	if head.status != 200 || head.body != "" {
		t.Errorf("HEAD answered %d %q", head.status, head.body)
	}
}

// Hashed assets are served with their type and cached for a year.
func TestAdminUIAssets(t *testing.T) {
	app := newTestServer(t, builtUI(), AdminInfo{}, false)
	cases := []struct{ target, ctype, body string }{
		{"/admin/assets/index-Ab12Cd34.js", "text/javascript; charset=utf-8", testJS},
		{"/admin/assets/index-Ef56Gh78.css", "text/css; charset=utf-8", "body{color:red}"},
		{"/admin/assets/logo-0a1b2c3d.woff2", "font/woff2", "wOF2"},
		{"/admin/assets/nested/chunk-9z8y.js", "text/javascript; charset=utf-8", "export default 1"},
	}
	for _, c := range cases {
		a := get(t, app, c.target)
		if a.status != 200 || a.body != c.body {
			t.Errorf("%s answered %d %q", c.target, a.status, a.body)
		}
		if a.header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: Content-Type = %q, want %q", c.target, a.header.Get("Content-Type"), c.ctype)
		}
		if cc := a.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control = %q", c.target, cc)
		}
		if a.header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed without Accept-Encoding", c.target)
		}
		checkAdminHeaders(t, c.target, a)
	}

	// Files at the root of dist (Vite's public/) are served, revalidated.
	if a := get(t, app, "/admin/favicon.svg"); a.status != 200 || a.header.Get("Content-Type") != "image/svg+xml" ||
		a.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("favicon answered %d %v", a.status, a.header)
	}
}

// Text assets go out gzip-compressed to clients that take it.
func TestAdminUIGzip(t *testing.T) {
	app := newTestServer(t, builtUI(), AdminInfo{}, false)
	req := httptest.NewRequest(http.MethodGet, "/admin/assets/index-Ab12Cd34.js", nil)
	req.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
	res, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("headers %v", res.Header)
	}
	if len(raw) >= len(testJS) {
		t.Errorf("compressed body is %d bytes, plain %d", len(raw), len(testJS))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != testJS {
		t.Errorf("decompressed body differs")
	}

	req = httptest.NewRequest(http.MethodGet, "/admin/assets/index-Ab12Cd34.js", nil)
	req.Header.Set("Accept-Encoding", "gzip;q=0, identity")
	if a := do(t, app, req); a.header.Get("Content-Encoding") != "" || a.body != testJS {
		t.Errorf("gzip;q=0 still got %q", a.header.Get("Content-Encoding"))
	}
	for _, header := range []string{"gzip", "deflate, gzip", "*", "GZIP;q=1"} {
		if !acceptsGzip(header) {
			t.Errorf("acceptsGzip(%q) = false", header)
		}
	}
	for _, header := range []string{"", "br", "gzip;q=0", "identity", "x-gzip"} {
		if acceptsGzip(header) {
			t.Errorf("acceptsGzip(%q) = true", header)
		}
	}
}

// A missing file is a 404 (a stale tab must not get HTML as JavaScript);
// nothing outside the app is reachable; only GET and HEAD are answered.
func TestAdminUINotFound(t *testing.T) {
	app := newTestServer(t, builtUI(), AdminInfo{}, false)
	for _, target := range []string{"/admin/assets/index-OLD.js", "/admin/assets/", "/admin/assets/x.css",
		"/admin/robots.txt", "/admin/app.js.map"} {
		a := get(t, app, target)
		if a.status != 404 || strings.Contains(a.body, "<html") {
			t.Errorf("%s answered %d %q", target, a.status, a.body)
		}
		checkAdminHeaders(t, target, a)
	}
	for _, target := range []string{"/admin/../go.mod", "/admin/%2e%2e/go.mod", "/admin/assets/../../embed.go",
		"/admin//etc/passwd", "/admin/.gitkeep"} {
		a := get(t, app, target)
		if a.status == 200 && a.body != testIndex {
			t.Errorf("%s answered %d %q", target, a.status, a.body)
		}
	}
	for _, target := range []string{"/administrator", "/adminx/assets/index-Ab12Cd34.js"} {
		if a := get(t, app, target); a.status != 404 {
			t.Errorf("%s answered %d", target, a.status)
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		a := do(t, app, httptest.NewRequest(method, "/admin/settings", strings.NewReader("{}")))
		if a.status < 400 {
			t.Errorf("%s /admin/settings answered %d", method, a.status)
		}
	}
}

// GET /support/admin/api/info needs an admin and tells the app where the
// server lives and where GitHub issues are.
func TestAdminInfo(t *testing.T) {
	app := newTestServer(t, builtUI(), AdminInfo{BaseURL: "https://support.example.com/", GitHubRepository: "acme/help"}, false)
	if a := get(t, app, "/support/admin/api/info"); a.status != 401 {
		t.Fatalf("without credentials: %d %q", a.status, a.body)
	}
	req := httptest.NewRequest(http.MethodGet, "/support/admin/api/info", nil)
	req.Header.Set("Cookie", admin.SessionCookie+"=session-token")
	a := do(t, app, req)
	if a.status != 200 {
		t.Fatalf("with a session: %d %q", a.status, a.body)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	if got["base_url"] != "https://support.example.com" || got["github_repository"] != "acme/help" ||
		got["github_web_url"] != "https://github.com" || got["version"] == "" {
		t.Errorf("info = %v", got)
	}
	if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("info headers %v", a.header)
	}

	app = newTestServer(t, nil, AdminInfo{GitHubWebURL: "https://git.corp.example/", Version: "v1.2.3"}, false)
	req = httptest.NewRequest(http.MethodGet, "/support/admin/api/info", nil)
	req.Header.Set("Authorization", "Bearer api-token")
	a = do(t, app, req)
	if !strings.Contains(a.body, `"github_web_url":"https://git.corp.example"`) || !strings.Contains(a.body, `"version":"v1.2.3"`) ||
		!strings.Contains(a.body, `"github_repository":""`) {
		t.Errorf("info = %d %s", a.status, a.body)
	}
}

// The session cookie is HttpOnly and SameSite=Strict, and Secure behind an
// https base URL.
func TestSessionCookieStrict(t *testing.T) {
	for _, secure := range []bool{false, true} {
		app := newTestServer(t, builtUI(), AdminInfo{}, secure)
		req := httptest.NewRequest(http.MethodPost, "/support/admin/api/session",
			strings.NewReader(`{"email":"admin@example.com","password":"right"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://support.example.com")
		a := do(t, app, req)
		if a.status != 200 {
			t.Fatalf("sign-in answered %d %q", a.status, a.body)
		}
		cookie := a.header.Get("Set-Cookie")
		lower := strings.ToLower(cookie)
		if !strings.Contains(cookie, "portico_session=session-token") || !strings.Contains(lower, "httponly") ||
			!strings.Contains(lower, "samesite=strict") || strings.Contains(lower, "secure") != secure {
			t.Errorf("secure=%v: Set-Cookie = %q", secure, cookie)
		}
		req = httptest.NewRequest(http.MethodDelete, "/support/admin/api/session", nil)
		req.Header.Set("Cookie", "portico_session=session-token")
		req.Header.Set("Origin", "https://support.example.com")
		a = do(t, app, req)
		if a.status != 204 || !strings.Contains(strings.ToLower(a.header.Get("Set-Cookie")), "samesite=strict") {
			t.Errorf("sign-out answered %d, Set-Cookie %q", a.status, a.header.Get("Set-Cookie"))
		}
	}
}

// The real build (when present) works under the CSP: no inline script or
// style, every referenced asset served from /admin/assets/ with its type.
func TestAdminUIRealBuild(t *testing.T) {
	dist := os.DirFS("../../admin-ui/dist")
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("admin-ui/dist is not built: make test builds it before the Go tests")
		}
		t.Skip("admin-ui/dist is not built (make build)")
	}
	html := string(index)
	if regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`).MatchString(html) || strings.Contains(html, "<style") ||
		strings.Contains(html, " style=") {
		t.Errorf("index.html has inline script or style, which the CSP blocks:\n%s", html)
	}
	app := newTestServer(t, dist, AdminInfo{}, false)
	refs := regexp.MustCompile(`(?:src|href)="(/admin/[^"]+)"`).FindAllStringSubmatch(html, -1)
	scripts := 0
	for _, m := range refs {
		a := get(t, app, m[1])
		if a.status != 200 {
			t.Errorf("%s answered %d", m[1], a.status)
		}
		if strings.HasSuffix(m[1], ".js") {
			scripts++
			if a.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", m[1], a.header.Get("Content-Type"))
			}
			if strings.Contains(a.body, "new Function(") || regexp.MustCompile(`\beval\(`).MatchString(a.body) {
				t.Errorf("%s uses eval, which the CSP blocks", m[1])
			}
		}
	}
	if scripts == 0 {
		t.Errorf("index.html loads no script from /admin/: %s", html)
	}
}

func TestGitHubWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.github.com/":          "https://github.com",
		"https://API.github.com":           "https://github.com",
		"https://ghe.corp.example/api/v3/": "https://ghe.corp.example",
		"http://127.0.0.1:9999/":           "http://127.0.0.1:9999",
		"":                                 "https://github.com",
		"::bad":                            "https://github.com",
	} {
		if got := GitHubWebURL(in); got != want {
			t.Errorf("GitHubWebURL(%q) = %q, want %q", in, got, want)
		}
	}
}
