package httpserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The built widget (widget/dist, see widget/scripts/build.mjs) is served
// from memory: the loader widget.js at a stable URL with a short cache, and
// the files it loads (wasm, scoped wasm_exec.js) under content-hashed names,
// cached for a year. Each has precompressed .br and .gz siblings; the best
// one the client accepts is sent.
const (
	widgetCacheHashed = "public, max-age=31536000, immutable"
	// The loader names the hashed files, so it may be a few minutes stale
	// at most after a deploy.
	widgetCacheLoader = "public, max-age=300, stale-while-revalidate=3600"
	widgetNotBuilt    = `console.warn("portico widget not built: run make build (npm run build in widget/), then restart portico");` + "\n"
)

// widgetAsset is one served file with its precompressed forms.
type widgetAsset struct {
	contentType string
	cache       string
	etag        string
	raw, br, gz []byte
}

// widgetAssets holds the built widget by served name.
type widgetAssets struct {
	files map[string]*widgetAsset
}

// loadWidgetAssets reads dist's manifest.json ({logical: served name}) and
// the files it names. A missing or unreadable build gives an empty set:
// widget.js then answers a script that warns in the console.
func loadWidgetAssets(fsys fs.FS, log *slog.Logger) *widgetAssets {
	wa := &widgetAssets{files: map[string]*widgetAsset{}}
	if fsys == nil {
		return wa
	}
	data, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return wa // not built
	}
	var manifest map[string]string
	if err := json.Unmarshal(data, &manifest); err != nil {
		if log != nil {
			log.Error("widget/dist/manifest.json unreadable; the widget is off", "err", err)
		}
		return wa
	}
	for logical, served := range manifest {
		if served == "" || strings.ContainsAny(served, "/\\") {
			continue
		}
		raw, err := fs.ReadFile(fsys, served)
		if err != nil {
			if log != nil {
				log.Error("widget file missing from the build", "file", served, "err", err)
			}
			continue
		}
		a := &widgetAsset{contentType: widgetContentType(served), cache: widgetCacheLoader, raw: raw}
		if served != logical { // content-hashed name
			a.cache = widgetCacheHashed
		}
		a.br, _ = fs.ReadFile(fsys, served+".br")
		a.gz, _ = fs.ReadFile(fsys, served+".gz")
		sum := sha256.Sum256(raw)
		a.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
		wa.files[served] = a
	}
	return wa
}

func widgetContentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// widgetEncoding picks br, then gzip, then identity from Accept-Encoding,
// honouring q=0 (refused) and "*".
func widgetEncoding(header string, haveBr, haveGz bool) string {
	q := map[string]bool{} // coding -> acceptable
	star, starSeen := false, false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		ok := true
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && f > 0
			}
		}
		if name == "*" {
			star, starSeen = ok, true
			continue
		}
		q[name] = ok
	}
	accepts := func(coding string) bool {
		if ok, seen := q[coding]; seen {
			return ok
		}
		return starSeen && star
	}
	switch {
	case haveBr && accepts("br"):
		return "br"
	case haveGz && (accepts("gzip") || accepts("x-gzip")):
		return "gzip"
	}
	return ""
}

// named answers one fixed file of the widget.
func (wa *widgetAssets) named(name string) fiber.Handler {
	return func(c *fiber.Ctx) error { return wa.send(c, name) }
}

// byName answers GET /support/widget/:file.
func (wa *widgetAssets) byName(c *fiber.Ctx) error {
	return wa.send(c, strings.Clone(c.Params("file")))
}

func (wa *widgetAssets) send(c *fiber.Ctx, name string) error {
	a, ok := wa.files[name]
	if !ok || name == "manifest.json" {
		if name == "widget.js" {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
			return c.SendString(widgetNotBuilt)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return fiber.NewError(fiber.StatusNotFound, "no such widget file: "+name)
	}
	// Public files loaded by any site: any origin may read them, and pages
	// that isolate themselves (COEP) may embed them.
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	c.Set(fiber.HeaderCacheControl, a.cache)
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set(fiber.HeaderETag, a.etag)
	body := a.raw
	if a.br != nil || a.gz != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		switch widgetEncoding(c.Get(fiber.HeaderAcceptEncoding), a.br != nil, a.gz != nil) {
		case "br":
			c.Set(fiber.HeaderContentEncoding, "br")
			body = a.br
		case "gzip":
			c.Set(fiber.HeaderContentEncoding, "gzip")
			body = a.gz
		}
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && etagMatches(match, a.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(body)
}

// etagMatches reads If-None-Match (a list, possibly weak, or *).
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// widgetRoutes serves the widget: its loader (also under the Escalated
// names), its hashed files, the hosted no-JavaScript form and the demo page
// at /.
func widgetRoutes(app *fiber.App, o Options) {
	wa := loadWidgetAssets(o.WidgetAssets, o.Logger)
	loader := wa.named("widget.js")
	app.Get("/support/widget/widget.js", loader)
	app.Get("/support/widget/escalated-widget.js", loader)
	app.Get("/escalated-widget.js", loader)
	if f := o.WidgetForm; f != nil {
		app.Get("/support/widget/form", f.FormHeaders, f.Form)
		app.Post("/support/widget/form", f.FormHeaders, f.SubmitForm)
	}
	if w := o.Widget; w != nil {
		app.Get("/", w.DemoHeaders, w.Demo)
	}
	app.Get("/support/widget/:file", wa.byName)
}
