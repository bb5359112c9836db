package app_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/views"
)

// The portal page and the hosted form load the upload script by its hashed
// name under their CSP nonce, render its limits and texts, and keep a CSP
// without 'unsafe-inline' or 'unsafe-eval'; the script is served immutable,
// any other name is 404.
func TestUploadScript(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars, _ := uploadEnv(t, d)
		ma := startMailApp(t, d, vars, app.Deps{})
		if r := fileTicket(t, ma.App, ticketBody("ada@example.com")); r.Status != 201 {
			t.Fatalf("ticket: %d %s", r.Status, r.Body)
		}
		name, js := views.UploadScript()
		if !regexp.MustCompile(`^upload\.[0-9a-f]{12}\.js$`).MatchString(name) {
			t.Fatalf("script name %q has no content hash", name)
		}
		src := "/portal/assets/" + name
		for _, p := range []struct{ path, sending string }{
			{portalOf(t, ma, "ada@example.com"), "Sending your reply…"},
			{"/support/widget/form", "Sending your request…"},
		} {
			page := do(t, ma.App, req{method: "GET", path: p.path})
			csp := page.Header.Get("Content-Security-Policy")
			m := regexp.MustCompile(`(^|; )script-src 'nonce-([0-9a-f]{32})' https://challenges\.cloudflare\.com;`).FindStringSubmatch(csp)
			if page.Status != 200 || m == nil || strings.Contains(csp, "unsafe") ||
				!strings.Contains(csp, "default-src 'none';") || !strings.Contains(csp, "connect-src 'self' https://challenges.cloudflare.com;") {
				t.Fatalf("%s: %d, CSP %q", p.path, page.Status, csp)
			}
			body := string(page.Body)
			for _, want := range []string{
				`<script src="` + src + `" nonce="` + m[2] + `" defer></script>`,
				`data-sending="` + p.sending + `"`,
				`data-max-files="5" data-max-size="10485760" data-max-total="26214400"`,
				`data-too-large="“{file}” is larger than 10 MB. Please choose a smaller file."`,
				`data-too-many="You chose more than 5 files. Please choose fewer."`,
				`data-too-much="Your files are larger than 25 MB together. Please choose fewer or smaller files."`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %s", p.path, want)
				}
			}
		}

		r := do(t, ma.App, req{method: "GET", path: src})
		if r.Status != 200 || !bytes.Equal(r.Body, js) {
			t.Fatalf("%s: %d %.200s", src, r.Status, r.Body)
		}
		for k, want := range map[string]string{
			"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "text/javascript; charset=utf-8",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		for _, other := range []string{"upload.js", "upload.000000000000.js", strings.Replace(name, ".js", ".css", 1), "manifest.json"} {
			if r := do(t, ma.App, req{method: "GET", path: "/portal/assets/" + other}); r.Status != 404 || r.Header.Get("Cache-Control") == "public, max-age=31536000, immutable" {
				t.Errorf("%s: %d, Cache-Control %q", other, r.Status, r.Header.Get("Cache-Control"))
			}
		}
	})
}

// scriptsAllowed reports whether every <script> on a page loads a file
// (nothing inline) under the nonce of the page's CSP, and the CSP allows
// nothing unsafe: what the portal's pages may carry since the upload
// script (issue 17).
func scriptsAllowed(body, csp string) bool {
	m := regexp.MustCompile(`script-src 'nonce-([0-9a-f]{32})'`).FindStringSubmatch(csp)
	if m == nil || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "default-src 'none'") {
		return false
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="`) || !strings.Contains(tag, `nonce="`+m[1]+`"`) {
			return false
		}
	}
	return !strings.Contains(body, "<script>")
}
