package inbound

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/server/model"
)

// Pass, fail, none and missing verdicts on all three providers, from the
// fixtures under testdata/: only pass authenticates the sender.
func TestVerdictFixtures(t *testing.T) {
	parse := map[string]func(t *testing.T, name string) model.InboundMail{
		"postmark": func(t *testing.T, name string) model.InboundMail {
			m, err := ParsePostmark(fixture(t, "postmark/"+name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		"mailgun": func(t *testing.T, name string) model.InboundMail {
			m, _, err := ParseMailgun("application/x-www-form-urlencoded", fixture(t, "mailgun/"+name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		"ses": func(t *testing.T, name string) model.InboundMail {
			m, err := ParseSESNotification(string(fixture(t, "ses/"+name+".json")))
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
	}
	want := map[string]map[string]model.MailAuth{
		"postmark": {
			"auth_pass": {SPF: "pass", DKIM: "pass", DMARC: "pass", SPFDomain: "mail.example.com", DKIMDomains: []string{"example.com"},
				DMARCDomain: "example.com", Source: "authentication-results"},
			"auth_fail":    {SPF: "fail", DKIM: "fail", DMARC: "fail", SPFDomain: "example.com", DMARCDomain: "example.com", Source: "authentication-results"},
			"auth_none":    {SPF: "none", DKIM: "none", DMARC: "none", SPFDomain: "example.com", DMARCDomain: "example.com", Source: "authentication-results"},
			"auth_missing": {},
			// The topmost Authentication-Results is not Postmark's, so none
			// counts (the lower "mx.postmarkapp.com" one is the sender's);
			// the topmost Received-SPF says fail.
			"auth_forged": {SPF: "fail", SPFDomain: "example.com", Source: "received-spf"},
		},
		"mailgun": {
			"auth_pass":    {SPF: "pass", DKIM: "pass", SPFDomain: "mail.example.com", DKIMDomains: []string{"example.com"}, Source: "mailgun"},
			"auth_fail":    {SPF: "fail", DKIM: "fail", SPFDomain: "mail.example.com", Source: "mailgun"},
			"auth_none":    {SPF: "neutral", DKIM: "fail", SPFDomain: "mail.example.com", Source: "mailgun"},
			"auth_missing": {SPFDomain: "mail.example.com"},
		},
		"ses": {
			"auth_pass":    {SPF: "pass", DKIM: "pass", DMARC: "pass", SPFDomain: "mail.example.com", DKIMDomains: []string{"example.com"}, Source: "ses"},
			"auth_fail":    {SPF: "fail", DKIM: "fail", DMARC: "fail", SPFDomain: "mail.example.com", Source: "ses"},
			"auth_none":    {SPF: "none", DKIM: "none", DMARC: "none", SPFDomain: "mail.example.com", Source: "ses"},
			"auth_missing": {SPFDomain: "mail.example.com"},
		},
	}
	for provider, cases := range want {
		for name, auth := range cases {
			t.Run(provider+"/"+name, func(t *testing.T) {
				m := parse[provider](t, name)
				if !reflect.DeepEqual(m.Auth, auth) {
					t.Errorf("Auth = %+v\nwant   %+v", m.Auth, auth)
				}
				if got, wantOK := m.Authenticated(), name == "auth_pass"; got != wantOK {
					t.Errorf("Authenticated() = %v, want %v (From %s)", got, wantOK, m.From.Email)
				}
			})
		}
	}
}

func TestMailgunVerdictEdges(t *testing.T) {
	base, err := url.ParseQuery(string(fixture(t, "mailgun/auth_pass.txt")))
	if err != nil {
		t.Fatal(err)
	}
	parse := func(edit func(v url.Values)) model.InboundMail {
		v := url.Values{}
		for k, vals := range base {
			v[k] = append([]string(nil), vals...)
		}
		edit(v)
		m, _, err := ParseMailgun("application/x-www-form-urlencoded", []byte(v.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Pass for both, but neither domain is the From's: not authenticated.
	m := parse(func(v url.Values) {
		v.Set("sender", "bounce@evil.example")
		v.Set("message-headers", `[["From","Jane Doe <jane@example.com>"],["Dkim-Signature","v=1; d=evil.example; s=s1; b=x"]]`)
	})
	if m.Authenticated() {
		t.Errorf("unaligned Mailgun pass authenticated: %+v", m.Auth)
	}
	// Two signatures: a DKIM pass names no domain we can trust.
	m = parse(func(v url.Values) {
		v.Set("sender", "bounce@evil.example")
		v.Set("message-headers", `[["From","jane@example.com"],["Dkim-Signature","v=1; d=evil.example; b=x"],["Dkim-Signature","v=1; d=example.com; b=y"]]`)
	})
	if m.Authenticated() || m.Auth.DKIMDomains != nil {
		t.Errorf("two signatures: %+v", m.Auth)
	}
	// A sender's own X-Mailgun-Spf header disagreeing with Mailgun's field.
	m = parse(func(v url.Values) {
		v.Set("X-Mailgun-Spf", "Fail")
		v.Set("X-Mailgun-Dkim-Check-Result", "Fail")
		v.Set("message-headers", `[["From","jane@example.com"],["X-Mailgun-Spf","Pass"]]`)
	})
	if m.Auth.SPF != "" || m.Authenticated() {
		t.Errorf("conflicting X-Mailgun-Spf: %+v", m.Auth)
	}
}

func TestParseAuthResults(t *testing.T) {
	id, rs := parseAuthResults(`mx.postmarkapp.com 1; (a comment; with semicolons) dkim=pass (good (nested) sig) header.d=Example.COM header.s="s 1"; spf=softfail smtp.mailfrom=<x@a.example>; dmarc=pass header.from=example.com; none; =broken`)
	if id != "mx.postmarkapp.com" {
		t.Errorf("authserv-id %q", id)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.method+"="+string(r.result))
	}
	if strings.Join(got, " ") != "dkim=pass spf=softfail dmarc=pass" {
		t.Errorf("results %v", got)
	}
	if rs[0].props["header.d"] != "Example.COM" || rs[0].props["header.s"] != "s 1" {
		t.Errorf("props %v", rs[0].props)
	}
	if v, d := parseReceivedSPF("pass (mx: domain of x@a.example designates 1.2.3.4) client-ip=1.2.3.4; envelope-from=\"x@a.example\"; helo=h.example"); v != "pass" || d != "a.example" {
		t.Errorf("Received-SPF = %s %s", v, d)
	}
	if v, d := parseReceivedSPF("Pass identity=helo; helo=mta.b.example; envelope-from=x@a.example"); v != "pass" || d != "mta.b.example" {
		t.Errorf("Received-SPF helo = %s %s", v, d)
	}
}

// A mail without a Message-ID gets a key from the provider's own id, the
// same on every retry of the post; with a Message-ID there is none.
func TestDedupKey(t *testing.T) {
	m, err := ParsePostmark(fixture(t, "postmark/no_message_id.json"))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ParsePostmark(fixture(t, "postmark/no_message_id.json"))
	if m.MessageID != "" || !strings.HasPrefix(m.DedupKey, "postmark:") || m.DedupKey != again.DedupKey {
		t.Errorf("MessageID %q DedupKey %q / %q", m.MessageID, m.DedupKey, again.DedupKey)
	}
	if with, _ := ParsePostmark(fixture(t, "postmark/auth_pass.json")); with.DedupKey != "" {
		t.Errorf("mail with a Message-ID got DedupKey %q", with.DedupKey)
	}
	// Mailgun: the same forward re-signed (new timestamp, token, signature)
	// keeps its key; other content does not.
	v, _ := url.ParseQuery(string(fixture(t, "mailgun/auth_pass.txt")))
	v.Del("Message-Id")
	v.Set("message-headers", `[["From","jane@example.com"]]`)
	key := func(v url.Values) string {
		m, _, err := ParseMailgun("application/x-www-form-urlencoded", []byte(v.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		return m.DedupKey
	}
	k1 := key(v)
	v.Set("timestamp", "1715677999")
	v.Set("token", "other")
	v.Set("signature", strings.Repeat("1", 64))
	k2 := key(v)
	v.Set("body-plain", "Different.")
	if k1 == "" || k1 != k2 || key(v) == k1 {
		t.Errorf("mailgun keys %q %q %q", k1, k2, key(v))
	}
}
