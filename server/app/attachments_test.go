package app_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/store"
)

// Files a test uploads: their first bytes are what sniffing recognizes.
var (
	pngFile  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 2000)...)
	pdfFile  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	htmlFile = []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	svgFile  = []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
)

type upload struct {
	name string
	data []byte
	// contentType is what the sender claims (never believed).
	contentType string
}

// multipartBody is a multipart/form-data body of fields and files, as a
// browser sends it.
func multipartBody(t *testing.T, fields map[string]string, files ...upload) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		// As browsers quote it (mime.ParseMediaType unescapes \\ and \").
		h.Set("Content-Disposition", `form-data; name="files"; filename="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(f.name)+`"`)
		ct := f.contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

func ticketFields(email string) map[string]string {
	return map[string]string{"email": email, "name": "Ada", "subject": "Screenshot of the bug", "description": "See the attached files."}
}

// uploadEnv is env with the files on disk in a folder of the test's own,
// on both databases.
func uploadEnv(t *testing.T, d store.Dialect) (map[string]string, string) {
	t.Helper()
	vars := env(t, d)
	dir := t.TempDir()
	vars["PORTICO_ATTACHMENTS"] = "disk"
	vars["PORTICO_ATTACHMENTS_DIR"] = dir
	return vars, dir
}

// storedFiles counts the files kept under dir (staged uploads apart) and the
// staged ones.
func storedFiles(t *testing.T, dir string) (kept, staged int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(p)) == "tmp" {
			staged++
		} else {
			kept++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kept, staged
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// portalOf waits for the confirmation mail to email and returns its portal
// path.
func portalOf(t *testing.T, ma mailApp, email string) string {
	t.Helper()
	var path string
	githubtest.Wait(t, "the confirmation to "+email, 20*time.Second, func() bool {
		for _, m := range ma.mail.Received() {
			if len(m.To) == 1 && m.To[0] == email {
				path = portalPath(t, m.Envelope(t).Text)
				return true
			}
		}
		return false
	})
	return path
}

var attachmentLink = regexp.MustCompile(`href="(/portal/[0-9a-f]{64}/attachments/(\d+))"`)

// TestUploadFromWidget files a ticket with a PNG and a PDF through the
// widget API (multipart), follows it onto the portal and downloads both,
// on both databases, with the files on disk and in the database.
func TestUploadFromWidget(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		for _, mode := range []string{"disk", "database"} {
			t.Run(mode, func(t *testing.T) {
				vars, dir := uploadEnv(t, d)
				vars["PORTICO_ATTACHMENTS"] = mode
				ma := startMailApp(t, d, vars, app.Deps{})
				ct, body := multipartBody(t, ticketFields("ada@example.com"),
					upload{name: "screen.png", data: pngFile, contentType: "text/html"},
					upload{name: `C:\Users\ada\..\../etc/"report"` + "\u202e\u200f" + `.pdf`, data: pdfFile})
				r := send(t, ma.App, "POST", "/support/widget/tickets", ct, body, nil)
				if r.Status != 201 {
					t.Fatalf("upload: %d %s", r.Status, r.Body)
				}
				ref := r.json(t)["reference"].(string)
				files := ma.ticket(t, ref)["attachments"].([]any)
				if len(files) != 2 {
					t.Fatalf("attachments = %v", files)
				}
				png, pdf := files[0].(map[string]any), files[1].(map[string]any)
				if png["filename"] != "screen.png" || png["content_type"] != "image/png" || png["size"] != float64(len(pngFile)) {
					t.Errorf("png = %v (the type is the sniffed one, not the claimed text/html)", png)
				}
				if pdf["filename"] != `"report".pdf` || pdf["content_type"] != "application/pdf" {
					t.Errorf("pdf = %v (the name keeps no path, no control or direction character)", pdf)
				}
				kept, staged := storedFiles(t, dir)
				if want := map[string]int{"disk": 2, "database": 0}[mode]; kept != want || staged != 0 {
					t.Errorf("files on disk: %d kept, %d staged; want %d, 0", kept, staged, want)
				}

				path := portalOf(t, ma.mailApp(), "ada@example.com")
				page := do(t, ma.App, req{method: "GET", path: path})
				links := attachmentLink.FindAllStringSubmatch(string(page.Body), -1)
				if page.Status != 200 || len(links) < 2 {
					t.Fatalf("portal: %d, links %v\n%s", page.Status, links, page.Body)
				}
				pngURL := path + "/attachments/" + fmt.Sprint(png["id"])
				pdfURL := path + "/attachments/" + fmt.Sprint(pdf["id"])
				if !strings.Contains(string(page.Body), `<img src="`+pngURL+`/image" alt=""`) {
					t.Errorf("no thumbnail of the PNG on the portal:\n%s", page.Body)
				}
				if strings.Contains(string(page.Body), pdfURL+"/image") {
					t.Error("the PDF is shown as an image")
				}
				if !strings.Contains(string(page.Body), `enctype="multipart/form-data"`) || !strings.Contains(string(page.Body), `type="file"`) {
					t.Error("the reply form takes no files")
				}

				for _, c := range []struct {
					url, typ, disposition string
					data                  []byte
				}{
					{pngURL, "image/png", `attachment; filename*=UTF-8''screen.png`, pngFile},
					{pdfURL, "application/pdf", `attachment; filename*=UTF-8''%22report%22.pdf`, pdfFile},
					{pngURL + "/image", "image/png", `inline; filename*=UTF-8''screen.png`, pngFile},
				} {
					r := do(t, ma.App, req{method: "GET", path: c.url})
					if r.Status != 200 || !bytes.Equal(r.Body, c.data) {
						t.Errorf("GET %s: %d, %d bytes", c.url, r.Status, len(r.Body))
						continue
					}
					for k, want := range map[string]string{
						"Content-Type": c.typ, "Content-Disposition": c.disposition, "X-Content-Type-Options": "nosniff",
						"Content-Security-Policy": "sandbox; default-src 'none'", "Referrer-Policy": "no-referrer",
					} {
						if got := r.Header.Get(k); got != want {
							t.Errorf("GET %s: %s = %q, want %q", c.url, k, got, want)
						}
					}
				}
				if r := do(t, ma.App, req{method: "GET", path: pdfURL + "/image"}); r.Status != 404 {
					t.Errorf("a PDF through the image route: %d", r.Status)
				}
				// Another ticket's portal link sees none of these files.
				if r := fileTicket(t, ma.App, ticketBody("bob@example.com")); r.Status != 201 {
					t.Fatalf("second ticket: %d", r.Status)
				}
				other := portalOf(t, ma.mailApp(), "bob@example.com")
				for _, u := range []string{pngURL, pngURL + "/image", pdfURL} {
					if r := do(t, ma.App, req{method: "GET", path: strings.Replace(u, path, other, 1)}); r.Status != 404 {
						t.Errorf("%s with another ticket's link: %d", u, r.Status)
					}
				}
				// The admin downloads them too.
				if r := do(t, ma.App, req{method: "GET", path: "/support/admin/attachments/" + fmt.Sprint(pdf["id"]), header: bearer()}); r.Status != 200 || !bytes.Equal(r.Body, pdfFile) {
					t.Errorf("admin download: %d", r.Status)
				}
			})
		}
	})
}

// mailApp returns the mail side of a mailApp (so ghApp and mailApp share
// portalOf).
func (m mailApp) mailApp() mailApp { return m }

// ticket is the admin's view of a ticket.
func (m mailApp) ticket(t *testing.T, ref string) map[string]any {
	t.Helper()
	r := do(t, m.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()})
	if r.Status != 200 {
		t.Fatalf("ticket %s: %d %s", ref, r.Status, r.Body)
	}
	return r.json(t)
}

// TestUploadRefused: a file whose bytes are HTML (whatever its name), too
// many files, a file too large, too much together: each is refused with a
// clear message, and nothing is stored (no ticket, no row, no file).
func TestUploadRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars, dir := uploadEnv(t, d)
		a := newApp(t, vars, app.Deps{})
		db := openDB(t, d, vars, true)
		defer db.Close()
		big := func(n int) []byte { return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), n-9)...) }
		six := make([]upload, 6)
		for i := range six {
			six[i] = upload{name: fmt.Sprintf("p%d.pdf", i), data: pdfFile}
		}
		for _, c := range []struct {
			name   string
			files  []upload
			status int
			want   string
		}{
			{"HTML named x.png", []upload{{name: "x.png", data: htmlFile, contentType: "image/png"}}, 422, "text/html"},
			{"HTML after a good file", []upload{{name: "ok.png", data: pngFile}, {name: "x.png", data: htmlFile}}, 422, `x.png`},
			{"SVG named x.svg, refused when text is not allowed", nil, 0, ""},
			{"six files", six, 422, "at most 5 files"},
			{"11 MB file", []upload{{name: "big.pdf", data: big(11 << 20)}}, 413, "larger than 10 MB"},
			{"25.5 MB in three files", []upload{{name: "a.pdf", data: big(9 << 20)}, {name: "b.pdf", data: big(9 << 20)}, {name: "c.pdf", data: big(15 << 19)}}, 413, "more than 25 MB"},
			{"26 MB in three files", []upload{{name: "a.pdf", data: big(9 << 20)}, {name: "b.pdf", data: big(9 << 20)}, {name: "c.pdf", data: big(8 << 20)}}, 413, "larger than 26 MB"},
		} {
			if c.files == nil {
				continue
			}
			ct, body := multipartBody(t, ticketFields("eve@example.com"), c.files...)
			r := send(t, a, "POST", "/support/widget/tickets", ct, body, nil)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%s: %d %.300s, want %d naming %q", c.name, r.Status, r.Body, c.status, c.want)
			}
			if c.status == 422 && !strings.Contains(string(r.Body), `"files"`) {
				t.Errorf("%s: the 422 does not name the files field: %s", c.name, r.Body)
			}
			if n := countRows(t, db, "tickets"); n != 0 {
				t.Errorf("%s: %d tickets stored", c.name, n)
			}
			for _, table := range []string{"attachments", "attachment_chunks"} {
				if n := countRows(t, db, table); n != 0 {
					t.Errorf("%s: %d rows in %s", c.name, n, table)
				}
			}
			if kept, staged := storedFiles(t, dir); kept+staged != 0 {
				t.Errorf("%s: %d files kept, %d staged", c.name, kept, staged)
			}
		}

		// An SVG sniffs as text: served as text/plain, never as an image;
		// with text off the allow-list it is refused like any other type.
		ct, body := multipartBody(t, ticketFields("eve@example.com"), upload{name: "x.svg", data: svgFile, contentType: "image/svg+xml"})
		r := send(t, a, "POST", "/support/widget/tickets", ct, body, nil)
		if r.Status != 201 {
			t.Fatalf("svg: %d %s", r.Status, r.Body)
		}
		f := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + r.json(t)["reference"].(string), header: bearer()}).json(t)["attachments"].([]any)[0].(map[string]any)
		dl := do(t, a, req{method: "GET", path: "/support/admin/attachments/" + fmt.Sprint(f["id"]), header: bearer()})
		if got := dl.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") || dl.Header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" ||
			!strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("svg served as %q, %v", got, dl.Header)
		}
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/attachments", body: `{"allowed_types":["image/png","application/pdf"]}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		ct, body = multipartBody(t, ticketFields("eve@example.com"), upload{name: "x.svg", data: svgFile})
		if r := send(t, a, "POST", "/support/widget/tickets", ct, body, nil); r.Status != 422 || !strings.Contains(string(r.Body), "text/plain") {
			t.Errorf("svg with text off: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{`{"allowed_types":["image/svg+xml"]}`, `{"allowed_types":["text/html"]}`, `{"allowed_types":["image/png","image/png"]}`} {
			if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/attachments", body: bad, header: bearer()}); r.Status != 422 {
				t.Errorf("settings %s: %d %s", bad, r.Status, r.Body)
			}
		}
		// Uploads off: the config says so and a file is refused.
		if r := do(t, a, req{method: "PUT", path: "/support/admin/settings/attachments", body: `{"allowed_types":[]}`, header: bearer()}); r.Status != 200 {
			t.Fatalf("settings off: %d %s", r.Status, r.Body)
		}
		if cfg := do(t, a, req{method: "GET", path: "/support/widget/config"}).json(t); cfg["attachments"] != nil {
			t.Errorf("config with uploads off: %v", cfg["attachments"])
		}
		ct, body = multipartBody(t, ticketFields("eve@example.com"), upload{name: "a.png", data: pngFile})
		if r := send(t, a, "POST", "/support/widget/tickets", ct, body, nil); r.Status != 422 || !strings.Contains(string(r.Body), "switched off") {
			t.Errorf("upload with uploads off: %d %s", r.Status, r.Body)
		}
		if n := countRows(t, db, "attachments"); n != 1 {
			t.Errorf("%d attachments stored, want the SVG's only", n)
		}
	})
}

// TestUploadPortalReplyAndHostedForm: a portal reply and the no-JS hosted
// form each take a file.
func TestUploadPortalReplyAndHostedForm(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		vars, _ := uploadEnv(t, d)
		ma := startMailApp(t, d, vars, app.Deps{})
		ct, body := multipartBody(t, ticketFields("ada@example.com"))
		r := send(t, ma.App, "POST", "/support/widget/form", ct, body, nil)
		if r.Status != 201 {
			t.Fatalf("hosted form without a file: %d %s", r.Status, r.Body)
		}
		ct, body = multipartBody(t, ticketFields("ada@example.com"), upload{name: "form.pdf", data: pdfFile})
		r = send(t, ma.App, "POST", "/support/widget/form", ct, body, nil)
		ref := regexp.MustCompile(`TK-\d+`).FindString(string(r.Body))
		if r.Status != 201 || ref == "" {
			t.Fatalf("hosted form with a file: %d %s", r.Status, r.Body)
		}
		if files := ma.ticket(t, ref)["attachments"].([]any); len(files) != 1 || files[0].(map[string]any)["filename"] != "form.pdf" {
			t.Errorf("hosted form's attachments = %v", files)
		}
		form := do(t, ma.App, req{method: "GET", path: "/support/widget/form"})
		if !strings.Contains(string(form.Body), `enctype="multipart/form-data"`) || !strings.Contains(string(form.Body), `name="files"`) {
			t.Errorf("the hosted form takes no files:\n%s", form.Body)
		}
		// HTML in the hosted form: the form again, the text kept.
		ct, body = multipartBody(t, ticketFields("ada@example.com"), upload{name: "x.png", data: htmlFile})
		r = send(t, ma.App, "POST", "/support/widget/form", ct, body, nil)
		if r.Status != 422 || !strings.Contains(string(r.Body), "text/html") || !strings.Contains(string(r.Body), "See the attached files.") {
			t.Errorf("hosted form with HTML: %d %s", r.Status, r.Body)
		}

		path := portalOf(t, ma, "ada@example.com")
		ct, body = multipartBody(t, map[string]string{"body": "Here is the log."}, upload{name: "log.txt", data: []byte("line one\nline two\n")})
		r = send(t, ma.App, "POST", path+"/replies", ct, body, nil)
		if r.Status != 303 {
			t.Fatalf("portal reply with a file: %d %s", r.Status, r.Body)
		}
		page := string(do(t, ma.App, req{method: "GET", path: path}).Body)
		if !strings.Contains(page, "Here is the log.") || !strings.Contains(page, ">log.txt</a>") {
			t.Errorf("the reply's file is not on the portal:\n%s", page)
		}
		// Refusals on the portal: the page again, nothing stored.
		before := len(timeline(t, ma.App, portalRef(t, ma, path)))
		for _, c := range []struct {
			files  []upload
			status int
			want   string
		}{
			{[]upload{{name: "x.png", data: htmlFile}}, 422, "text/html"},
			{[]upload{{name: "big.pdf", data: append([]byte("%PDF-"), make([]byte, 11<<20)...)}}, 413, "too large"},
		} {
			ct, body = multipartBody(t, map[string]string{"body": "Again."}, c.files...)
			r = send(t, ma.App, "POST", path+"/replies", ct, body, nil)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("portal reply: %d, want %d naming %q\n%.2000s", r.Status, c.status, c.want, r.Body)
			}
		}
		if after := len(timeline(t, ma.App, portalRef(t, ma, path))); after != before {
			t.Errorf("refused replies stored: %d messages, then %d", before, after)
		}
	})
}

// portalRef reads the ticket reference off a portal page.
func portalRef(t *testing.T, ma mailApp, path string) string {
	t.Helper()
	return regexp.MustCompile(`TK-\d+`).FindString(string(do(t, ma.App, req{method: "GET", path: path}).Body))
}

// TestUploadGitHubLinks: the issue lists the widget ticket's file as a
// signed link that downloads; a tampered link is 403, an expired one 410.
func TestUploadGitHubLinks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		var skew atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		fake := githubtest.Start(t, "acme/support")
		vars := env(t, d)
		vars["PORTICO_GITHUB_REPOSITORY"] = fake.Repository()
		vars["PORTICO_GITHUB_TOKEN"] = fake.Token
		vars["PORTICO_GITHUB_API_URL"] = fake.URL()
		vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
		g := ghApp{mailApp: startMailApp(t, d, vars, app.Deps{Now: clock}), gh: fake, d: d}
		// Where the widget was opened travels in the multipart form too.
		fields := ticketFields("ada@example.com")
		fields["page_url"], fields["page_title"], fields["locale"] = "https://shop.example/cart#x", "Cart", "de-CH"
		ct, body := multipartBody(t, fields, upload{name: "screen [1](x).png", data: pngFile})
		r := send(t, g.App, "POST", "/support/widget/tickets", ct, body, nil)
		if r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		issue := g.issueFor(t, r.json(t)["reference"].(string))
		if want := "**Filed from:** [Cart](<https://shop.example/cart>) · language de-CH"; !strings.Contains(issue.Body, want) {
			t.Errorf("issue body lacks\n%s\nin\n%s", want, issue.Body)
		}
		m := regexp.MustCompile(`\]\((` + regexp.QuoteMeta(testOrigin) + `/support/attachments/(\d+)\?exp=(\d+)&sig=([0-9a-f]{64}))\)`).FindStringSubmatch(issue.Body)
		if m == nil {
			t.Fatalf("no signed link in the issue body:\n%s", issue.Body)
		}
		if !strings.Contains(issue.Body, `- [screen \[1\]\(x\)\.png](`) { // every ASCII punctuation escaped (escapeMarkdown)
			t.Errorf("the file name is not escaped:\n%s", issue.Body)
		}
		u, _ := url.Parse(m[1])
		link := u.RequestURI()
		dl := do(t, g.App, req{method: "GET", path: link})
		if dl.Status != 200 || !bytes.Equal(dl.Body, pngFile) || dl.Header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" ||
			dl.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("signed link: %d %v", dl.Status, dl.Header)
		}
		flip := func(s string) string {
			if s[0] == '0' {
				return "1" + s[1:]
			}
			return "0" + s[1:]
		}
		for name, p := range map[string]string{
			"tampered signature": strings.Replace(link, "sig="+m[4], "sig="+flip(m[4]), 1),
			"later expiry":       strings.Replace(link, "exp="+m[3], "exp="+m[3]+"0", 1),
			"another id":         strings.Replace(link, "/attachments/"+m[2]+"?", "/attachments/"+m[2]+"1?", 1),
			"no signature":       "/support/attachments/" + m[2],
		} {
			if r := do(t, g.App, req{method: "GET", path: p}); r.Status != 403 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		// A portal reply's file: the mirrored comment links it too.
		path := portalOf(t, g.mailApp, "ada@example.com")
		ct, body = multipartBody(t, map[string]string{"body": "And the log."}, upload{name: "log.txt", data: []byte("boom\n")})
		if r := send(t, g.App, "POST", path+"/replies", ct, body, nil); r.Status != 303 {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		comment := g.ownComments(t, issue.Number, 1)[0]
		cm := regexp.MustCompile(`\[log\\\.txt\]\(` + regexp.QuoteMeta(testOrigin) + `(/support/attachments/\d+\?exp=\d+&sig=[0-9a-f]{64})\)`).FindStringSubmatch(comment.Body)
		if cm == nil {
			t.Fatalf("no signed link in the comment:\n%s", comment.Body)
		}
		if r := do(t, g.App, req{method: "GET", path: cm[1]}); r.Status != 200 || string(r.Body) != "boom\n" {
			t.Errorf("the comment's link: %d %q", r.Status, r.Body)
		}

		skew.Store(int64(31 * 24 * time.Hour))
		if r := do(t, g.App, req{method: "GET", path: link}); r.Status != 410 {
			t.Errorf("expired link: %d %s", r.Status, r.Body)
		}
	})
}

// TestUploadErasure: erasing the contact removes the rows and, through the
// sweep job, the files on disk.
func TestUploadErasure(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		for _, mode := range []string{"disk", "database"} {
			t.Run(mode, func(t *testing.T) {
				vars, dir := uploadEnv(t, d)
				vars["PORTICO_ATTACHMENTS"] = mode
				ma := startMailApp(t, d, vars, app.Deps{})
				db := openDB(t, d, vars, true)
				defer db.Close()
				ct, body := multipartBody(t, ticketFields("ada@example.com"), upload{name: "a.png", data: pngFile}, upload{name: "b.pdf", data: pdfFile})
				r := send(t, ma.App, "POST", "/support/widget/tickets", ct, body, nil)
				if r.Status != 201 {
					t.Fatalf("upload: %d %s", r.Status, r.Body)
				}
				// Bob's ticket keeps its file whatever happens to Ada's.
				ct, body = multipartBody(t, ticketFields("bob@example.com"), upload{name: "a.png", data: pngFile})
				if r := send(t, ma.App, "POST", "/support/widget/tickets", ct, body, nil); r.Status != 201 {
					t.Fatalf("bob's upload: %d", r.Status)
				}
				ref := r.json(t)["reference"].(string)
				contact := ma.ticket(t, ref)["contact"].(map[string]any)["id"]
				if e := do(t, ma.App, req{method: "POST", path: fmt.Sprintf("/support/admin/contacts/%v/erase", contact), header: bearer()}); e.Status != 200 || e.json(t)["attachments_deleted"] != float64(2) {
					t.Fatalf("erase: %d %s", e.Status, e.Body)
				}
				if n := countRows(t, db, "attachments"); n != 1 {
					t.Errorf("%d attachment rows left, want bob's", n)
				}
				if mode == "database" {
					if n := countRows(t, db, "attachment_chunks"); n != 1 {
						t.Errorf("%d chunks left, want bob's", n)
					}
					return
				}
				waitFor(t, "the erased files removed from disk", 20*time.Second, func() bool {
					kept, _ := storedFiles(t, dir)
					return kept == 1 && countRows(t, db, "attachment_removals") == 0
				})
			})
		}
	})
}

// TestUploadTwoInstances: on PostgreSQL, a file uploaded through one
// instance downloads through another (files in the database, the default
// there; and on a folder both share).
func TestUploadTwoInstances(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"database", "disk"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			vars := env(t, store.Postgres)
			if mode == "disk" {
				vars["PORTICO_ATTACHMENTS"] = "disk"
				vars["PORTICO_ATTACHMENTS_DIR"] = t.TempDir()
			}
			one, two := newApp(t, vars, app.Deps{}), newApp(t, vars, app.Deps{})
			ct, body := multipartBody(t, ticketFields("ada@example.com"), upload{name: "a.pdf", data: bytes.Repeat(pdfFile, 40000)})
			r := send(t, one, "POST", "/support/widget/tickets", ct, body, nil)
			if r.Status != 201 {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			f := do(t, two, req{method: "GET", path: "/support/admin/tickets/" + r.json(t)["reference"].(string), header: bearer()}).json(t)["attachments"].([]any)[0].(map[string]any)
			dl := do(t, two, req{method: "GET", path: "/support/admin/attachments/" + fmt.Sprint(f["id"]), header: bearer()})
			if dl.Status != 200 || !bytes.Equal(dl.Body, bytes.Repeat(pdfFile, 40000)) {
				t.Errorf("download from the other instance: %d, %d bytes", dl.Status, len(dl.Body))
			}
		})
	}
}
