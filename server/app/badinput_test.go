package app_test

// The bad input catalogue (issue 9): what a bot probing every route sends,
// as table tests over HTTP. Each case checks the status, that the answer
// says what is wrong (JSON {"error"} / {"errors"}, or an HTML page with a
// heading or a notice), and that nothing was stored.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
)

// send is do with the body as bytes and the Content-Type as given ("" sends none).
func send(t *testing.T, a *app.App, method, path, contentType string, body []byte, header map[string]string) response {
	t.Helper()
	hr := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := a.HTTP().Test(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// inventory is what the admin API shows: tickets, and messages on them.
func inventory(t *testing.T, a *app.App) (tickets, messages int) {
	t.Helper()
	for page := 1; ; page++ {
		r := do(t, a, req{method: "GET", path: fmt.Sprintf("/support/admin/tickets?page=%d", page), header: bearer()})
		if r.Status != 200 {
			t.Fatalf("list tickets: %d %s", r.Status, r.Body)
		}
		list := r.json(t)
		rows := list["tickets"].([]any)
		for _, row := range rows {
			ref := row.(map[string]any)["reference"].(string)
			messages += len(timeline(t, a, ref))
		}
		tickets += len(rows)
		if len(rows) == 0 || tickets >= int(list["total"].(float64)) {
			return tickets, messages
		}
	}
}

// explains checks that a refusal says what is wrong: a JSON error naming
// want, or an HTML page containing want.
func explains(t *testing.T, name string, r response, want string) {
	t.Helper()
	body := string(r.Body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Errorf("%s: JSON error body does not parse: %q", name, body)
			return
		}
		msg, _ := m["error"].(string)
		if errs, ok := m["errors"].(map[string]any); ok {
			b, _ := json.Marshal(errs)
			msg = string(b)
		}
		if msg == "" || !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
			t.Errorf("%s: error %q does not mention %q", name, body, want)
		}
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: answer is %q, neither JSON nor HTML: %q", name, r.Header.Get("Content-Type"), body)
		return
	}
	if !strings.Contains(body, want) {
		t.Errorf("%s: page does not say %q:\n%s", name, want, body)
	}
}

const ctJSON = "application/json"

// TestBadInputWidgetAPI throws malformed, oversized and hostile bodies at
// POST /support/widget/tickets on both databases.
func TestBadInputWidgetAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		valid := func(edit func(m map[string]any)) string {
			m := map[string]any{"email": "bad@example.com", "name": "Ada", "subject": "s", "description": "d"}
			edit(m)
			b, _ := json.Marshal(m)
			return string(b)
		}
		var multi bytes.Buffer
		mw := multipart.NewWriter(&multi)
		_ = mw.WriteField("email", "bad@example.com")
		_ = mw.WriteField("subject", "s")
		_ = mw.WriteField("description", "d")
		// Multipart is how files come (issue 17): one whose bytes are HTML
		// is refused.
		fw, _ := mw.CreateFormFile("files", "x.png")
		_, _ = fw.Write([]byte("<html><script>alert(1)</script></html>"))
		mw.Close()
		deep := `{"email":"bad@example.com","name":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`
		cases := []struct {
			name, ctype, body string
			status            int
			says              string
		}{
			{"malformed JSON", ctJSON, `{"email":`, 400, "not valid JSON"},
			{"empty body", ctJSON, ``, 400, "not valid JSON"},
			{"trailing garbage", ctJSON, valid(func(map[string]any) {}) + `{}`, 400, "not valid JSON"},
			{"array", ctJSON, `[{"email":"bad@example.com"}]`, 400, "JSON"},
			{"string", ctJSON, `"bad@example.com"`, 400, "JSON"},
			{"null", ctJSON, `null`, 400, "email is required"},
			{"nested 10001 deep", ctJSON, deep, 400, "depth"},
			{"field of the wrong type", ctJSON, valid(func(m map[string]any) { m["description"] = []int{1} }), 400, "description"},
			{"huge number as requester", ctJSON, `{"requester_id":1e400,"requester_signature":"00","subject":"s","description":"d"}`, 422, "requester_id"},
			{"form-encoded", "application/x-www-form-urlencoded", "email=bad%40example.com&subject=s&description=d", 415, "application/json"},
			{"multipart with an HTML file", mw.FormDataContentType(), multi.String(), 422, "files"},
			{"text/plain", "text/plain", valid(func(map[string]any) {}), 415, "application/json"},
			{"XML", "application/xml", `<ticket><email>bad@example.com</email></ticket>`, 415, "application/json"},
			{"10 MB", ctJSON, valid(func(m map[string]any) { m["description"] = strings.Repeat("x", 10<<20) }), 413, "too large"},
			{"100k-character description", ctJSON, valid(func(m map[string]any) { m["description"] = strings.Repeat("ü", 100000) }), 413, "too large"},
			{"100k-character name", ctJSON, valid(func(m map[string]any) { m["name"] = strings.Repeat("n", 100000) }), 413, "too large"},
			{"invalid UTF-8 in subject", ctJSON, `{"email":"bad@example.com","subject":"caf` + "\xe9" + `","description":"d"}`, 400, "UTF-8"},
			{"invalid UTF-8 in email", ctJSON, `{"email":"` + "\xff\xfe" + `@example.com","subject":"s","description":"d"}`, 400, "UTF-8"},
			{"overlong UTF-8 slash", ctJSON, `{"email":"bad@example.com","subject":"` + "\xc0\xaf" + `","description":"d"}`, 400, "UTF-8"},
			{"raw NUL byte", ctJSON, "{\"email\":\"bad@example.com\",\"subject\":\"a\x00b\",\"description\":\"d\"}", 400, "not valid JSON"},
			{"escaped NUL in description", ctJSON, valid(func(m map[string]any) { m["description"] = "before\x00after" }), 422, "description"},
			{"escaped NUL in name", ctJSON, valid(func(m map[string]any) { m["name"] = "A\x00da" }), 422, "name"},
			{"escaped NUL in email", ctJSON, valid(func(m map[string]any) { m["email"] = "bad\x00@example.com" }), 422, "email"},
			{"CRLF in name", ctJSON, valid(func(m map[string]any) { m["name"] = "Eve\r\nBcc: victim@evil.example" }), 422, "name"},
			{"LF in subject", ctJSON, valid(func(m map[string]any) { m["subject"] = "Hi\nBcc: victim@evil.example" }), 422, "subject"},
			{"NEL in name", ctJSON, valid(func(m map[string]any) { m["name"] = "Eve\u0085Bcc: x" }), 422, "name"},
			{"CRLF in email", ctJSON, valid(func(m map[string]any) { m["email"] = "bad@example.com\r\nBcc: victim@evil.example" }), 422, "email"},
			{"two addresses", ctJSON, valid(func(m map[string]any) { m["email"] = "bad@example.com, victim@evil.example" }), 422, "email"},
			{"display name in email", ctJSON, valid(func(m map[string]any) { m["email"] = "Eve <bad@example.com>" }), 422, "email"},
		}
		for _, c := range cases {
			r := send(t, a, "POST", "/support/widget/tickets", c.ctype, []byte(c.body), nil)
			if r.Status != c.status {
				t.Errorf("%s: %d %.200s, want %d", c.name, r.Status, r.Body, c.status)
				continue
			}
			explains(t, c.name, r, c.says)
		}
		if n, m := inventory(t, a); n != 0 || m != 0 {
			t.Errorf("refused submissions stored %d tickets, %d messages", n, m)
		}
	})
}

// The hosted form (no JavaScript) answers the same inputs with the form
// again, the values kept and the reason shown.
func TestBadInputWidgetForm(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	ok := url.Values{"email": {"form@example.com"}, "name": {"Ada"}, "subject": {"s"}, "description": {"d"}}
	with := func(k, v string) string {
		vals := url.Values{}
		for key, vs := range ok {
			vals[key] = vs
		}
		vals.Set(k, v)
		return vals.Encode()
	}
	const form = "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, ctype, body string
		status            int
		says              string
	}{
		{"JSON instead of a form", ctJSON, `{"email":"form@example.com","subject":"s","description":"d"}`, 422, "is required"},
		{"10 MB", form, with("description", strings.Repeat("x", 10<<20)), 413, "larger than 64 KiB"},
		{"invalid UTF-8", form, "email=form%40example.com&subject=caf%E9&description=d", 422, "invalid characters"},
		{"NUL", form, with("description", "a\x00b"), 422, "control characters"},
		{"CRLF in name", form, with("name", "Eve\r\nBcc: victim@evil.example"), 422, "line breaks"},
		{"CRLF in subject", form, with("subject", "Hi\r\nBcc: victim@evil.example"), 422, "line breaks"},
	} {
		r := send(t, a, "POST", "/support/widget/form", c.ctype, []byte(c.body), nil)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d", c.name, r.Status, c.status)
			continue
		}
		explains(t, c.name, r, c.says)
	}
	if n, m := inventory(t, a); n != 0 || m != 0 {
		t.Errorf("refused forms stored %d tickets, %d messages", n, m)
	}
}

// Injection strings are data: stored byte for byte, found by search only
// as text, rendered inert on the portal and in the mail.
func TestBadInputInjectionIsInert(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		a := ma.App
		fields := map[string]string{
			"name":        `Robert'); DROP TABLE tickets;-- {{.Secret}}`,
			"subject":     `' OR '1'='1' -- ${7*7} {{7*7}} <% 7*7 %> #{7*7} @(7*7) {{template "x"}}`,
			"description": "1; DELETE FROM messages WHERE '1'='1\n\\x27 \\\" %_ \n<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n{{ .Ticket.ID | printf \"%d\" }} {% debug %} [[${7*7}]]\n</textarea><a href=\"javascript:alert(3)\">x</a>",
		}
		body, _ := json.Marshal(map[string]string{"email": "inj@example.com", "name": fields["name"], "subject": fields["subject"], "description": fields["description"]})
		r := fileTicket(t, a, string(body))
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		ref := r.json(t)["reference"].(string)
		if r := fileTicket(t, a, ticketBody("other@example.com")); r.Status != 201 {
			t.Fatalf("second ticket: %d", r.Status)
		}

		detail := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		msg := detail["messages"].([]any)[0].(map[string]any)
		if detail["subject"] != fields["subject"] || msg["body"] != fields["description"] || msg["author_name"] != fields["name"] {
			t.Errorf("not stored literally:\nsubject %q\nbody %q\nname %q", detail["subject"], msg["body"], msg["author_name"])
		}
		// Search treats quotes and LIKE wildcards as text.
		for q, want := range map[string]float64{`' OR '1'='1`: 1, `%%`: 0, `_`: 0, `') OR 1=1 --`: 0, `\`: 0, `<% 7*7 %>`: 1} {
			res := do(t, a, req{method: "GET", path: "/support/admin/tickets?q=" + url.QueryEscape(q), header: bearer()})
			if res.Status != 200 || res.json(t)["total"].(float64) != want {
				t.Errorf("search %q: %d %s, want %v hits", q, res.Status, res.Body, want)
			}
		}
		if n, _ := inventory(t, a); n != 2 {
			t.Errorf("%d tickets after the injection strings, want 2", n)
		}

		env := ma.mail.Wait(2, 20*time.Second)
		var text, html, subject string
		for _, m := range env {
			if m.To[0] == "inj@example.com" {
				e := m.Envelope(t)
				text, html, subject = e.Text, e.HTML, e.GetHeader("Subject")
			}
		}
		// The confirmation repeats none of it (issue 13): nothing to evaluate.
		if subject != "["+ref+"] We received your request" {
			t.Errorf("mail subject = %q", subject)
		}
		for _, lit := range []string{"{{ .Ticket.ID | printf \"%d\" }}", "{{.Secret}}", "${7*7}", "{{7*7}}", "[[${7*7}]]", "DROP TABLE tickets"} {
			if strings.Contains(text, lit) || strings.Contains(html, lit) {
				t.Errorf("the confirmation carries %q\n%s", lit, text)
			}
		}
		for _, live := range []string{"<script>", "<img src=x", `href="javascript:`, "</textarea><a"} {
			if strings.Contains(html, live) {
				t.Errorf("the HTML part carries %q live", live)
			}
		}
		page := do(t, a, req{method: "GET", path: portalPath(t, text)})
		if page.Status != 200 {
			t.Fatalf("portal: %d", page.Status)
		}
		pb := string(page.Body)
		for _, live := range []string{"<script>alert", "<img src=x", `href="javascript:`, "</textarea><a"} {
			if strings.Contains(pb, live) {
				t.Errorf("the portal page carries %q live", live)
			}
		}
		for _, lit := range []string{"${7*7}", "{{7*7}}", "[[${7*7}]]", "{% debug %}"} {
			if !strings.Contains(pb, lit) {
				t.Errorf("the portal page lacks %q: a template was evaluated?", lit)
			}
		}
	})
}

// No CR or LF from a name or subject ever reaches a mail header. The widget
// refuses them (above); mail arriving by webhook carries whatever the
// sender put there, so the mail that goes back out is checked here.
func TestBadInputHeaderInjectionByMail(t *testing.T) {
	t.Parallel()
	ma := startMailApp(t, store.SQLite, inboundEnv(t, store.SQLite), app.Deps{})
	names := []string{
		"Eve\r\nBcc: victim@evil.example",
		"Eve\nX-Injected: 1",
		"Eve\rBcc: victim@evil.example",
		"Eve\u2028Bcc: victim@evil.example",
		"Eve\x1b[31m\x07",
	}
	for i, name := range names {
		r := postmark(t, ma.App, pm{
			From: fmt.Sprintf("eve%d@example.com", i), FromName: name, To: "help@acme.test",
			Subject: "Help\r\nBcc: victim@evil.example\r\nX-Injected: 1\x1b", Text: "hello", MessageID: fmt.Sprintf("<hdr-%d@example.com>", i),
		})
		if o, _ := outcome(t, r); o != "created" {
			t.Fatalf("mail %d: %s", i, o)
		}
	}
	// Every confirmation goes out: a header value the mail package would
	// refuse must not make the mail fail for good.
	got := ma.mail.Wait(len(names), 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := len(ma.mail.Received()); n != len(names) {
		t.Errorf("%d mails delivered, want %d", n, len(names))
	}
	for _, m := range got {
		if len(m.To) != 1 || strings.Contains(m.To[0], "evil") {
			t.Errorf("RCPT TO %v", m.To)
		}
		head, _, _ := bytes.Cut(m.Raw, []byte("\r\n\r\n"))
		for _, line := range strings.Split(string(head), "\r\n") {
			lower := strings.ToLower(line)
			if strings.HasPrefix(lower, "bcc:") || strings.HasPrefix(lower, "x-injected:") || strings.ContainsAny(line, "\r\n\x1b\x07") {
				t.Errorf("injected header line %q in mail to %v", line, m.To)
			}
		}
		e := m.Envelope(t)
		// The confirmation's subject is fixed (it repeats nothing the sender chose).
		if subj := e.GetHeader("Subject"); strings.ContainsAny(subj, "\r\n") || strings.Contains(subj, "Help") || !strings.HasSuffix(subj, "] We received your request") {
			t.Errorf("Subject = %q", subj)
		}
	}
}

// TestBadInputStaticRoutes tries path traversal on every route that serves
// files. The files are served from maps filled at start-up, so there is no
// path to traverse; the test keeps it that way.
func TestBadInputStaticRoutes(t *testing.T) {
	t.Parallel()
	adminUI := fstest.MapFS{
		"index.html":         {Data: []byte(`<!doctype html><title>admin</title><div id="app">ADMIN-INDEX</div>`)},
		"assets/app-1a2b.js": {Data: []byte(`console.log("app")`)},
	}
	widgetFS := fstest.MapFS{
		"manifest.json":      {Data: []byte(`{"widget.js":"widget.js","widget.wasm":"widget.1a2b.wasm"}`)},
		"widget.js":          {Data: []byte(`/* loader */`)},
		"widget.1a2b.wasm":   {Data: []byte("\x00asm\x01\x00\x00\x00")},
		"not-in-manifest.js": {Data: []byte(`UNLISTED-FILE`)},
	}
	a := newApp(t, env(t, store.SQLite), app.Deps{AdminUI: adminUI, WidgetAssets: widgetFS})
	// Sanity: the files are there.
	if r := do(t, a, req{method: "GET", path: "/admin/assets/app-1a2b.js"}); r.Status != 200 {
		t.Fatalf("admin asset: %d", r.Status)
	}
	if r := do(t, a, req{method: "GET", path: "/support/widget/widget.1a2b.wasm"}); r.Status != 200 {
		t.Fatalf("widget wasm: %d", r.Status)
	}
	secrets := []string{"module github.com/portico/portico", "root:x:0:0", "UNLISTED-FILE", "-- +goose", "PRAGMA"}
	paths := []string{
		"/admin/..%2f..%2fgo.mod",
		"/admin/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
		"/admin/assets/..%2f..%2f..%2fgo.mod",
		"/admin/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/admin/..%5c..%5cgo.mod",
		"/admin/%252e%252e%252fgo.mod",
		"/admin/assets/..%00.js",
		"/admin/....//....//go.mod",
		"/admin/../../etc/passwd",
		"/support/widget/..%2f..%2fgo.mod",
		"/support/widget/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
		"/support/widget/%2e%2e%2f%2e%2e%2fmigrations%2fsqlite%2f00001_init.sql",
		"/support/widget/..%5c..%5cgo.mod",
		"/support/widget/manifest.json",
		"/support/widget/not-in-manifest.js",
		"/support/widget/..%2fnot-in-manifest.js",
		"/support/widget/widget.js%00.wasm",
		"/support/widget/%252e%252e%252fgo.mod",
		"/escalated-widget.js/..%2f..%2fgo.mod",
		"/portal/..%2f..%2fgo.mod",
		"/..%2f..%2fetc%2fpasswd",
		"/%2e%2e/%2e%2e/etc/passwd",
	}
	for _, p := range paths {
		hr := httptest.NewRequest("GET", p, nil) // the request line is sent exactly as written
		res, err := a.HTTP().Test(hr)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("GET %s leaks %q", p, s)
			}
		}
		spa := res.StatusCode == 200 && bytes.Contains(body, []byte("ADMIN-INDEX")) && strings.HasPrefix(p, "/admin/")
		switch {
		case spa: // the admin app's own router shows its not-found view
		case res.StatusCode == 404 || res.StatusCode == 400:
			if !json.Valid(body) && !bytes.Contains(body, []byte("<h1>")) {
				t.Errorf("GET %s: %d without a message: %q", p, res.StatusCode, body)
			}
		default:
			t.Errorf("GET %s: %d %q", p, res.StatusCode, body)
		}
	}
}

// TestBadInputPortalTokens: guessed links answer the same friendly 404 as
// unknown ones, and replies to them store nothing.
//
// There is no timing test on purpose: the server hashes the token
// (SHA-256) and looks the hash up by equality in a unique index, so how long
// a lookup takes depends on the hash, which says nothing about how many
// leading characters of a guess were right. A timing test would only
// measure noise and flake on a shared runner.
func TestBadInputPortalTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		if r := fileTicket(t, a, ticketBody("tok@example.com")); r.Status != 201 {
			t.Fatal(r.Status)
		}
		_, before := inventory(t, a)
		random := func() string {
			var b [32]byte
			_, _ = rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
		tokens := []string{random(), random(), strings.ToUpper(random()), random()[:63], random() + "0",
			strings.Repeat("f", 64), strings.Repeat("a", 3000), url.PathEscape("' OR 1=1 --"), "%00", "..%2f..%2fadmin"}
		for _, tok := range tokens {
			short := tok[:min(len(tok), 20)]
			if r := do(t, a, req{method: "GET", path: "/portal/" + tok}); r.Status != 404 || !strings.Contains(string(r.Body), "<h1>") {
				t.Errorf("GET /portal/%s…: %d", short, r.Status)
			}
			r := form(t, a, "/portal/"+tok+"/replies", url.Values{"body": {"let me in"}})
			if r.Status != 404 || !strings.Contains(string(r.Body), "<h1>") {
				t.Errorf("POST /portal/%s…/replies: %d", short, r.Status)
			}
			if r := do(t, a, req{method: "GET", path: "/portal/" + tok + "/attachments/1"}); r.Status != 404 {
				t.Errorf("GET /portal/%s…/attachments/1: %d", short, r.Status)
			}
		}
		if _, after := inventory(t, a); after != before {
			t.Errorf("messages %d → %d after replies to guessed links", before, after)
		}
	})
}

// TestBadInputForgedWebhooks: every provider refuses what it did not sign
// (401, JSON), and nothing is stored.
func TestBadInputForgedWebhooks(t *testing.T) {
	t.Parallel()
	vars := inboundEnv(t, store.SQLite)
	vars["PORTICO_SNS_TOPIC_ARNS"] = "arn:aws:sns:us-east-1:123456789012:inbound"
	vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	a := newApp(t, vars, app.Deps{})

	mail := pm{From: "forger@evil.example", To: "help@acme.test", Subject: "forged", Text: "forged", MessageID: "<forged@evil.example>"}.json()
	basic := func(userpass string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mg := func(edit func(v url.Values)) string {
		v := mailgunForm(ts, "tok-"+dbtest.Name(), map[string]string{
			"sender": "forger@evil.example", "from": "forger@evil.example", "recipient": "help@acme.test",
			"subject": "forged", "body-plain": "forged", "Message-Id": "<mg-forged@evil.example>",
		})
		edit(v)
		return v.Encode()
	}
	otherKey := hmac.New(sha256.New, []byte("not-the-key"))
	otherKey.Write([]byte(ts + "tok-x"))
	sns := func(edit func(m map[string]string)) string {
		m := map[string]string{
			"Type": "Notification", "MessageId": "sns-forged", "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
			"Subject": "Amazon SES Email Receipt Notification", "Message": `{"notificationType":"Received","content":"RnJvbTogZm9yZ2VyQGV2aWwuZXhhbXBsZQ0KDQpoaQ=="}`,
			"Timestamp": time.Now().UTC().Format(time.RFC3339), "SignatureVersion": "1",
			"Signature":      base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256)),
			"SigningCertURL": "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService.pem",
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	ghBody := `{"action":"created","issue":{"number":1},"comment":{"id":1,"body":"/send hi","user":{"login":"eve"}}}`
	ghSig := func(secret, body string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	gh := func(sig string) map[string]string {
		h := map[string]string{"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "forged-" + dbtest.Name()}
		if sig != "" {
			h["X-Hub-Signature-256"] = sig
		}
		return h
	}
	const formCT = "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, path, ctype, body string
		header                  map[string]string
	}{
		{"postmark: no credentials", "/support/inbound/postmark", ctJSON, mail, nil},
		{"postmark: wrong password", "/support/inbound/postmark", ctJSON, mail, basic("postmark:nope")},
		{"postmark: wrong user", "/support/inbound/postmark", ctJSON, mail, basic("admin:hook-pass")},
		{"postmark: password as prefix", "/support/inbound/postmark", ctJSON, mail, basic(postmarkAuth + "x")},
		{"postmark: not base64", "/support/inbound/postmark", ctJSON, mail, map[string]string{"Authorization": "Basic !!!"}},
		{"postmark: bearer", "/support/inbound/postmark", ctJSON, mail, map[string]string{"Authorization": "Bearer " + postmarkAuth}},
		{"shared secret: wrong", "/support/inbound/postmark", ctJSON, mail, map[string]string{"X-Portico-Inbound-Secret": inboundSecret + "x"}},
		{"shared secret: empty", "/support/inbound/postmark", ctJSON, mail, map[string]string{"X-Portico-Inbound-Secret": ""}},
		{"mailgun: zero signature", "/support/inbound/mailgun", formCT, mg(func(v url.Values) { v.Set("signature", strings.Repeat("0", 64)) }), nil},
		{"mailgun: signed with another key", "/support/inbound/mailgun", formCT, mg(func(v url.Values) {
			v.Set("token", "tok-x")
			v.Set("signature", hex.EncodeToString(otherKey.Sum(nil)))
		}), nil},
		{"mailgun: signature of another token", "/support/inbound/mailgun", formCT, mg(func(v url.Values) { v.Set("token", "tok-other") }), nil},
		{"mailgun: no signature", "/support/inbound/mailgun", formCT, mg(func(v url.Values) { v.Del("signature") }), nil},
		{"mailgun: timestamp from the future", "/support/inbound/mailgun", formCT, mailgunForm(strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "tok-future",
			map[string]string{"sender": "forger@evil.example", "recipient": "help@acme.test", "subject": "f", "body-plain": "f"}).Encode(), nil},
		{"ses: certificate on a look-alike host", "/support/inbound/ses", "text/plain; charset=UTF-8", sns(func(map[string]string) {}), nil},
		{"ses: certificate over http", "/support/inbound/ses", "text/plain; charset=UTF-8", sns(func(m map[string]string) {
			m["SigningCertURL"] = "http://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem"
		}), nil},
		{"ses: topic not listed", "/support/inbound/ses", "text/plain; charset=UTF-8", sns(func(m map[string]string) {
			m["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:evil"
		}), nil},
		{"ses: unknown signature version", "/support/inbound/ses", "text/plain; charset=UTF-8", sns(func(m map[string]string) { m["SignatureVersion"] = "0" }), nil},
		{"ses: no signature", "/support/inbound/ses", "text/plain; charset=UTF-8", sns(func(m map[string]string) { m["Signature"] = "" }), nil},
		{"github: no signature", "/github/webhook", ctJSON, ghBody, gh("")},
		{"github: wrong secret", "/github/webhook", ctJSON, ghBody, gh(ghSig("not-the-secret", ghBody))},
		{"github: signature of another body", "/github/webhook", ctJSON, ghBody, gh(ghSig(ghSecret, ghBody+" "))},
		{"github: sha1 header only", "/github/webhook", ctJSON, ghBody, map[string]string{"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "d1", "X-Hub-Signature": "sha1=" + strings.Repeat("0", 40)}},
		{"github: truncated signature", "/github/webhook", ctJSON, ghBody, gh(ghSig(ghSecret, ghBody)[:40])},
		{"github: not hex", "/github/webhook", ctJSON, ghBody, gh("sha256=" + strings.Repeat("z", 64))},
		{"github: uppercase prefix", "/github/webhook", ctJSON, ghBody, gh("SHA256=" + strings.TrimPrefix(ghSig("not-the-secret", ghBody), "sha256="))},
	} {
		r := send(t, a, "POST", c.path, c.ctype, []byte(c.body), c.header)
		if r.Status != 401 {
			t.Errorf("%s: %d %s, want 401", c.name, r.Status, r.Body)
			continue
		}
		explains(t, c.name, r, "")
	}
	if n, m := inventory(t, a); n != 0 || m != 0 {
		t.Errorf("forged webhooks stored %d tickets, %d messages", n, m)
	}
	// The genuine article still gets in, so the 401s above are about the signatures.
	if r := send(t, a, "POST", "/github/webhook", ctJSON, []byte(`{"zen":"x"}`), map[string]string{
		"X-GitHub-Event": "ping", "X-GitHub-Delivery": "ping-1", "X-Hub-Signature-256": ghSig(ghSecret, `{"zen":"x"}`)}); r.Status != 200 {
		t.Errorf("signed ping: %d %s", r.Status, r.Body)
	}
	if r := postmark(t, a, pm{From: "real@example.com", To: "help@acme.test", Subject: "real", Text: "real", MessageID: "<real@example.com>"}); r.Status != 200 {
		t.Errorf("authenticated postmark: %d %s", r.Status, r.Body)
	}
}

// TestBadInputPortalReply: the reply form on a real link refuses what it
// cannot store, keeps the text where it can, and stores nothing.
func TestBadInputPortalReply(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, nil, app.Deps{})
		fileTicket(t, ma.App, ticketBody("reply@example.com"))
		path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text) + "/replies"
		_, before := inventory(t, ma.App)
		const formCT = "application/x-www-form-urlencoded"
		for _, c := range []struct {
			name, ctype, body string
			status            int
			says              string
			keeps             string
		}{
			{"invalid UTF-8", formCT, "body=caf%E9+au+lait", 422, "invalid characters", "au lait"},
			{"overlong UTF-8", formCT, "body=a%C0%AFb", 422, "invalid characters", ""},
			{"NUL", formCT, "body=before%00after", 422, "control characters", "after"},
			{"escape and bell", formCT, "body=ring%07%1B%5B31m", 422, "control characters", "ring"},
			{"100k characters", formCT, url.Values{"body": {strings.Repeat("ü", 100000)}}.Encode(), 413, "far longer than 10,000 characters", ""},
			{"10 MB", formCT, url.Values{"body": {strings.Repeat("x", 10<<20)}}.Encode(), 413, "far longer than 10,000 characters", ""},
			{"10,001 characters", formCT, url.Values{"body": {strings.Repeat("y", 10001)}}.Encode(), 422, "at most 10,000 characters (it has 10,001)", strings.Repeat("y", 10001)},
			{"JSON instead of a form", ctJSON, `{"body":"hello"}`, 422, "is required", ""},
			{"only markup", formCT, url.Values{"body": {"<script>alert(1)</script><style>x</style>"}}.Encode(), 422, "is required", ""},
		} {
			r := send(t, ma.App, "POST", path, c.ctype, []byte(c.body), nil)
			if r.Status != c.status {
				t.Errorf("%s: %d, want %d", c.name, r.Status, c.status)
				continue
			}
			explains(t, c.name, r, c.says)
			if c.keeps != "" && !strings.Contains(string(r.Body), c.keeps) {
				t.Errorf("%s: the text was not kept in the form", c.name)
			}
			if len(r.Body) > 200<<10 {
				t.Errorf("%s: a %d-byte answer", c.name, len(r.Body))
			}
		}
		if _, after := inventory(t, ma.App); after != before {
			t.Errorf("messages %d → %d after refused replies", before, after)
		}
	})
}

// TestBadInputAdminAPI: malformed and hostile input to the admin API is a
// 4xx with a reason, never a 500, on both databases.
func TestBadInputAdminAPI(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		a := newApp(t, env(t, d), app.Deps{})
		if r := fileTicket(t, a, ticketBody("admin-bad@example.com")); r.Status != 201 {
			t.Fatal(r.Status)
		}
		for _, c := range []struct {
			name, method, path, body string
			auth                     bool
			status                   int
			says                     string
		}{
			{"search with NUL", "GET", "/support/admin/tickets?q=%00", "", true, 422, "q"},
			{"search with invalid UTF-8", "GET", "/support/admin/tickets?q=caf%E9", "", true, 422, "q"},
			{"search with SQL", "GET", "/support/admin/tickets?q=" + url.QueryEscape("x' UNION SELECT password_hash FROM admins --"), "", true, 200, ""},
			{"huge page", "GET", "/support/admin/tickets?page=9223372036854775807", "", true, 200, ""},
			{"page not a number", "GET", "/support/admin/tickets?page=1e3", "", true, 400, "page"},
			{"reference with NUL", "GET", "/support/admin/tickets/TK-1%00", "", true, 404, "TK-1"},
			{"reference too large", "GET", "/support/admin/tickets/TK-99999999999999999999999", "", true, 404, "TK-"},
			{"malformed settings", "PUT", "/support/admin/settings/widget", `{"title":`, true, 400, "not valid JSON"},
			{"settings of the wrong shape", "PUT", "/support/admin/settings/portal", `[true]`, true, 400, ""},
			{"settings of 10 MB", "PUT", "/support/admin/settings/widget", `{"greeting":"` + strings.Repeat("g", 10<<20) + `"}`, true, 413, "at most 64 KiB"},
			{"settings of 60 KiB", "PUT", "/support/admin/settings/widget", `{"greeting":"` + strings.Repeat("g", 60<<10) + `"}`, true, 422, "greeting"},
			{"login with NUL", "POST", "/support/admin/api/session", `{"email":"root@example.com\u0000","password":"correct-horse-battery"}`, false, 401, "wrong email or password"},
			{"login with invalid UTF-8", "POST", "/support/admin/api/session", "{\"email\":\"root@example.com\xff\",\"password\":\"x\"}", false, 401, "wrong email or password"},
			{"login with SQL", "POST", "/support/admin/api/session", `{"email":"' OR '1'='1","password":"' OR '1'='1"}`, false, 401, "wrong email or password"},
			{"login malformed", "POST", "/support/admin/api/session", `{"email":`, false, 400, "not valid JSON"},
			{"promote with NUL id", "POST", "/support/admin/contacts/1%00/promote", `{"user_id":5}`, true, 404, ""},
			{"signup token with NUL", "POST", "/support/admin/signup-tokens/verify", `{"token":"1.2.3\u0000"}`, true, 422, "token"},
		} {
			h := map[string]string{}
			if c.auth {
				h = bearer()
			}
			r := send(t, a, c.method, c.path, ctJSON, []byte(c.body), h)
			if r.Status != c.status {
				t.Errorf("%s: %d %.200s, want %d", c.name, r.Status, r.Body, c.status)
				continue
			}
			if c.status >= 400 {
				explains(t, c.name, r, c.says)
			}
		}
		if n, m := inventory(t, a); n != 1 || m != 1 {
			t.Errorf("%d tickets, %d messages; want the one filed", n, m)
		}
	})
}

// TestBadInputWebhookPayloads: authenticated webhooks whose bodies are
// malformed, of the wrong type or huge are refused with 4xx and a reason.
func TestBadInputWebhookPayloads(t *testing.T) {
	t.Parallel()
	vars := inboundEnv(t, store.SQLite)
	vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	a := newApp(t, vars, app.Deps{})
	secret := map[string]string{"X-Portico-Inbound-Secret": inboundSecret}
	signed := func(body string) map[string]string {
		mac := hmac.New(sha256.New, []byte(ghSecret))
		mac.Write([]byte(body))
		return map[string]string{"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "bad-" + dbtest.Name(),
			"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
	}
	huge := strings.Repeat("x", 10<<20)
	for _, c := range []struct {
		name, path, ctype, body string
		header                  map[string]string
		status                  int
	}{
		{"postmark: malformed JSON", "/support/inbound/postmark", ctJSON, `{"From":`, secret, 400},
		{"postmark: 10 MB of garbage", "/support/inbound/postmark", ctJSON, huge, secret, 400},
		{"postmark: form instead of JSON", "/support/inbound/postmark", "application/x-www-form-urlencoded", "From=a%40example.com", secret, 400},
		{"mailgun: JSON instead of a form", "/support/inbound/mailgun", ctJSON, `{"sender":"a@example.com"}`, secret, 400},
		{"mailgun: 10 MB of garbage", "/support/inbound/mailgun", "application/x-www-form-urlencoded", huge, secret, 400},
		{"ses: 10 MB of garbage", "/support/inbound/ses", "text/plain", huge, secret, 400},
		{"ses: notification without a message", "/support/inbound/ses", "text/plain", `{"Type":"Notification","MessageId":"m","TopicArn":"arn:x","Message":"not json"}`, secret, 400},
		{"github: 10 MB", "/github/webhook", ctJSON, huge, signed(huge), 413},
		{"github: malformed JSON", "/github/webhook", ctJSON, `{"action":`, signed(`{"action":`), 400},
	} {
		r := send(t, a, "POST", c.path, c.ctype, []byte(c.body), c.header)
		if r.Status != c.status {
			t.Errorf("%s: %d %.200s, want %d", c.name, r.Status, r.Body, c.status)
			continue
		}
		explains(t, c.name, r, "")
	}
	// A payload that parses but carries no usable sender (here: invalid
	// UTF-8 where the address should be) is acknowledged and dropped, so the
	// provider does not retry it forever.
	r := send(t, a, "POST", "/support/inbound/postmark", ctJSON, []byte("{\"From\":\"\xff\xfe@example.com\",\"Subject\":\"x\"}"), secret)
	if r.Status != 200 || r.json(t)["outcome"] != "ignored" {
		t.Errorf("postmark without a usable sender: %d %s", r.Status, r.Body)
	}
	if n, m := inventory(t, a); n != 0 || m != 0 {
		t.Errorf("refused webhooks stored %d tickets, %d messages", n, m)
	}
}
