package clientip_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico/portico/server/clientip"
)

func trusted(t *testing.T, list ...string) clientip.Trusted {
	t.Helper()
	tr, err := clientip.ParseTrusted(list)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestResolve(t *testing.T) {
	proxies := trusted(t, "10.0.0.0/8", "192.168.1.1", "2001:db8:ffff::/48", "::1")
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no header", "10.0.0.1", nil, "10.0.0.1"},
		{"nginx $proxy_add_x_forwarded_for, one proxy", "10.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"nginx behind a load balancer", "10.0.0.1", []string{"203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"several trusted hops", "10.0.0.1", []string{"203.0.113.7, 192.168.1.1, 10.9.9.9"}, "203.0.113.7"},
		{"spoofed left part", "10.0.0.1", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"spoofed trusted-looking left part", "10.0.0.1", []string{"10.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"two header lines joined in order", "10.0.0.1", []string{"1.2.3.4", "203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"all hops trusted: left-most", "10.0.0.1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"junk unknown right after the proxy", "10.0.0.1", []string{"unknown"}, "10.0.0.1"},
		{"junk script", "10.0.0.1", []string{"<script>alert(1)</script>, 10.0.0.2"}, "10.0.0.2"},
		{"empty header", "10.0.0.1", []string{""}, "10.0.0.1"},
		{"empty hop", "10.0.0.1", []string{"203.0.113.7,,10.0.0.2"}, "10.0.0.2"},
		{"junk left of the client is never read", "10.0.0.1", []string{"garbage, 203.0.113.7"}, "203.0.113.7"},
		{"ipv4 with port", "10.0.0.1", []string{"203.0.113.7:51234"}, "203.0.113.7"},
		{"ipv6 bare", "10.0.0.1", []string{"2001:db8:1:2::99"}, "2001:db8:1:2::99"},
		{"ipv6 bracketed", "10.0.0.1", []string{"[2001:db8:1:2::99]"}, "2001:db8:1:2::99"},
		{"ipv6 bracketed with port", "10.0.0.1", []string{"[2001:db8:1:2::99]:443"}, "2001:db8:1:2::99"},
		{"ipv6 proxy in the chain", "::1", []string{"203.0.113.7, 2001:db8:ffff::5"}, "203.0.113.7"},
		{"ipv4-mapped client", "10.0.0.1", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"ipv4-mapped peer is trusted", "::ffff:10.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"peer not trusted: header ignored", "198.51.100.1", []string{"203.0.113.7"}, "198.51.100.1"},
		{"peer not trusted: forged header ignored", "198.51.100.1", []string{"127.0.0.1"}, "198.51.100.1"},
	}
	for _, c := range cases {
		got := clientip.Resolve(netip.MustParseAddr(c.peer), c.xff, proxies)
		if got.String() != c.want {
			t.Errorf("%s: Resolve(%s, %q) = %s, want %s", c.name, c.peer, c.xff, got, c.want)
		}
	}
	// No trusted proxy at all: the header never counts.
	if got := clientip.Resolve(netip.MustParseAddr("10.0.0.1"), []string{"203.0.113.7"}, clientip.Trusted{}); got.String() != "10.0.0.1" {
		t.Errorf("nobody trusted: %s", got)
	}
}

func TestParseTrustedRefusesJunk(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "not-an-ip", "1.2.3"} {
		if _, err := clientip.ParseTrusted([]string{s}); err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("%q: err = %v, want one naming it", s, err)
		}
	}
}

func TestRateKey(t *testing.T) {
	cases := map[string]string{
		"203.0.113.7":              "203.0.113.7",
		"::ffff:203.0.113.7":       "203.0.113.7",
		"2001:db8:1:2::99":         "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":     "2001:db8:1:2::/64",
		"2001:db8:1:3::1":          "2001:db8:1:3::/64",
		"fe80::1%eth0":             "fe80::/64",
		"2001:db8:1:2:aaaa:bbbb::": "2001:db8:1:2::/64",
	}
	for in, want := range cases {
		if got := clientip.RateKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("RateKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := clientip.RateKey(netip.Addr{}); got != "unknown" {
		t.Errorf("zero addr: %s", got)
	}
	if got := clientip.RateKeyString("2001:db8:1:2::5"); got != "2001:db8:1:2::/64" {
		t.Errorf("RateKeyString: %s", got)
	}
}

func TestContext(t *testing.T) {
	ctx := clientip.WithContext(context.Background(), netip.MustParseAddr("203.0.113.7"))
	if clientip.String(ctx) != "203.0.113.7" || clientip.String(context.Background()) != "" {
		t.Errorf("context round trip: %q", clientip.String(ctx))
	}
}

// FuzzClientIP: whatever the header says, the result is the peer or an
// address that was in it, never text that is not an address.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{
		"203.0.113.7", "1.2.3.4, 203.0.113.7", "unknown", "<script>", "", ",,,", "[::1]:80",
		"[2001:db8::1]", "2001:db8::1, 10.0.0.2", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4:99999",
		"[", "]", "[]:1", strings.Repeat("10.0.0.9, ", 100),
	} {
		f.Add("10.0.0.1", s)
	}
	tr, _ := clientip.ParseTrusted([]string{"10.0.0.0/8", "::1"})
	f.Fuzz(func(t *testing.T, peer, header string) {
		p, err := netip.ParseAddr(peer)
		if err != nil {
			return
		}
		got := clientip.Resolve(p, []string{header}, tr)
		if !got.IsValid() {
			t.Fatalf("invalid result for %q", header)
		}
		if got != p.Unmap().WithZone("") && !strings.Contains(header, strings.TrimPrefix(got.String(), "::ffff:")) {
			// The address must come from the header (possibly written
			// differently, e.g. mapped or with a zone); reparse each hop.
			found := false
			for _, h := range strings.Split(header, ",") {
				if a, ok := clientip.ParseHop(h); ok && a == got {
					found = true
				}
			}
			if !found {
				t.Fatalf("Resolve(%s, %q) = %s, which is not in the header", peer, header, got)
			}
		}
		_ = clientip.RateKey(got)
	})
}
