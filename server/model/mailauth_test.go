package model

import "testing"

func TestAligned(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"example.com", "example.com", true},
		{"mail.example.com", "example.com", true},
		{"Bounce.Mail.Example.COM.", "example.com", true},
		{"example.co.uk", "shop.example.co.uk", true},
		{"example.com", "example.org", false},
		{"evil-example.com", "example.com", false},
		{"co.uk", "example.co.uk", false},
		{"github.io", "victim.github.io", false},
		{"attacker.github.io", "victim.github.io", false},
		{"", "example.com", false},
		{"exa mple.com", "example.com", false},
	} {
		if got := Aligned(c.a, c.b); got != c.want {
			t.Errorf("Aligned(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestAuthenticated(t *testing.T) {
	from := Address{Email: "jane@example.com"}
	for _, c := range []struct {
		name string
		auth MailAuth
		want bool
	}{
		{"missing", MailAuth{}, false},
		{"dmarc pass", MailAuth{DMARC: VerdictPass}, true},
		{"dmarc pass for the From domain", MailAuth{DMARC: VerdictPass, DMARCDomain: "example.com"}, true},
		{"dmarc pass for another domain", MailAuth{DMARC: VerdictPass, DMARCDomain: "evil.example"}, false},
		{"spf pass aligned", MailAuth{SPF: VerdictPass, SPFDomain: "bounce.example.com"}, true},
		{"spf pass unaligned", MailAuth{SPF: VerdictPass, SPFDomain: "evil.example"}, false},
		{"spf pass without domain", MailAuth{SPF: VerdictPass}, false},
		{"spf softfail aligned", MailAuth{SPF: "softfail", SPFDomain: "example.com"}, false},
		{"dkim pass aligned", MailAuth{DKIM: VerdictPass, DKIMDomains: []string{"evil.example", "example.com"}}, true},
		{"dkim pass unaligned", MailAuth{DKIM: VerdictPass, DKIMDomains: []string{"evil.example"}}, false},
		{"dkim fail aligned", MailAuth{DKIM: VerdictFail, DKIMDomains: []string{"example.com"}}, false},
		{"all fail", MailAuth{SPF: VerdictFail, DKIM: VerdictFail, DMARC: VerdictFail, SPFDomain: "example.com"}, false},
	} {
		if got := (InboundMail{From: from, Auth: c.auth}).Authenticated(); got != c.want {
			t.Errorf("%s: Authenticated() = %v, want %v", c.name, got, c.want)
		}
	}
	if (InboundMail{Auth: MailAuth{DMARC: VerdictPass}}).Authenticated() {
		t.Error("a mail without a From address authenticated")
	}
}
