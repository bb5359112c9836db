package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestMessageIDs(t *testing.T) {
	t.Parallel()
	cases := []struct{ got, want string }{
		{FirstMessageID(42, "support.example.com"), "<ticket-42@support.example.com>"},
		{FirstMessageID(1, "d"), "<ticket-1@d>"},
		{FirstMessageID(9223372036854775807, "x.y"), "<ticket-9223372036854775807@x.y>"},
		{ReplyMessageID(42, 7, "support.example.com"), "<ticket-42-reply-7@support.example.com>"},
		{ReplyMessageID(1, 9223372036854775807, "d"), "<ticket-1-reply-9223372036854775807@d>"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
		if err := checkMsgID("test", c.got); err != nil {
			t.Errorf("Bytes would refuse our own id: %v", err)
		}
	}
}

func TestReplyTo(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	// Independent computation of the documented format.
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("42"))
	want := "reply+42." + hex.EncodeToString(mac.Sum(nil))[:8] + "@support.example.com"
	if got := ReplyTo(42, secret, "support.example.com"); got != want {
		t.Errorf("ReplyTo = %q, want %q", got, want)
	}
	if ReplyTo(42, []byte("other"), "support.example.com") == want {
		t.Error("signature does not depend on the secret")
	}
	if ReplyTo(43, secret, "support.example.com")[len("reply+43."):][:8] == want[len("reply+42."):][:8] {
		t.Error("signature does not depend on the ticket")
	}
}

func TestParseReplyTo(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	const domain = "support.example.com"
	valid := ReplyTo(42, secret, domain)
	sig := valid[len("reply+42.") : len("reply+42.")+8]
	max := ReplyTo(9223372036854775807, secret, domain)
	forged := []byte(sig)
	forged[0] ^= 1 // still hex, one bit off

	cases := []struct {
		name, addr string
		want       int64 // 0: rejected
	}{
		{"bare", valid, 42},
		{"with name", "Support <" + valid + ">", 42},
		{"quoted name", `"Acme, Support" <` + valid + ">", 42},
		{"spaces around", "  " + valid + " ", 42},
		{"domain any case", strings.Replace(valid, domain, "Support.EXAMPLE.com", 1), 42},
		{"uppercase hex", strings.Replace(valid, sig, strings.ToUpper(sig), 1), 42},
		{"uppercase prefix", strings.Replace(valid, "reply+", "REPLY+", 1), 42},
		{"largest id", max, 9223372036854775807},

		{"forged hmac", strings.Replace(valid, sig, string(forged), 1), 0},
		{"other ticket's hmac", strings.Replace(valid, "+42.", "+43.", 1), 0},
		{"other secret", ReplyTo(42, []byte("other"), domain), 0},
		{"wrong domain", strings.Replace(valid, domain, "evil.example.com", 1), 0},
		{"subdomain", strings.Replace(valid, domain, "x."+domain, 1), 0},
		{"parent domain", strings.Replace(valid, domain, "example.com", 1), 0},
		{"empty", "", 0},
		{"no at", "reply+42." + sig, 0},
		{"no domain", "reply+42." + sig + "@", 0},
		{"no prefix", "42." + sig + "@" + domain, 0},
		{"other prefix", "replx+42." + sig + "@" + domain, 0},
		{"no dot", "reply+42" + sig + "@" + domain, 0},
		{"no id", "reply+." + sig + "@" + domain, 0},
		{"no hmac", "reply+42.@" + domain, 0},
		{"short hmac", "reply+42." + sig[:7] + "@" + domain, 0},
		{"long hmac", "reply+42." + sig + "0@" + domain, 0},
		{"non-hex hmac", "reply+42.zzzzzzzz@" + domain, 0},
		{"extra part", "reply+42." + sig + ".x@" + domain, 0},
		{"leading zero", "reply+042." + sig + "@" + domain, 0},
		{"plus sign", "reply++42." + sig + "@" + domain, 0},
		{"negative", "reply+-42." + sig + "@" + domain, 0},
		{"zero", ReplyTo(0, secret, domain), 0},
		{"negative signed", ReplyTo(-1, secret, domain), 0},
		{"huge", "reply+9223372036854775808." + sig + "@" + domain, 0},
		{"huger", "reply+99999999999999999999999999." + sig + "@" + domain, 0},
		{"two addresses", valid + ", " + valid, 0},
		{"garbage", "<<<@@@>>>", 0},
		{"newline", valid + "\r\nBcc: x@y", 0},
		{"long", strings.Repeat("a", 5000) + valid, 0},
	}
	for _, c := range cases {
		id, ok := ParseReplyTo(c.addr, secret, domain)
		if ok != (c.want != 0) || id != c.want {
			t.Errorf("%s: ParseReplyTo(%q) = %d, %v; want %d", c.name, c.addr, id, ok, c.want)
		}
	}
	if _, ok := ParseReplyTo(valid, secret, ""); ok {
		t.Error("accepted with an empty domain")
	}
}

func FuzzParseReplyTo(f *testing.F) {
	secret := []byte("fuzz")
	const domain = "support.example.com"
	for _, s := range []string{
		ReplyTo(42, secret, domain), "Name <" + ReplyTo(1, secret, domain) + ">", "", "reply+.@",
		"reply+9223372036854775808.00000000@support.example.com", `"a\"b" <reply+1.ffffffff@x>`, "=?utf-8?q?x?= <a@b>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		id, ok := ParseReplyTo(addr, secret, domain)
		if !ok {
			if id != 0 {
				t.Errorf("rejected %q but returned id %d", addr, id)
			}
			return
		}
		// Whatever was accepted must be exactly what ReplyTo signs.
		if id <= 0 {
			t.Errorf("accepted %q with id %d", addr, id)
		}
		if back, ok := ParseReplyTo(ReplyTo(id, secret, domain), secret, domain); !ok || back != id {
			t.Errorf("round trip of %d failed", id)
		}
	})
}

func TestSubject(t *testing.T) {
	t.Parallel()
	cases := []struct{ ref, in, want string }{
		{"TK-42", "Printer on fire", "[TK-42] Printer on fire"},
		{"TK-42", "[TK-42] Printer on fire", "[TK-42] Printer on fire"},
		{"TK-42", "Re: [TK-42] Printer on fire", "Re: [TK-42] Printer on fire"},
		{"TK-42", "Re: [tk-42] Printer", "Re: [tk-42] Printer"},
		{"TK-42", "[TK-421] other ticket", "[TK-42] [TK-421] other ticket"},
		{"TK-42", "TK-42 without brackets", "[TK-42] TK-42 without brackets"},
		{"TK-42", "line one\r\nBcc: evil@example.com", "[TK-42] line one Bcc: evil@example.com"},
		{"TK-42", "a\nb\rc\td\x00e\u2028f", "[TK-42] a b c d e f"},
		{"TK-42", "  padded  ", "[TK-42] padded"},
		{"TK-42", "", "[TK-42]"},
		{"TK-42", "\r\n", "[TK-42]"},
		{"TK-42", "Ärger – 日本語", "[TK-42] Ärger – 日本語"},
		{"", "no reference", "no reference"},
	}
	for _, c := range cases {
		got := Subject(c.ref, c.in)
		if got != c.want {
			t.Errorf("Subject(%q, %q) = %q, want %q", c.ref, c.in, got, c.want)
		}
		if err := checkLine("Subject", got); err != nil {
			t.Errorf("Subject(%q) = %q is refused by Bytes: %v", c.in, got, err)
		}
	}
}

func TestParseSignedReplyTo(t *testing.T) {
	t.Parallel()
	current, old, domain := []byte("reply-address key"), []byte("the old secret key"), "support.example.com"
	for _, tt := range []struct {
		name       string
		addr       string
		legacyKey  []byte
		ok, legacy bool
	}{
		{"current", ReplyTo(42, current, domain), old, true, false},
		{"legacy in the grace", ReplyTo(42, old, domain), old, true, true},
		{"legacy after the grace", ReplyTo(42, old, domain), nil, false, false},
		{"other key", ReplyTo(42, []byte("other"), domain), old, false, false},
	} {
		id, legacy, ok := ParseSignedReplyTo(tt.addr, domain, current, tt.legacyKey)
		if ok != tt.ok || legacy != tt.legacy || (ok && id != 42) {
			t.Errorf("%s: %d %v %v, want ok=%v legacy=%v", tt.name, id, legacy, ok, tt.ok, tt.legacy)
		}
	}
	if _, _, ok := ParseSignedReplyTo(ReplyTo(42, current, domain), domain, nil, nil); ok {
		t.Error("accepted without a key")
	}
}
