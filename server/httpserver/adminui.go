package httpserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// AdminInfo is what the admin app shows about this server: the base URL for
// the widget snippet and where GitHub issues live.
type AdminInfo struct {
	// BaseURL is PORTICO_BASE_URL without a trailing slash.
	BaseURL string
	// GitHubRepository is owner/name; empty when GitHub sync is off.
	GitHubRepository string
	// GitHubWebURL is the web address of the GitHub server
	// (https://github.com when empty; a GitHub Enterprise host otherwise).
	GitHubWebURL string
	// Version is the build's version; empty: read from the binary's build info.
	Version string
	// GitHubWarning says what is wrong with the mirror repository (it is
	// public), "" when nothing is; nil: never anything.
	GitHubWarning func(ctx context.Context) string
}

// adminUICSP lets the single-page app load only its own bundled scripts,
// styles and API; images may also be data: URIs (Vite inlines small ones).
// No inline script or style, no eval, no framing.
const adminUICSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// uiFile is one file of the built app, read once at start-up.
type uiFile struct {
	body        []byte
	gzipped     []byte // nil when gzip would not help
	contentType string
}

// adminUI serves the built admin app (admin-ui/dist).
type adminUI struct {
	files map[string]uiFile // by path inside dist, e.g. "assets/index-3f2a.js"
	index []byte            // nil: the app is not built
}

// newAdminUI reads every file of the built app into memory (it is small),
// so that a request never touches the file system and no path a client sends
// can reach outside the app.
func newAdminUI(fsys fs.FS) (*adminUI, error) {
	ui := &adminUI{files: map[string]uiFile{}}
	if fsys == nil {
		return ui, nil
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		ui.files[p] = uiFile{body: body, gzipped: gzipIfSmaller(p, body), contentType: contentType(p)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if f, ok := ui.files["index.html"]; ok {
		ui.index = f.body
	}
	return ui, nil
}

func contentType(p string) string {
	switch ext := path.Ext(p); ext {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".map":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}

// gzipIfSmaller compresses text files once at start-up.
func gzipIfSmaller(p string, body []byte) []byte {
	switch path.Ext(p) {
	case ".js", ".mjs", ".css", ".html", ".svg", ".json", ".map", ".txt", ".webmanifest":
	default:
		return nil
	}
	if len(body) < 512 {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() >= len(body) {
		return nil
	}
	return buf.Bytes()
}

// adminUIHeaders are the admin pages' security headers (docs/CONTRACTS.md: no
// referrer, noindex, strict CSP, no framing).
func adminUIHeaders(c *fiber.Ctx) {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set("Content-Security-Policy", adminUICSP)
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Admin UI not built - portico</title></head>
<body>
<h1>Admin UI not built</h1>
<p>This portico binary was built without the admin app. Run <code>make build</code>
(it runs <code>npm ci</code> and <code>npm run build</code> in <code>admin-ui/</code>, then builds the binary)
and start it again.</p>
<p>The admin API under <code>/support/admin/</code> works without it.</p>
</body>
</html>
`

// serve answers GET /admin and /admin/*: files of the app as they are
// (hashed assets cached for a year), index.html for every other path so that
// the app's own router can show it (history mode).
func (ui *adminUI) serve(c *fiber.Ctx) error {
	adminUIHeaders(c)
	if ui.index == nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Status(fiber.StatusServiceUnavailable).SendString(notBuiltPage)
	}
	p := strings.TrimPrefix(c.Params("*"), "/")
	if f, ok := ui.files[p]; ok && p != "index.html" {
		if strings.HasPrefix(p, "assets/") {
			c.Set(fiber.HeaderCacheControl, cacheImmutable)
		} else {
			c.Set(fiber.HeaderCacheControl, cacheRevalidate)
		}
		return sendUIFile(c, f)
	}
	if p == "assets" || strings.HasPrefix(p, "assets/") || staticExt[path.Ext(p)] {
		// A missing file is a 404, not the app: a stale tab asking for an
		// old hashed bundle must not get HTML as JavaScript.
		c.Set(fiber.HeaderCacheControl, "no-store")
		return fiber.NewError(fiber.StatusNotFound, "no such file: /admin/"+p)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendUIFile(c, ui.files["index.html"])
}

func sendUIFile(c *fiber.Ctx, f uiFile) error {
	c.Set(fiber.HeaderContentType, f.contentType)
	if f.gzipped != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(f.gzipped)
		}
	}
	return c.Send(f.body)
}

// acceptsGzip reads Accept-Encoding; "gzip;q=0" refuses it.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// staticExt are the extensions of files a built app may ask for; a missing
// one is a 404 rather than the app.
var staticExt = map[string]bool{
	".js": true, ".mjs": true, ".css": true, ".map": true, ".svg": true, ".png": true, ".ico": true,
	".webp": true, ".woff2": true, ".json": true, ".txt": true, ".webmanifest": true,
}

// GitHubWebURL is the web address that goes with a GitHub API URL:
// https://github.com for api.github.com, the host of a GitHub Enterprise
// server for its https://host/api/v3/ (or a fake's URL, unchanged, in tests).
func GitHubWebURL(apiURL string) string {
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil || u.Host == "" {
		return "https://github.com"
	}
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	return u.Scheme + "://" + u.Host
}

type adminInfoView struct {
	BaseURL          string `json:"base_url"`
	GitHubRepository string `json:"github_repository"`
	GitHubWebURL     string `json:"github_web_url"`
	Version          string `json:"version"`
	// GitHubWarning is omitted when there is nothing to warn about.
	GitHubWarning string `json:"github_repository_warning,omitempty"`
}

func (i AdminInfo) view() adminInfoView {
	v := adminInfoView{
		BaseURL:          strings.TrimRight(i.BaseURL, "/"),
		GitHubRepository: i.GitHubRepository,
		GitHubWebURL:     strings.TrimRight(i.GitHubWebURL, "/"),
		Version:          i.Version,
	}
	if v.GitHubWebURL == "" {
		v.GitHubWebURL = "https://github.com"
	}
	if v.Version == "" {
		v.Version = buildVersion()
	}
	return v
}

// buildVersion is the module version, or the VCS revision Go stamped into
// the binary ("devel" when there is neither).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + dirty
}

// adminUIRoutes adds the admin app (/admin, /admin/*) and its read-only
// server info (GET /support/admin/api/info) to the route table.
func adminUIRoutes(app *fiber.App, o Options) {
	if o.Admin != nil {
		info := o.AdminInfo.view()
		app.Get("/support/admin/api/info", adminHeaders, o.Admin.RequireAdmin, func(c *fiber.Ctx) error {
			v := info
			if o.AdminInfo.GitHubWarning != nil {
				v.GitHubWarning = o.AdminInfo.GitHubWarning(c.UserContext())
			}
			return c.JSON(v)
		})
	}
	ui, err := newAdminUI(o.AdminUI)
	if err != nil {
		if o.Logger != nil {
			o.Logger.Error("admin UI unreadable; /admin will say it is not built", "err", err)
		}
		ui = &adminUI{files: map[string]uiFile{}}
	}
	app.Get("/admin", ui.serve)
	app.Get("/admin/*", ui.serve)
}
