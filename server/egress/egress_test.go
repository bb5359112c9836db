package egress

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "203.0.113.7": true, "2606:4700:4700::1111": true, "2a00:1450:4001::200e": true,
		"64:ff9b::808:808": true, // NAT64 of 8.8.8.8
		"127.0.0.1":        false, "127.255.255.254": false, "::1": false,
		"169.254.169.254": false, "169.254.0.1": false, "fe80::1": false, "fe80::1%eth0": false,
		"10.0.0.1": false, "172.16.0.1": false, "172.31.255.255": false, "192.168.1.1": false,
		"fc00::1": false, "fd00::1": false, "fd12:3456::1": false,
		"100.64.0.1": false, "100.127.255.254": false,
		"0.0.0.0": false, "0.1.2.3": false, "::": false,
		"224.0.0.1": false, "239.255.255.250": false, "ff02::1": false, "ff05::2": false,
		"255.255.255.255": false, "240.0.0.1": false,
		"::ffff:127.0.0.1": false, "::ffff:169.254.169.254": false, "::ffff:10.0.0.1": false, "::ffff:8.8.8.8": true,
		"::127.0.0.1":        false, // IPv4-compatible
		"64:ff9b::7f00:1":    false, // NAT64 of 127.0.0.1
		"64:ff9b::a9fe:a9fe": false, // NAT64 of 169.254.169.254
		"64:ff9b:1::1":       false,
		"192.0.0.8":          false, "198.18.0.1": false, "2001:db8::1": false, "fec0::1": false, "100::1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestLegacyIPv4(t *testing.T) {
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "0x7f.0.0.1": "127.0.0.1", "0x7f000001": "127.0.0.1",
		"127.1": "127.0.0.1", "127.0.1": "127.0.0.1", "017700000001": "127.0.0.1", "127.0.0.1.": "127.0.0.1",
		"0": "0.0.0.0", "169.254.43518": "169.254.169.254", "3232235777": "192.168.1.1", "10.0.0.1": "10.0.0.1",
		"example.com": "", "4294967296": "", "256.0.0.1": "", "1.2.3.4.5": "", "08": "", "1..2": "", "": "", "0x": "0.0.0.0",
		"1.2.3.0x100": "", "cafe": "",
	} {
		got, ok := legacyIPv4(host)
		if (want == "") == ok || ok && got.String() != want {
			t.Errorf("legacyIPv4(%q) = %v, %v; want %q", host, got, ok, want)
		}
	}
}

func TestNew(t *testing.T) {
	g, err := New([]string{"10.1.0.0/16", "192.168.1.7", "::ffff:172.16.0.9", "Hooks.Internal.", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "10.2.0.1": false, "192.168.1.7": true, "192.168.1.8": false, "172.16.0.9": true,
		"fd00::1": true, "fc00::1": false, "8.8.8.8": true, "127.0.0.1": false, "::ffff:10.1.9.9": true,
	} {
		if got := g.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if !g.hosts["hooks.internal"] {
		t.Errorf("hosts = %v", g.hosts)
	}
	for _, bad := range []string{"10.0.0.0/33", "http://x", "host:80", "a b", "300.1.1.1", "0177.0.0.1", ""} {
		if _, err := New([]string{bad}); err == nil {
			t.Errorf("New(%q) accepted it", bad)
		}
	}
}

// counting is a test server on 127.0.0.1 that counts its requests.
func counting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// TestGuardBlocksInternal: every spelling of an internal address is
// refused before a connection is made; the listening server gets nothing.
func TestGuardBlocksInternal(t *testing.T) {
	srv, hits := counting(t, nil)
	p := port(t, srv)
	g, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := g.Client(5 * time.Second)
	for _, target := range []string{
		"http://127.0.0.1:" + p + "/",
		"http://[::1]:" + p + "/",
		"http://localhost:" + p + "/",
		"http://LOCALHOST.:" + p + "/",
		"http://0.0.0.0:" + p + "/",
		"http://2130706433:" + p + "/",
		"http://0177.0.0.1:" + p + "/",
		"http://0x7f000001:" + p + "/",
		"http://127.1:" + p + "/",
		"http://[::ffff:127.0.0.1]:" + p + "/",
		"http://[::ffff:7f00:1]:" + p + "/",
		"http://[64:ff9b::7f00:1]:" + p + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/latest/meta-data/",
		"http://10.0.0.1/",
		"http://172.16.5.4/",
		"http://192.168.0.1/",
		"http://100.64.0.1/",
		"http://[fd00::1]/",
		"http://[fe80::1]/",
		"https://127.0.0.1:" + p + "/",
	} {
		res, err := client.Get(target)
		if res != nil {
			res.Body.Close()
		}
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("GET %s: err = %v, want ErrBlocked", target, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}
}

// TestGuardAllowList: the operator's list opens exactly what it names.
func TestGuardAllowList(t *testing.T) {
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p := port(t, srv)
	for _, c := range []struct {
		allow   []string
		target  string
		allowed bool
	}{
		{[]string{"127.0.0.1"}, "http://127.0.0.1:" + p + "/hook", true},
		{[]string{"127.0.0.0/8"}, "http://127.0.0.1:" + p + "/hook", true},
		{[]string{"127.0.0.2"}, "http://127.0.0.1:" + p + "/hook", false},
		{[]string{"10.0.0.0/8"}, "http://127.0.0.1:" + p + "/hook", false},
		{[]string{"localhost"}, "http://localhost:" + p + "/hook", true},
		{[]string{"localhost"}, "http://127.0.0.1:" + p + "/hook", false},
		{[]string{"127.0.0.1"}, "http://2130706433:" + p + "/hook", true},
	} {
		g, err := New(c.allow)
		if err != nil {
			t.Fatal(err)
		}
		before := hits.Load()
		res, err := g.Client(5 * time.Second).Get(c.target)
		if res != nil {
			res.Body.Close()
		}
		got := hits.Load() - before
		switch {
		case c.allowed && (err != nil || res.StatusCode != http.StatusNoContent || got != 1):
			t.Errorf("allow %v, GET %s: %v, %d requests; want it through", c.allow, c.target, err, got)
		case !c.allowed && (!errors.Is(err, ErrBlocked) || got != 0):
			t.Errorf("allow %v, GET %s: %v, %d requests; want it blocked", c.allow, c.target, err, got)
		}
	}
}

// TestGuardNoRedirects: an allowed server's redirect is not followed,
// neither to a blocked address nor to another allowed one.
func TestGuardNoRedirects(t *testing.T) {
	other, otherHits := counting(t, nil)
	for _, location := range []string{"http://169.254.169.254/latest/meta-data/", other.URL + "/elsewhere"} {
		srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, location, http.StatusFound)
		})
		g, err := New([]string{"127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := g.Client(5*time.Second).Post(srv.URL+"/hook", "application/json", strings.NewReader("{}"))
		if !errors.Is(err, ErrRedirect) || errors.Is(err, ErrBlocked) {
			t.Errorf("redirect to %s: err = %v, want ErrRedirect", location, err)
		}
		if res == nil || res.StatusCode != http.StatusFound {
			t.Errorf("redirect to %s: response %+v, want the 302", location, res)
		}
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

// TestGuardIgnoresProxyEnvironment: HTTP_PROXY would have a proxy dial the
// destination, past the check.
func TestGuardIgnoresProxyEnvironment(t *testing.T) {
	proxy, proxyHits := counting(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	g, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := g.Client(5 * time.Second)
	if tr, ok := client.Transport.(*http.Transport); !ok || tr.Proxy != nil {
		t.Fatalf("transport %T uses a proxy function", client.Transport)
	}
	// 10.0.0.1 through the proxy would be answered by it.
	res, err := client.Get("http://10.0.0.1/")
	if res != nil {
		res.Body.Close()
	}
	if !errors.Is(err, ErrBlocked) || proxyHits.Load() != 0 {
		t.Errorf("err = %v, proxy requests %d", err, proxyHits.Load())
	}
}

func TestCheckURL(t *testing.T) {
	g, err := New([]string{"192.168.7.0/24", "hooks.localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]string{
		"https://hooks.example.com/portico?token=abc": "",
		"http://203.0.113.7:8080/hook":                "",
		"http://[2606:4700::1111]/":                   "",
		"http://192.168.7.10/hook":                    "", // allow-listed
		"http://hooks.localhost/":                     "", // allow-listed name
		"http://internal.example/":                    "", // a name: checked when dialled
		"ftp://example.com/":                          "http",
		"javascript:alert(1)":                         "http",
		"http:///path":                                "http",
		"https://user:secret@example.com/":            "user or password",
		"https://token@example.com/":                  "user or password",
		"https://example.com/#frag":                   "fragment",
		"http://127.0.0.1/":                           "internal address",
		"http://[::1]/":                               "internal address",
		"http://169.254.169.254/latest/meta-data/":    "internal address",
		"http://10.0.0.1/":                            "internal address",
		"http://[fd00::1]/":                           "internal address",
		"http://0.0.0.0/":                             "internal address",
		"http://[::ffff:127.0.0.1]/":                  "internal address",
		"http://localhost:8080/":                      "internal address",
		"http://a.localhost/":                         "internal address",
		"http://192.168.8.1/":                         "internal address",
		"http://2130706433/":                          "four decimal numbers",
		"http://0177.0.0.1/":                          "four decimal numbers",
		"http://0x7f.1/":                              "four decimal numbers",
		"http://8.8.8.8.:80/":                         "four decimal numbers",
		"http://exa_mple!.com/":                       "host name",
		"http://example.com:99999/":                   "port",
	} {
		got := g.CheckURL(raw)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// fakeDNS answers every A query with ip (AAAA queries get no answer), so
// that a public-looking name resolves inside. It counts the queries.
func fakeDNS(t *testing.T, ip netip.Addr) (*net.Resolver, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var queries atomic.Int64
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			if len(q) < 12 {
				continue
			}
			queries.Add(1)
			// The question: labels up to the root, then type and class.
			end := 12
			for end < len(q) && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5
			if end > len(q) {
				continue
			}
			qtype := binary.BigEndian.Uint16(q[end-4:])
			resp := append([]byte{}, q[:2]...)                      // id
			resp = append(resp, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0) // response, recursion; 1 question
			resp = append(resp, q[12:end]...)
			if qtype == 1 { // A
				resp[7] = 1 // one answer
				a := ip.As4()
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
				resp = append(resp, a[:]...)
			}
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	server := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", server)
	}}, &queries
}

// TestGuardChecksResolvedAddresses: the check is on the address DNS
// gives when the connection is made, so a name that resolves to loopback
// (DNS rebinding) is blocked, and an allow-listed name is not checked.
func TestGuardChecksResolvedAddresses(t *testing.T) {
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p := port(t, srv)
	resolver, queries := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	for _, c := range []struct {
		allow   []string
		allowed bool
	}{{nil, false}, {[]string{"rebind.example"}, true}, {[]string{"127.0.0.1"}, true}} {
		g, err := New(c.allow)
		if err != nil {
			t.Fatal(err)
		}
		g.dialer.Resolver, g.open.Resolver = resolver, resolver
		before := hits.Load()
		res, err := g.Client(5 * time.Second).Get("http://rebind.example:" + p + "/")
		if res != nil {
			res.Body.Close()
		}
		got := hits.Load() - before
		if c.allowed && (err != nil || got != 1) || !c.allowed && (!errors.Is(err, ErrBlocked) || got != 0) {
			t.Errorf("allow %v: err %v, %d requests; want allowed %v", c.allow, err, got, c.allowed)
		}
	}
	if queries.Load() == 0 {
		t.Error("the fake DNS server was never asked: the test proves nothing")
	}
}
