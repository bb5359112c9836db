// Package egress makes the outbound HTTP requests whose destination an
// admin or a payload chooses (workflow webhooks): they may reach the public
// internet, never the inside. Each address is checked when the connection
// is made, after DNS, so a name that resolves (or later re-resolves) to
// 127.0.0.1, 169.254.169.254 or 10.x is refused however it is spelled.
// Redirects are not followed and proxies from the environment are not used
// (a proxy would dial for us, past the check). The operator may open
// chosen internal destinations with an allow-list (PORTICO_OUTBOUND_ALLOW).
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked means the destination is an internal address that the
// allow-list does not name. Its text is what a run log may show: it names
// no address.
var ErrBlocked = errors.New("blocked: destination not allowed")

// ErrRedirect means the server answered a redirect, which is not followed.
var ErrRedirect = errors.New("redirects are not followed")

// Guard decides which addresses outbound requests may reach.
type Guard struct {
	allow []netip.Prefix
	hosts map[string]bool // allow-listed host names, lower case
	// dialer checks every address it connects to; open dials allow-listed
	// names without the check.
	dialer, open net.Dialer
}

// New returns a guard whose allow-list holds IP addresses, CIDR prefixes
// and host names (PORTICO_OUTBOUND_ALLOW). An allow-listed host name may
// resolve to anything: the operator vouches for it.
func New(allow []string) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{}}
	for _, item := range allow {
		item = strings.TrimSpace(item)
		if p, err := netip.ParsePrefix(item); err == nil {
			g.allow = append(g.allow, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(item); err == nil {
			g.allow = append(g.allow, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		name, ok := HostName(item)
		if !ok {
			return nil, fmt.Errorf("egress: %q is not an IP address, CIDR prefix or host name", item)
		}
		g.hosts[name] = true
	}
	g.dialer = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	g.open = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return g, nil
}

// HostName normalizes a DNS host name (lower case, no trailing dot) and
// reports whether s is one: labels of letters, digits, '-' and '_', not all
// numeric (that would be an address).
func HostName(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	if _, ok := legacyIPv4(s); ok {
		return "", false
	}
	if last := s[strings.LastIndexByte(s, '.')+1:]; strings.Trim(last, "0123456789") == "" {
		return "", false // no top-level domain is numeric: a mistyped address
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false
			}
		}
	}
	return s, true
}

// Allowed reports whether a connection to ip may be made: a public unicast
// address, or one the allow-list names.
func (g *Guard) Allowed(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	for _, p := range g.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return Public(ip)
}

// blockedRanges are the special-purpose ranges (RFC 6890 and successors)
// that netip's predicates (loopback, private, link-local, multicast,
// unspecified, not global unicast) leave out.
var blockedRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"; 0.0.0.0 reaches the host itself
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (shared address space)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, ORCHID, …)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits, which is what is checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Public reports whether ip is a public unicast address: not loopback,
// private, link-local, unique-local, CGNAT, unspecified, multicast,
// broadcast or otherwise reserved, in any of its IPv4-mapped forms.
func Public(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() {
		return false
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte(b[12:])))
	}
	if ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || !ip.IsGlobalUnicast() {
		return false
	}
	for _, p := range blockedRanges {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// control runs after DNS, just before each connect: the address here is
// the one the socket will reach.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !g.Allowed(ap.Addr()) {
		return ErrBlocked
	}
	return nil
}

// DialContext connects to address (host:port) if every address it
// connects to is allowed. Hosts written as legacy IPv4 numbers
// ("2130706433", "0177.0.0.1", "0x7f.1") are read the way inet_aton
// (and so some resolvers) would, and that address is checked.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if name, ok := HostName(host); ok {
		if g.hosts[name] {
			return g.open.DialContext(ctx, network, address)
		}
		if isLocalhost(name) {
			// Loopback by definition (RFC 6761), whatever DNS says.
			return nil, &net.OpError{Op: "dial", Net: network, Err: ErrBlocked}
		}
	}
	if ip, ok := legacyIPv4(host); ok {
		address = net.JoinHostPort(ip.String(), port)
	}
	return g.dialer.DialContext(ctx, network, address)
}

// Client returns an HTTP client that dials through the guard, uses no
// proxy, follows no redirect (Do returns the redirect response, its body
// closed, with an error wrapping ErrRedirect) and gives up after timeout.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // not from the environment: a proxy would dial past the check
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          20,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return ErrRedirect },
	}
}

// CheckURL checks a destination URL as it is saved, before any request:
// http or https, a host, no user:password (it would be shown and logged),
// no #fragment, no host written as a legacy IPv4 number, and no IP address
// or localhost name that Allowed refuses. The answer is a message for the
// person who typed the URL ("" when it is fine). The check at dial time
// remains the guard: a name may resolve anywhere later.
func (g *Guard) CheckURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "must be an http:// or https:// URL"
	}
	if u.User != nil {
		return "must not contain a user or password (put a token in the path or query, or rely on the signature)"
	}
	if u.Fragment != "" {
		return "must not have a #fragment"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	host := u.Hostname()
	if _, ok := legacyIPv4(host); ok {
		if _, err := netip.ParseAddr(host); err != nil {
			return "must write an IPv4 address as four decimal numbers (e.g. 203.0.113.7)"
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		name, ok := HostName(host)
		if !ok {
			return "has an invalid host name"
		}
		if isLocalhost(name) {
			if g.hosts[name] {
				return ""
			}
			ip = netip.MustParseAddr("127.0.0.1")
		} else {
			return ""
		}
	}
	if !g.Allowed(ip) {
		return "points to an internal address (loopback, private, link-local or reserved); " +
			"portico posts there only when PORTICO_OUTBOUND_ALLOW names it"
	}
	return ""
}

func isLocalhost(name string) bool {
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// legacyIPv4 reads host as inet_aton does: one to four parts separated by
// dots, each decimal, octal (leading 0) or hexadecimal (0x), the last part
// filling the remaining bytes. "127.1" is 127.0.0.1, "2130706433" too.
func legacyIPv4(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(host, ".")
	parts := strings.Split(host, ".")
	if host == "" || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" && base != 16 {
			return netip.Addr{}, false
		}
		if digits == "" {
			vals[i] = 0 // "0x" alone is 0 to inet_aton
			continue
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
