// Package clientip finds the address of the client behind trusted reverse
// proxies, and the key its requests are rate-limited under.
//
// Only the peer of the TCP connection is known for sure. When that peer is a
// trusted proxy, X-Forwarded-For is read from the right (the hop the proxy
// appended itself) to the left, and the first address that is not a trusted
// proxy is the client: whatever stands left of it was written by the client
// and proves nothing. A hop that is not an address ("unknown", "<script>",
// empty) stops the walk: the client is then the last address checked, the
// trusted proxy that received the junk, so a garbled header never promotes
// text the client chose.
package clientip

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// Trusted is the set of proxies whose X-Forwarded-For is believed
// (PORTICO_TRUSTED_PROXIES). The zero value trusts nobody.
type Trusted struct {
	prefixes []netip.Prefix
}

// ParseTrusted reads IPs and CIDR prefixes ("10.0.0.0/8", "::1").
func ParseTrusted(list []string) (Trusted, error) {
	var t Trusted
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return Trusted{}, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			t.prefixes = append(t.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Trusted{}, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		a = a.Unmap().WithZone("")
		t.prefixes = append(t.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// Empty reports whether no proxy is trusted.
func (t Trusted) Empty() bool { return len(t.prefixes) == 0 }

// Contains reports whether a is a trusted proxy.
func (t Trusted) Contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxHops bounds the walk; no real chain of proxies is this long.
const maxHops = 32

// Resolve returns the client address of a request that arrived from peer
// with the given X-Forwarded-For header lines (in the order received; they
// are one comma-separated list). When peer is not a trusted proxy the header
// is ignored.
func Resolve(peer netip.Addr, forwardedFor []string, trusted Trusted) netip.Addr {
	peer = peer.Unmap().WithZone("")
	if !trusted.Contains(peer) || len(forwardedFor) == 0 {
		return peer
	}
	hops := strings.Split(strings.Join(forwardedFor, ","), ",")
	last := peer
	for i, walked := len(hops)-1, 0; i >= 0 && walked < maxHops; i, walked = i-1, walked+1 {
		a, ok := ParseHop(hops[i])
		if !ok {
			return last
		}
		last = a
		if !trusted.Contains(a) {
			return a
		}
	}
	return last
}

// ParseHop reads one X-Forwarded-For entry: an IPv4 or IPv6 address, with or
// without a port ("1.2.3.4:5678", "[2001:db8::1]:443", "[2001:db8::1]").
// IPv4-mapped IPv6 addresses become IPv4; zones are dropped.
func ParseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// RateKey is the key a client's requests are limited under: an IPv4 address
// itself, an IPv6 address its /64 prefix (one customer network, which can
// hand out as many addresses as it likes), an IPv4-mapped IPv6 address its
// IPv4 form.
func RateKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// RateKeyString is RateKey of an address in text form; text that is not an
// address is returned unchanged.
func RateKeyString(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	return RateKey(a)
}

type ctxKey struct{}

// WithContext returns ctx carrying the client address.
func WithContext(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the client address stored by WithContext (the zero
// Addr when there is none).
func FromContext(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(ctxKey{}).(netip.Addr)
	return a
}

// String returns the client address of ctx as text ("" when unknown), the
// form handlers pass on to services.
func String(ctx context.Context) string {
	a := FromContext(ctx)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
