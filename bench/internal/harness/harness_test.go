package harness

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

// confirmation is shaped like the server's mail (go-mail): multipart/
// alternative, both parts quoted-printable, the long portal URL broken by
// soft line breaks.
const confirmation = "From: \"Support\" <support@bench.test>\r\n" +
	"To: <bench-1@example.com>\r\n" +
	"Subject: [TK-7] Cannot export\r\n" +
	"Message-ID: <ticket-7@bench.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"\r\n" +
	"Hello,\r\n" +
	"\r\n" +
	"-- \r\n" +
	"View this conversation: http://127.0.0.1:4242/portal/0123456789abcdef0123456789ab=\r\n" +
	"cdef0123456789abcdef0123456789abcdef\r\n" +
	"This link is personal.\r\n" +
	"--b1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"\r\n" +
	"<p>View this conversation: <a href=3D\"http://elsewhere/portal/x\">link</a></p>\r\n" +
	"--b1--\r\n"

const wantToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseConfirmation(t *testing.T) {
	u, mid, err := ParseConfirmation([]byte(confirmation))
	if err != nil {
		t.Fatal(err)
	}
	if mid != "<ticket-7@bench.test>" {
		t.Errorf("Message-ID = %q", mid)
	}
	token, err := PortalToken(u)
	if err != nil {
		t.Fatal(err)
	}
	if token != wantToken {
		t.Errorf("token = %q, want %q", token, wantToken)
	}
}

func TestParseConfirmationWithoutLink(t *testing.T) {
	raw := strings.Replace(confirmation, "View this conversation: ", "See: ", 1)
	if _, _, err := ParseConfirmation([]byte(raw)); err == nil {
		t.Error("a mail without the link line parsed")
	}
}

func TestPortalToken(t *testing.T) {
	for u, ok := range map[string]bool{
		"http://127.0.0.1:1/portal/" + wantToken:                  true,
		"http://127.0.0.1:1/portal/" + wantToken[:63]:             false,
		"http://127.0.0.1:1/portal/" + strings.ToUpper(wantToken): false,
		"http://127.0.0.1:1/other/" + wantToken:                   false,
	} {
		if _, err := PortalToken(u); (err == nil) != ok {
			t.Errorf("PortalToken(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}

// TestMailSinkExpect sends two mails through the sink over SMTP: the one to
// the watched address comes back whole, the other is only counted.
func TestMailSinkExpect(t *testing.T) {
	sink, err := StartMailSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	got := sink.Expect("Bench-1@example.com")
	addr := strings.TrimSuffix(strings.TrimPrefix(sink.URL(), "smtp://"), "?tls=none")
	send := func(to string) {
		t.Helper()
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Mail("support@bench.test"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(to); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(confirmation)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
	}
	send("someone@example.com")
	send("bench-1@example.com")
	select {
	case raw := <-got:
		u, _, err := ParseConfirmation(raw)
		if err != nil {
			t.Fatal(err)
		}
		if token, _ := PortalToken(u); token != wantToken {
			t.Errorf("token from the sink = %q", token)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watched mail did not arrive")
	}
	if n := sink.Received(); n != 2 {
		t.Errorf("received = %d, want 2", n)
	}
}

func TestRcptAddress(t *testing.T) {
	for arg, want := range map[string]string{
		"TO:<A@Example.com>":         "a@example.com",
		"TO: <a@example.com> SIZE=5": "a@example.com",
		"to:a@example.com":           "a@example.com",
	} {
		if got := rcptAddress(arg); got != want {
			t.Errorf("rcptAddress(%q) = %q, want %q", arg, got, want)
		}
	}
}

func TestLogFilter(t *testing.T) {
	var out strings.Builder
	f := NewLogFilter(&out, "bench: ")
	line := "time=2026-11-25T04:58:09.308Z level=WARN msg=\"turnstile: no secret\"\n"
	for range 10 {
		_, _ = f.Write([]byte(line))
	}
	_, _ = f.Write([]byte("time=x level=ERROR msg=boom err=1\npartial"))
	f.Close()
	s := out.String()
	if n := strings.Count(s, line); n != LogShown {
		t.Errorf("the repeated line was shown %d times, want %d:\n%s", n, LogShown, s)
	}
	for _, want := range []string{"msg=boom", "partial", "logged 10 lines with msg=\"turnstile: no secret\""} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// sendMail delivers raw to the sink at addr over SMTP.
func sendMail(addr, to, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("support@bench.test"); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// TestMailSinkOutage: a stopped sink refuses connections and keeps what it
// recorded; restarted on the same address it counts a second copy of a
// Message-ID as a second arrival.
func TestMailSinkOutage(t *testing.T) {
	sink, err := StartMailSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if err := sendMail(sink.Addr(), "a@example.com", confirmation); err != nil {
		t.Fatal(err)
	}
	sink.Stop()
	if err := sendMail(sink.Addr(), "a@example.com", confirmation); err == nil {
		t.Fatal("a stopped sink took a mail")
	}
	if err := sink.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := sendMail(sink.Addr(), "a@example.com", confirmation); err != nil {
		t.Fatal(err)
	}
	arrivals := sink.Arrivals()
	if got := len(arrivals["<ticket-7@bench.test>"]); got != 2 || len(arrivals) != 1 || sink.Received() != 2 {
		t.Errorf("arrivals = %v, received %d; want two of <ticket-7@bench.test>", arrivals, sink.Received())
	}
}

func TestLogKeyOfStandardLogLines(t *testing.T) {
	a := logKey("redis: 2026/12/07 23:52:36 pool.go:770: connection refused\n")
	b := logKey("redis: 2026/12/07 23:52:37 pool.go:770: connection refused\n")
	if a != b || a != "redis: pool.go:770: connection refused" {
		t.Errorf("keys %q and %q, want both without the time", a, b)
	}
}
