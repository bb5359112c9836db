package mail

import (
	"bytes"
	"context"
	"errors"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime/v2"
)

const (
	testDomain = "support.example.com"
	testPortal = "https://support.example.com/portal/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	// URL-encoded in the mail URL; the server expects the decoded form.
	testUser = "agent@example.com"
	testPass = "p@ss:w/rd %"
	testAuth = "agent%40example.com:p%40ss%3Aw%2Frd%20%25"
)

var testSecret = []byte("test secret")

// xssMessage is an agent reply whose customer-controlled fields (name,
// subject, quoted text) all try to inject markup. (Confirmations no longer
// carry any of them.)
func xssMessage(t *testing.T, auto bool) Message {
	t.Helper()
	text, html, err := ComposeAgentReply(english(t), AgentReply{
		Reference:    "TK-42",
		Subject:      `Drucker brennt – Ärger <script>alert("subject")</script>`,
		CustomerName: `Jörg <img src=x onerror=alert(1)>`,
		BodyText:     "My printer is on fire.\n<script>alert(\"body\")</script>\nPlease help.",
		PortalURL:    testPortal,
		AgentName:    "Acme Support",
	})
	if err != nil {
		t.Fatal(err)
	}
	return Message{
		From:          Address{Name: "Acme Süpport", Email: "support@example.com"},
		To:            Address{Name: `Jörg "JJ" <Doe>`, Email: "jane@example.org"},
		ReplyTo:       ReplyTo(42, testSecret, testDomain),
		Subject:       Subject("TK-42", `Drucker brennt – Ärger <script>alert("subject")</script>`),
		MessageID:     ReplyMessageID(42, 7, testDomain),
		InReplyTo:     ReplyMessageID(42, 5, testDomain),
		References:    []string{FirstMessageID(42, testDomain), ReplyMessageID(42, 3, testDomain), ReplyMessageID(42, 5, testDomain)},
		Text:          text,
		HTML:          html,
		AutoSubmitted: auto,
	}
}

func send(t *testing.T, mailURL string, opts Options, m Message) error {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	s, err := NewSender(mailURL, opts)
	if err != nil {
		t.Fatalf("NewSender(%q): %v", mailURL, err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

// only returns the single message the server received.
func only(t *testing.T, ts *testServer) received {
	t.Helper()
	msgs := ts.received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func parse(t *testing.T, data []byte) *enmime.Envelope {
	t.Helper()
	env, err := enmime.ReadEnvelope(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("enmime: %v", err)
	}
	for _, e := range env.Errors {
		t.Errorf("enmime: %v", e)
	}
	return env
}

// TestSendOverWire sends through a real SMTP session with AUTH PLAIN and
// checks every header and both parts of what arrived.
func TestSendOverWire(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{user: testUser, pass: testPass, insecureAuth: true})
	m := xssMessage(t, false)
	before := time.Now().Add(-time.Second)
	if err := send(t, ts.url("smtp", testAuth, ""), Options{HelloName: "portico.test"}, m); err != nil {
		t.Fatal(err)
	}
	got := only(t, ts)
	if got.user != testUser {
		t.Errorf("authenticated as %q, want %q (URL-decoded)", got.user, testUser)
	}
	if got.from != "support@example.com" || !slices.Equal(got.to, []string{"jane@example.org"}) {
		t.Errorf("envelope MAIL FROM %q RCPT %q", got.from, got.to)
	}
	env := parse(t, got.data)

	header := func(name, want string) {
		t.Helper()
		if v := env.GetHeaderValues(name); len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want exactly %q", name, v, want)
		}
	}
	header("Message-ID", "<ticket-42-reply-7@support.example.com>")
	header("In-Reply-To", "<ticket-42-reply-5@support.example.com>")
	header("Subject", `[TK-42] Drucker brennt – Ärger <script>alert("subject")</script>`)
	header("X-Auto-Response-Suppress", "All")
	header("MIME-Version", "1.0")
	if v := env.GetHeaderValues("Auto-Submitted"); len(v) != 0 {
		t.Errorf("Auto-Submitted = %q on a mail that is not automatic", v)
	}
	refs := strings.Fields(env.GetHeader("References")) // unfolded by the parser
	if want := []string{"<ticket-42@support.example.com>", "<ticket-42-reply-3@support.example.com>", "<ticket-42-reply-5@support.example.com>"}; !slices.Equal(refs, want) {
		t.Errorf("References = %q, want %q", refs, want)
	}
	raw := string(got.data[:bytes.Index(got.data, []byte("\r\n\r\n"))])
	if !regexp.MustCompile(`(?m)^Subject:\s+=\?UTF-8\?`).MatchString(raw) {
		t.Errorf("non-ASCII subject not RFC 2047 encoded:\n%s", raw)
	}
	if strings.Contains(raw, "\n\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Errorf("bare LF in header:\n%q", raw)
	}

	replyTo, err := env.AddressList("Reply-To")
	if err != nil || len(replyTo) != 1 || replyTo[0].Address != "reply+42."+hex8(42)+"@support.example.com" {
		t.Fatalf("Reply-To = %v, %v", replyTo, err)
	}
	if id, ok := ParseReplyTo(env.GetHeader("Reply-To"), testSecret, testDomain); !ok || id != 42 {
		t.Errorf("ParseReplyTo(%q) = %d, %v", env.GetHeader("Reply-To"), id, ok)
	}
	from, err := env.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Acme Süpport" || from[0].Address != "support@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := env.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != `Jörg "JJ" <Doe>` || to[0].Address != "jane@example.org" {
		t.Errorf("To = %v, %v", to, err)
	}
	date, err := env.Date()
	if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date = %v, %v", date, err)
	}

	root := env.Root
	if root.ContentType != "multipart/alternative" || root.FirstChild == nil || root.FirstChild.NextSibling == nil {
		t.Fatalf("structure: root %s", root.ContentType)
	}
	if a, b := root.FirstChild, root.FirstChild.NextSibling; a.ContentType != "text/plain" || b.ContentType != "text/html" ||
		!strings.EqualFold(a.Charset, "utf-8") || !strings.EqualFold(b.Charset, "utf-8") {
		t.Errorf("parts: %s/%s, %s/%s", a.ContentType, a.Charset, b.ContentType, b.Charset)
	}

	if !slices.Contains(strings.Split(strings.ReplaceAll(env.Text, "\r\n", "\n"), "\n"), "View this conversation: "+testPortal) {
		t.Errorf("text part lacks the footer line:\n%s", env.Text)
	}
	if !strings.Contains(env.Text, `<script>alert("body")</script>`) {
		t.Errorf("text part should keep the customer's text as typed:\n%s", env.Text)
	}
	if !strings.Contains(env.HTML, `<a href="`+testPortal+`"`) || !strings.Contains(env.HTML, ">View this conversation</a>") {
		t.Errorf("HTML part lacks the portal link:\n%s", env.HTML)
	}
	checkInert(t, env.HTML)
	for _, escaped := range []string{"&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt;"} {
		if !strings.Contains(env.HTML, escaped) {
			t.Errorf("HTML part lacks escaped %q", escaped)
		}
	}
}

func hex8(id int64) string {
	a := ReplyTo(id, testSecret, testDomain)
	return a[strings.IndexByte(a, '.')+1 : strings.IndexByte(a, '@')]
}

func TestSendAutoSubmitted(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{})
	m := xssMessage(t, true)
	m.InReplyTo, m.References = "", nil // a first mail has no thread yet
	m.MessageID = FirstMessageID(42, testDomain)
	if err := send(t, ts.url("smtp", "", ""), Options{}, m); err != nil {
		t.Fatal(err)
	}
	env := parse(t, only(t, ts).data)
	if v := env.GetHeaderValues("Auto-Submitted"); !slices.Equal(v, []string{"auto-replied"}) {
		t.Errorf("Auto-Submitted = %q", v)
	}
	if v := env.GetHeaderValues("X-Auto-Response-Suppress"); !slices.Equal(v, []string{"All"}) {
		t.Errorf("X-Auto-Response-Suppress = %q", v)
	}
	if v := env.GetHeader("Message-ID"); v != "<ticket-42@support.example.com>" {
		t.Errorf("Message-ID = %q", v)
	}
	for _, h := range []string{"In-Reply-To", "References"} {
		if v := env.GetHeaderValues(h); len(v) != 0 {
			t.Errorf("%s = %q on a first mail", h, v)
		}
	}
}

func TestSendTLS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, server, scheme, query string
		wantTLS                     bool
	}{
		{"starttls opportunistic", "starttls", "smtp", "", true},
		{"starttls required", "starttls", "smtp", "tls=required", true},
		{"tls none ignores starttls", "starttls", "smtp", "tls=none", false},
		{"implicit", "implicit", "smtps", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The server offers AUTH only over TLS, except for tls=none.
			ts := startServer(t, serverConfig{tls: c.server, user: testUser, pass: testPass, insecureAuth: !c.wantTLS})
			if err := send(t, ts.url(c.scheme, testAuth, c.query), Options{TLSConfig: clientTLS(t)}, xssMessage(t, false)); err != nil {
				t.Fatal(err)
			}
			if got := only(t, ts); got.tls != c.wantTLS || got.user != testUser {
				t.Errorf("tls = %v, user = %q; want tls %v", got.tls, got.user, c.wantTLS)
			}
		})
	}
}

func TestSendAuthLogin(t *testing.T) {
	t.Parallel()
	// A server that offers only LOGIN (older Exchange): go-mail falls back
	// to it, over STARTTLS.
	ts := startServer(t, serverConfig{tls: "starttls", user: testUser, pass: testPass, loginOnly: true})
	if err := send(t, ts.url("smtp", testAuth, "tls=required"), Options{TLSConfig: clientTLS(t)}, xssMessage(t, false)); err != nil {
		t.Fatal(err)
	}
	if got := only(t, ts); !got.tls || got.user != testUser {
		t.Errorf("tls = %v, user = %q", got.tls, got.user)
	}
}

func TestSendTLSRequiredWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{})
	err := send(t, ts.url("smtp", "", "tls=required"), Options{TLSConfig: clientTLS(t)}, xssMessage(t, false))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS failure", err)
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server received %d messages in clear", n)
	}
}

func TestSendUntrustedCertificate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{tls: "starttls"})
	// No TLSConfig: the system roots do not trust the test certificate.
	err := send(t, ts.url("smtp", "", ""), Options{}, xssMessage(t, false))
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary certificate error", err)
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSendNoPasswordInClear(t *testing.T) {
	t.Parallel()
	// Opportunistic TLS and no STARTTLS offered: the password goes out only
	// to a loopback name. [::ffff:127.0.0.1] reaches the test server but is
	// not such a name, so it stands in for a remote host.
	ts := startServer(t, serverConfig{user: testUser, pass: testPass, insecureAuth: true})
	u := "smtp://" + testAuth + "@[::ffff:127.0.0.1]:" + strconv.Itoa(ts.port)
	if err := send(t, u, Options{}, xssMessage(t, false)); err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("err = %v: password sent over an unencrypted connection?", err)
	}
	// tls=none is the operator's explicit choice of a plaintext relay.
	if err := send(t, u+"?tls=none", Options{}, xssMessage(t, false)); err != nil {
		t.Errorf("tls=none with auth: %v", err)
	}
	if got := only(t, ts); got.tls || got.user != testUser {
		t.Errorf("tls = %v, user = %q", got.tls, got.user)
	}
}

func TestSendErrorsClassified(t *testing.T) {
	t.Parallel()
	reply := func(code int, msg string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
	}
	cases := []struct {
		name      string
		cfg       serverConfig
		auth      string
		permanent bool
	}{
		{"rcpt 451", serverConfig{rcptErr: reply(451, "try again later")}, "", false},
		{"rcpt 550", serverConfig{rcptErr: reply(550, "no such user")}, "", true},
		{"mail 421", serverConfig{mailErr: reply(421, "shutting down")}, "", false},
		{"mail 553", serverConfig{mailErr: reply(553, "sender rejected")}, "", true},
		{"data 452", serverConfig{dataErr: reply(452, "mailbox full")}, "", false},
		{"data 554", serverConfig{dataErr: reply(554, "spam")}, "", true},
		{"bad credentials", serverConfig{user: testUser, pass: testPass, insecureAuth: true}, "agent%40example.com:wrong", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, c.cfg)
			err := send(t, ts.url("smtp", c.auth, ""), Options{}, xssMessage(t, false))
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != c.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !c.permanent, c.permanent)
			}
			// The worker may wrap the error; the verdict must survive.
			if IsPermanent(errors.Join(errors.New("job 7"), err)) != c.permanent {
				t.Error("verdict lost when wrapped")
			}
			if n := len(ts.received()); n != 0 {
				t.Errorf("server stored %d messages", n)
			}
		})
	}
}

func TestSendServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there any more: connection refused
	err = send(t, "smtp://127.0.0.1:"+strconv.Itoa(port), Options{}, xssMessage(t, false))
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
}

func TestSendCancelled(t *testing.T) {
	t.Parallel()
	// Only the context can end Send before the 30 s timeout.
	addr, _ := startSilentServer(t)
	s, err := NewSender("smtp://"+addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, xssMessage(t, false))
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Errorf("err = %v, want temporary DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after cancellation", d)
	}
}

func TestSendRejectsInjectionBeforeDialing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{})
	m := xssMessage(t, false)
	m.Subject = "hello\r\nBcc: victim@example.net"
	err := send(t, ts.url("smtp", "", ""), Options{}, m)
	if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) {
		t.Fatalf("err = %v, want permanent ErrInvalidMessage", err)
	}
	m = xssMessage(t, false)
	m.To.Email = "not an address"
	if err := send(t, ts.url("smtp", "", ""), Options{}, m); !IsPermanent(err) {
		t.Errorf("bad recipient: err = %v, want permanent", err)
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestLogSender(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := xssMessage(t, true)
	if err := send(t, "log://", Options{Log: &buf}, m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Message-ID: <ticket-42-reply-7@support.example.com>\r\n") {
		t.Errorf("log output lacks the message:\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := `portico mail: to=jane@example.org subject="[TK-42] Drucker brennt – Ärger <script>alert(\"subject\")</script>" links: ` + testPortal
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("last line\n got %s\nwant %s", last, want)
	}
	// The printed message itself is a valid mail.
	env := parse(t, []byte(out[:strings.LastIndex(out, "portico mail:")]))
	if env.GetHeader("Message-ID") != m.MessageID {
		t.Errorf("Message-ID = %q", env.GetHeader("Message-ID"))
	}

	m.Subject = "x\nBcc: y@example.net"
	if err := send(t, "log://", Options{Log: &buf}, m); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("log:// accepted an injected header: %v", err)
	}
}

func TestNewSenderURL(t *testing.T) {
	t.Parallel()
	good := []struct {
		url              string
		host, user, pass string
		port             int
		mode             tlsMode
	}{
		{"smtp://mail.example.com", "mail.example.com", "", "", 587, tlsOpportunistic},
		{"smtp://u:p@mail.example.com:2525?tls=required", "mail.example.com", "u", "p", 2525, tlsRequired},
		{"SMTP://mail.example.com:25?tls=none", "mail.example.com", "", "", 25, tlsNone},
		{"smtps://" + testAuth + "@mail.example.com", "mail.example.com", testUser, testPass, 465, tlsImplicit},
		{"smtps://mail.example.com:2465?tls=required", "mail.example.com", "", "", 2465, tlsImplicit},
		{"smtp://[::1]:25", "::1", "", "", 25, tlsOpportunistic},
	}
	for _, c := range good {
		s, err := NewSender(c.url, Options{})
		if err != nil {
			t.Errorf("NewSender(%q): %v", c.url, err)
			continue
		}
		ss := s.(*smtpSender)
		if ss.host != c.host || ss.port != c.port || ss.user != c.user || ss.pass != c.pass || ss.mode != c.mode ||
			ss.auth != (c.user != "") || ss.timeout != defaultTimeout || ss.tlsConfig.ServerName != c.host {
			t.Errorf("NewSender(%q) = %+v", c.url, ss)
		}
	}
	for _, u := range []string{
		"", "mail.example.com", "http://mail.example.com", "smtp://", "smtp://:25",
		"smtp://mail.example.com:0", "smtp://mail.example.com:70000", "smtp://mail.example.com:x",
		"smtp://mail.example.com?tls=maybe", "smtp://mail.example.com?tsl=none", "smtps://mail.example.com?tls=none",
		"smtp://mail.example.com/path", "smtp://%zz@mail.example.com",
	} {
		if _, err := NewSender(u, Options{}); err == nil {
			t.Errorf("NewSender(%q) accepted", u)
		}
	}
	if s, err := NewSender("log://", Options{}); err != nil || s.(*logSender).w == nil {
		t.Errorf("log:// without writer: %v", err)
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	if IsPermanent(nil) || IsPermanent(errors.New("boom")) || IsPermanent(context.Canceled) {
		t.Error("unknown errors must be temporary")
	}
	if !IsPermanent(errors.Join(errors.New("x"), ErrInvalidMessage)) {
		t.Error("ErrInvalidMessage must be permanent")
	}
}
