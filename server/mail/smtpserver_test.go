package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server saw it.
type received struct {
	from string
	to   []string
	data []byte
	user string // authenticated user, "" if none
	tls  bool   // the session was encrypted (STARTTLS or implicit)
}

// serverConfig shapes a test SMTP server.
type serverConfig struct {
	tls          string // "": plaintext only; "starttls": offers STARTTLS; "implicit": TLS from the first byte
	user, pass   string // set: AUTH required before MAIL
	loginOnly    bool   // offer AUTH LOGIN instead of PLAIN
	insecureAuth bool   // offer AUTH before TLS
	mailErr      *smtp.SMTPError
	rcptErr      *smtp.SMTPError
	dataErr      *smtp.SMTPError
	// refuse limits rcptErr to this one recipient (empty: every recipient).
	refuse string
	// dropAfterData: a message to this recipient is recorded, then the
	// connection closes before the reply, as if the server had crashed.
	dropAfterData string
	discard       bool // count messages without keeping them (benchmarks)
}

// testServer is a go-smtp server on 127.0.0.1:0 that records every message
// and every connection.
type testServer struct {
	port int
	cfg  serverConfig

	mu       sync.Mutex
	msgs     []received
	count    int                       // messages received, kept or not
	accepted int                       // connections accepted so far
	open     map[*trackedConn]struct{} // connections not yet closed
	changed  chan struct{}             // a connection closed (a hint, capacity 1)
}

// startServer runs a server for the duration of the test.
func startServer(t testing.TB, cfg serverConfig) *testServer {
	t.Helper()
	ts := &testServer{cfg: cfg, open: map[*trackedConn]struct{}{}, changed: make(chan struct{}, 1)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = cfg.insecureAuth
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener = trackingListener{raw, ts}
	switch cfg.tls {
	case "starttls":
		srv.TLSConfig = serverTLS(t)
	case "implicit":
		ln = tls.NewListener(ln, serverTLS(t))
	}
	ts.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp server: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		ln.Close() // Serve may not have registered it with srv yet
		<-done
	})
	return ts
}

// startSilentServer accepts connections and never greets: only the
// client's context (or its timeout) ends its wait. Every connection it
// accepts is also sent on accepted, and closed at cleanup.
func startSilentServer(t testing.TB) (addr string, accepted <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 16)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case ch <- c:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), ch
}

// url builds the PORTICO_MAIL_URL that reaches this server.
func (ts *testServer) url(scheme, userinfo, query string) string {
	u := scheme + "://"
	if userinfo != "" {
		u += userinfo + "@"
	}
	u += "127.0.0.1:" + strconv.Itoa(ts.port)
	if query != "" {
		u += "?" + query
	}
	return u
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

// connections returns how many connections were accepted so far and how
// many of them are still open.
func (ts *testServer) connections() (accepted, open int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.accepted, len(ts.open)
}

// waitOpen waits until exactly n connections are open.
func (ts *testServer) waitOpen(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if _, open := ts.connections(); open == n {
			return
		}
		select {
		case <-ts.changed:
		case <-timeout:
			_, open := ts.connections()
			t.Fatalf("%d connections open, want %d", open, n)
		}
	}
}

// dropAll closes every open connection from the server's side, as a server
// does with idle clients; with421 first says so ("421 closing"), as
// Postfix and go-smtp do, otherwise the client just reads EOF.
func (ts *testServer) dropAll(with421 bool) {
	ts.mu.Lock()
	conns := make([]*trackedConn, 0, len(ts.open))
	for c := range ts.open {
		conns = append(conns, c)
	}
	ts.mu.Unlock()
	for _, c := range conns {
		if with421 {
			_, _ = c.Conn.Write([]byte("421 4.4.2 Idle timeout, closing\r\n"))
		}
		_ = c.Close()
	}
}

// trackingListener counts the connections it hands to the server.
type trackingListener struct {
	net.Listener
	ts *testServer
}

func (l trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, ts: l.ts}
	l.ts.mu.Lock()
	l.ts.accepted++
	l.ts.open[tc] = struct{}{}
	l.ts.mu.Unlock()
	return tc, nil
}

// trackedConn tells its server when it closes.
type trackedConn struct {
	net.Conn
	ts   *testServer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.ts.mu.Lock()
		delete(c.ts.open, c)
		c.ts.mu.Unlock()
		select {
		case c.ts.changed <- struct{}{}:
		default:
		}
	})
	return c.Conn.Close()
}

// session records one SMTP conversation; it implements smtp.AuthSession.
type session struct {
	ts   *testServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string {
	switch {
	case s.ts.cfg.user == "":
		return nil
	case s.ts.cfg.loginOnly:
		return []string{sasl.Login}
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.ts.cfg.user || pass != s.ts.cfg.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}
	switch {
	case mech == sasl.Plain && !s.ts.cfg.loginOnly:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case mech == sasl.Login && s.ts.cfg.loginOnly:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks:
// "Username:" and "Password:" challenges, one answer each.
type loginServer struct {
	check      func(user, pass string) error
	step       int
	user, pass string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	case 3:
		l.pass = string(response)
		return nil, true, l.check(l.user, l.pass)
	}
	return nil, false, errors.New("unexpected AUTH LOGIN step")
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.cfg.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	if e := s.ts.cfg.mailErr; e != nil {
		return e
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.ts.cfg.rcptErr; e != nil && (s.ts.cfg.refuse == "" || s.ts.cfg.refuse == to) {
		return e
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if e := s.ts.cfg.dataErr; e != nil {
		return e
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	s.ts.count++
	if !s.ts.cfg.discard {
		s.ts.msgs = append(s.ts.msgs, received{from: s.from, to: s.to, data: data, user: s.user, tls: isTLS})
	}
	s.ts.mu.Unlock()
	if d := s.ts.cfg.dropAfterData; d != "" && slices.Contains(s.to, d) {
		return s.conn.Conn().Close() // no reply: the client cannot know
	}
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1, made once per run.
var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "portico test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

func serverTLS(t testing.TB) *tls.Config {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// clientTLS trusts the test certificate only, as production trusts the
// system roots.
func clientTLS(t testing.TB) *tls.Config {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
