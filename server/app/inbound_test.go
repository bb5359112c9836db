package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

const (
	inboundSecret = "shared-inbound-secret-123"
	postmarkAuth  = "postmark:hook-pass"
	mailgunKey    = "key-mailgun-signing-0123"
)

func inboundEnv(t *testing.T, d store.Dialect) map[string]string {
	vars := env(t, d)
	vars["PORTICO_INBOUND_SECRET"] = inboundSecret
	vars["PORTICO_POSTMARK_BASIC_AUTH"] = postmarkAuth
	vars["PORTICO_MAILGUN_SIGNING_KEY"] = mailgunKey
	vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
	return vars
}

// pm is a Postmark inbound webhook payload in its documented shape.
type pm struct {
	From, FromName, To, Cc, Subject, Text, HTML, MessageID, InReplyTo, References string
	Extra                                                                         map[string]string
	Attachments                                                                   []map[string]any
	// Verdicts is what Postmark's Authentication-Results says about the
	// sender: "" (the default: a genuine sender, DMARC pass for the From
	// domain), "fail", "none", or "missing" (no verdict headers at all).
	Verdicts string
}

func (p pm) json() string {
	headers := []map[string]string{}
	add := func(k, v string) {
		if v != "" {
			headers = append(headers, map[string]string{"Name": k, "Value": v})
		}
	}
	_, domain, _ := strings.Cut(p.From, "@")
	switch p.Verdicts {
	case "":
		add("Authentication-Results", "mx.postmarkapp.com; spf=pass smtp.mailfrom="+p.From+"; dmarc=pass header.from="+domain)
	case "fail":
		add("Received-SPF", "Fail (sender not authorized) identity=mailfrom; client-ip=198.51.100.9; envelope-from="+p.From)
		add("Authentication-Results", "mx.postmarkapp.com; spf=fail smtp.mailfrom="+p.From+"; dkim=fail header.d="+domain+"; dmarc=fail header.from="+domain)
	case "none":
		add("Authentication-Results", "mx.postmarkapp.com; spf=none smtp.mailfrom="+p.From+"; dkim=none; dmarc=none header.from="+domain)
	}
	add("Received", "by mx.postmarkapp.com")
	add("Message-ID", p.MessageID)
	add("In-Reply-To", p.InReplyTo)
	add("References", p.References)
	for k, v := range p.Extra {
		add(k, v)
	}
	full := func(list string) []map[string]string {
		out := []map[string]string{}
		for _, a := range strings.Split(list, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, map[string]string{"Email": a, "Name": "", "MailboxHash": ""})
			}
		}
		return out
	}
	if p.Attachments == nil {
		p.Attachments = []map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"FromName": p.FromName, "MessageStream": "inbound", "From": p.From,
		"FromFull": map[string]string{"Email": p.From, "Name": p.FromName, "MailboxHash": ""},
		"To":       p.To, "ToFull": full(p.To), "Cc": p.Cc, "CcFull": full(p.Cc), "Bcc": "", "BccFull": []any{},
		"OriginalRecipient": strings.Split(p.To, ",")[0], "Subject": p.Subject,
		"MessageID": "f1b5d2c4-0000-4000-8000-000000000000", "ReplyTo": "", "MailboxHash": "",
		"Date": "Wed, 25 Nov 2026 10:00:00 +0000", "TextBody": p.Text, "HtmlBody": p.HTML,
		"StrippedTextReply": "", "Tag": "", "Headers": headers, "Attachments": p.Attachments,
	})
	return string(b)
}

func postmark(t *testing.T, a *app.App, p pm) response {
	t.Helper()
	return do(t, a, req{method: "POST", path: "/support/inbound/postmark", body: p.json(), header: map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(postmarkAuth))}})
}

func outcome(t *testing.T, r response) (string, string) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	ref, _ := m["ticket_reference"].(string)
	return m["outcome"].(string), ref
}

func timeline(t *testing.T, a *app.App, ref string) []map[string]any {
	t.Helper()
	d := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
	var out []map[string]any
	for _, m := range d["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

// TestInboundRouting walks the routing rules of docs/CONTRACTS.md with Postmark payloads.
func TestInboundRouting(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		a := ma.App
		ref := fileTicket(t, a, ticketBody("cust@example.com")).json(t)["reference"].(string)
		id := ticketIDOf(t, ref)
		ma.mail.Wait(1, 20*time.Second)
		first := fmt.Sprintf("<ticket-%d@acme.test>", id)
		signed := replyAddress(t, id)
		n := 0
		next := func() string { n++; return fmt.Sprintf("<m%d-%s@mail.example.com>", n, d) }

		cases := []struct {
			name    string
			mail    pm
			outcome string
			same    bool // threaded into ref
		}{
			{"in-reply-to", pm{From: "cust@example.com", To: "help@acme.test", Subject: "Re: x", Text: "first answer", MessageID: next(), InReplyTo: first}, "appended", true},
			{"references only", pm{From: "Cust@Example.com", To: "help@acme.test", Subject: "x", Text: "refs only", MessageID: next(), References: "<unknown@x> " + first}, "appended", true},
			{"stored message id", pm{From: "cust@example.com", To: "help@acme.test", Subject: "x", Text: "answers my own mail", MessageID: next(), InReplyTo: fmt.Sprintf("<m1-%s@mail.example.com>", d)}, "appended", true},
			{"signed reply-to, no headers", pm{From: "colleague@example.com", To: signed, Subject: "no headers at all", Text: "from a colleague", MessageID: next()}, "appended", true},
			{"subject reference from the customer", pm{From: "cust@example.com", To: "help@acme.test", Subject: fmt.Sprintf("Again [TK-%03d]", id), Text: "by subject", MessageID: next()}, "appended", true},
			{"subject reference from a stranger", pm{From: "stranger@evil.example", To: "help@acme.test", Subject: fmt.Sprintf("[TK-%d] let me in", id), Text: "guessing", MessageID: next()}, "created", false},
			{"in-reply-to from a stranger", pm{From: "stranger2@evil.example", To: "help@acme.test", Subject: "Re", Text: "guessing", MessageID: next(), InReplyTo: first}, "created", false},
			{"forged signature", pm{From: "forger@evil.example", To: fmt.Sprintf("reply+%d.deadbeef@acme.test", id), Subject: "forged", Text: "forged", MessageID: next()}, "created", false},
			{"auto-reply", pm{From: "cust@example.com", To: "help@acme.test", Subject: "Out of office", Text: "away", MessageID: next(), InReplyTo: first, Extra: map[string]string{"Auto-Submitted": "auto-replied"}}, "ignored", false},
			{"bulk", pm{From: "news@example.com", To: "help@acme.test", Subject: "News", Text: "sale", MessageID: next(), Extra: map[string]string{"Precedence": "bulk"}}, "ignored", false},
			{"bounce", pm{From: "MAILER-DAEMON@mx.example.com", To: "help@acme.test", Subject: "Undelivered Mail", Text: "failed", MessageID: next()}, "ignored", false},
		}
		for _, c := range cases {
			got, gotRef := outcome(t, postmark(t, a, c.mail))
			if got != c.outcome {
				t.Errorf("%s: outcome %s, want %s", c.name, got, c.outcome)
				continue
			}
			if c.same && gotRef != ref {
				t.Errorf("%s: threaded into %s, want %s", c.name, gotRef, ref)
			}
			if c.outcome == "created" && gotRef == ref {
				t.Errorf("%s: a stranger got into %s", c.name, ref)
			}
		}
		msgs := timeline(t, a, ref)
		var bodies []string
		for _, m := range msgs {
			bodies = append(bodies, m["body"].(string))
		}
		for _, want := range []string{"first answer", "refs only", "answers my own mail", "from a colleague", "by subject"} {
			if !strings.Contains(strings.Join(bodies, "|"), want) {
				t.Errorf("timeline of %s lacks %q: %v", ref, want, bodies)
			}
		}
		for _, bad := range []string{"guessing", "forged", "away"} {
			if strings.Contains(strings.Join(bodies, "|"), bad) {
				t.Errorf("timeline of %s holds %q", ref, bad)
			}
		}

		// Duplicate delivery appends once.
		dup := pm{From: "cust@example.com", To: "help@acme.test", Subject: "Re", Text: "only once", MessageID: "<dup-" + string(d) + "@mail.example.com>", InReplyTo: first}
		o1, _ := outcome(t, postmark(t, a, dup))
		o2, ref2 := outcome(t, postmark(t, a, dup))
		if o1 != "appended" || o2 != "ignored" || ref2 != ref {
			t.Errorf("duplicate: %s then %s (%s)", o1, o2, ref2)
		}
		count := 0
		for _, m := range timeline(t, a, ref) {
			if m["body"] == "only once" {
				count++
			}
		}
		if count != 1 {
			t.Errorf("duplicate delivered %d times", count)
		}

		// Our own outgoing mail coming back is ignored.
		if o, _ := outcome(t, postmark(t, a, pm{From: "help@acme.test", To: "cust@example.com", Subject: "x", Text: "echo", MessageID: first})); o != "ignored" {
			t.Errorf("own mail: %s", o)
		}
	})
}

// A reply to a closed ticket reopens it and the portal works again.
func TestInboundReopens(t *testing.T) {
	t.Parallel()
	ma := startMailApp(t, store.SQLite, inboundEnv(t, store.SQLite), app.Deps{})
	ref := fileTicket(t, ma.App, ticketBody("back@example.com")).json(t)["reference"].(string)
	id := ticketIDOf(t, ref)
	path := portalPath(t, ma.mail.Wait(1, 20*time.Second)[0].Envelope(t).Text)
	if _, err := ma.Tickets.Close(t.Context(), id, tickets.StateChange{At: time.Now().Add(-60 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, ma.App, req{method: "GET", path: path}); r.Status != 410 {
		t.Fatalf("expired portal: %d", r.Status)
	}
	o, _ := outcome(t, postmark(t, ma.App, pm{From: "back@example.com", To: "help@acme.test", Subject: "Re",
		Text: "It broke again.\n\nOn Mon, 1 Jan 2026 at 10:00, Acme Support <help@acme.test> wrote:\n> Fixed!\n> Bye", MessageID: "<again@example.com>",
		InReplyTo: fmt.Sprintf("<ticket-%d@acme.test>", id)}))
	if o != "appended" {
		t.Fatalf("outcome %s", o)
	}
	d := do(t, ma.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
	if d["status"] != "open" || d["closed_at"] != nil {
		t.Errorf("after reply: status %v closed_at %v", d["status"], d["closed_at"])
	}
	msgs := d["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	if last["body"] != "It broke again." || last["source"] != "email" {
		t.Errorf("stored reply %q (quoted history must be stripped)", last["body"])
	}
	page := do(t, ma.App, req{method: "GET", path: path})
	if page.Status != 200 || !strings.Contains(string(page.Body), "It broke again.") {
		t.Errorf("portal after the mail: %d", page.Status)
	}
}

// A new mail makes a ticket with a confirmation threaded under it; its
// attachments show on the portal and download only through it.
func TestInboundNewTicketWithAttachments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ma := startMailApp(t, d, inboundEnv(t, d), app.Deps{})
		png := []byte("\x89PNG\r\n\x1a\nfake image bytes")
		big := strings.Repeat("A", 11<<20)
		r := postmark(t, ma.App, pm{From: "new@example.com", FromName: "New Person", To: "help@acme.test", Cc: "boss@example.com, help@acme.test",
			Subject: "Printer on fire", HTML: "<p>It is <b>on fire</b>.</p><script>x()</script>", MessageID: "<fire@example.com>",
			Attachments: []map[string]any{
				{"Name": "fire.png", "Content": base64.StdEncoding.EncodeToString(png), "ContentType": "image/png", "ContentLength": len(png)},
				{"Name": "huge.bin", "Content": base64.StdEncoding.EncodeToString([]byte(big)), "ContentType": "application/octet-stream", "ContentLength": len(big)},
			}})
		o, ref := outcome(t, r)
		if o != "created" {
			t.Fatalf("outcome %s", o)
		}
		detail := do(t, ma.App, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
		if detail["channel"] != "email" || detail["subject"] != "Printer on fire" || detail["contact"].(map[string]any)["email"] != "new@example.com" {
			t.Errorf("ticket = %v", detail)
		}
		body := detail["messages"].([]any)[0].(map[string]any)["body"].(string)
		if !strings.Contains(body, "It is on fire.") || strings.Contains(body, "<") || !strings.Contains(body, "huge.bin") {
			t.Errorf("stored body %q", body)
		}
		files := detail["attachments"].([]any)
		if len(files) != 1 || files[0].(map[string]any)["filename"] != "fire.png" {
			t.Fatalf("attachments = %v", files)
		}
		fileID := strconv.Itoa(int(files[0].(map[string]any)["id"].(float64)))
		if r := do(t, ma.App, req{method: "GET", path: "/support/admin/attachments/" + fileID, header: bearer()}); r.Status != 200 || string(r.Body) != string(png) {
			t.Errorf("admin download: %d", r.Status)
		}
		if r := do(t, ma.App, req{method: "GET", path: "/support/admin/attachments/" + fileID}); r.Status != 401 {
			t.Errorf("anonymous download: %d", r.Status)
		}

		env := ma.mail.Wait(1, 20*time.Second)[0].Envelope(t)
		if env.Root.Header.Get("In-Reply-To") != "<fire@example.com>" {
			t.Errorf("confirmation In-Reply-To = %q", env.Root.Header.Get("In-Reply-To"))
		}
		path := portalPath(t, env.Text)
		page := string(do(t, ma.App, req{method: "GET", path: path}).Body)
		link := regexp.MustCompile(`href="(/portal/[0-9a-f]{64}/attachments/\d+)"`).FindStringSubmatch(page)
		if link == nil {
			t.Fatalf("no attachment on the portal:\n%s", page)
		}
		dl := do(t, ma.App, req{method: "GET", path: link[1]})
		if dl.Status != 200 || string(dl.Body) != string(png) || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("portal download: %d %v", dl.Status, dl.Header)
		}
		// Another ticket's link cannot reach this file.
		other := fileTicket(t, ma.App, ticketBody("other@example.com"))
		_ = other
		otherPath := portalPath(t, ma.mail.Wait(2, 20*time.Second)[1].Envelope(t).Text)
		if r := do(t, ma.App, req{method: "GET", path: otherPath + "/attachments/" + fileID}); r.Status != 404 {
			t.Errorf("download through another ticket's link: %d", r.Status)
		}
		// The Cc'd colleague became a participant (for /sendall); our own address did not.
		recips, err := ma.Tickets.Recipients(t.Context(), ticketIDOf(t, ref))
		if err != nil || len(recips) != 2 || recips[1].Email != "boss@example.com" {
			t.Errorf("recipients = %v, %v", recips, err)
		}
	})
}

func mailgunForm(ts string, token string, fields map[string]string) url.Values {
	mac := hmac.New(sha256.New, []byte(mailgunKey))
	mac.Write([]byte(ts + token))
	v := url.Values{"timestamp": {ts}, "token": {token}, "signature": {hex.EncodeToString(mac.Sum(nil))}}
	for k, val := range fields {
		v.Set(k, val)
	}
	return v
}

func TestInboundMailgunAndAuth(t *testing.T) {
	t.Parallel()
	a := newApp(t, inboundEnv(t, store.SQLite), app.Deps{})
	fields := map[string]string{
		"sender": "mg@example.com", "from": "MG User <mg@example.com>", "recipient": "help@acme.test",
		"subject": "Via Mailgun", "body-plain": "Hello from Mailgun", "Message-Id": "<mg-1@example.com>",
		"message-headers": `[["Message-Id","<mg-1@example.com>"],["From","MG User <mg@example.com>"],["Subject","Via Mailgun"]]`,
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	ok := mailgunForm(now, "tok-"+dbtest.Name(), fields)
	r := form(t, a, "/support/inbound/mailgun", ok)
	if o, _ := outcome(t, r); o != "created" {
		t.Fatalf("mailgun: %s", o)
	}
	if r := form(t, a, "/support/inbound/mailgun", ok); r.Status != 401 {
		t.Errorf("replayed mailgun token: %d", r.Status)
	}
	stale := mailgunForm(strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10), "tok-"+dbtest.Name(), fields)
	if r := form(t, a, "/support/inbound/mailgun", stale); r.Status != 401 {
		t.Errorf("stale mailgun timestamp: %d", r.Status)
	}
	forged := mailgunForm(now, "tok-"+dbtest.Name(), fields)
	forged.Set("signature", strings.Repeat("0", 64))
	if r := form(t, a, "/support/inbound/mailgun", forged); r.Status != 401 {
		t.Errorf("forged mailgun signature: %d", r.Status)
	}

	payload := pm{From: "p@example.com", To: "help@acme.test", Subject: "s", Text: "t", MessageID: "<auth@example.com>"}.json()
	for _, c := range []struct {
		name, path, body string
		header           map[string]string
		status           int
	}{
		{"postmark without auth", "/support/inbound/postmark", payload, nil, 401},
		{"postmark wrong password", "/support/inbound/postmark", payload, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("postmark:nope"))}, 401},
		{"wrong shared secret", "/support/inbound/postmark", payload, map[string]string{"X-Portico-Inbound-Secret": "nope"}, 401},
		{"ses without signature", "/support/inbound/ses", `{"Type":"Notification","Message":"{}"}`, nil, 401},
		{"ses garbage", "/support/inbound/ses", `not json`, nil, 401},
		{"postmark garbage with auth", "/support/inbound/postmark", `{"FromFull":`, map[string]string{"X-Portico-Inbound-Secret": inboundSecret}, 400},
		{"shared secret works for postmark", "/support/inbound/postmark", payload, map[string]string{"X-Portico-Inbound-Secret": inboundSecret}, 200},
	} {
		if r := do(t, a, req{method: "POST", path: c.path, body: c.body, header: c.header}); r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
		}
	}
	list := do(t, a, req{method: "GET", path: "/support/admin/tickets", header: bearer()}).json(t)
	if list["total"].(float64) != 2 {
		t.Errorf("tickets after refused webhooks: %v, want 2", list["total"])
	}
}

// SES arrives as an SNS notification carrying the raw MIME message.
func TestInboundSESWithSharedSecret(t *testing.T) {
	t.Parallel()
	a := newApp(t, inboundEnv(t, store.SQLite), app.Deps{})
	raw := "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\nTo: help@acme.test\r\nSubject: =?ISO-8859-1?Q?Caf=E9?=\r\n" +
		"Message-ID: <ses-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Le caf=E9 est froid.\r\n"
	notification, _ := json.Marshal(map[string]any{
		"notificationType": "Received",
		"mail":             map[string]any{"source": "andre@example.com", "messageId": "ses-id", "destination": []string{"help@acme.test"}},
		"receipt":          map[string]any{"recipients": []string{"help@acme.test"}, "action": map[string]string{"type": "SNS", "encoding": "BASE64"}},
		"content":          base64.StdEncoding.EncodeToString([]byte(raw)),
	})
	body, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
		"Message": string(notification), "Timestamp": time.Now().UTC().Format(time.RFC3339), "SignatureVersion": "1",
		"Signature": "", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem",
	})
	r := do(t, a, req{method: "POST", path: "/support/inbound/ses", body: string(body), header: map[string]string{"X-Portico-Inbound-Secret": inboundSecret}})
	o, ref := outcome(t, r)
	if o != "created" {
		t.Fatalf("ses: %s", o)
	}
	d := do(t, a, req{method: "GET", path: "/support/admin/tickets/" + ref, header: bearer()}).json(t)
	if d["subject"] != "Café" || !strings.Contains(d["messages"].([]any)[0].(map[string]any)["body"].(string), "Le café est froid.") {
		t.Errorf("ses ticket = %v", d)
	}
}
