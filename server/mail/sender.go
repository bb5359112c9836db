package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Transport is the Sender NewSender builds. Close (at shutdown) quits the
// connections kept open between messages; a Send still running finishes
// and closes its own, later ones fail.
type Transport interface {
	Sender
	Close() error
}

// Options tune NewSender.
type Options struct {
	// TLSConfig is used for STARTTLS and implicit TLS. nil: system roots.
	// Without a ServerName, the host of the URL is verified.
	TLSConfig *tls.Config
	// Timeout bounds dialing and each exchange with the server; default 30s.
	Timeout time.Duration
	// Log receives the messages of log://; default os.Stdout.
	Log io.Writer
	// HelloName is the EHLO name; default the machine's host name.
	HelloName string
	// PoolSize bounds the SMTP sessions open at once
	// (PORTICO_MAIL_POOL_SIZE); default 4.
	PoolSize int
	// Now is the clock that ages idle sessions; default time.Now.
	Now func() time.Time
}

// Default ports: submission with STARTTLS and submissions (RFC 8314).
const (
	defaultSMTPPort  = 587
	defaultSMTPSPort = 465
	defaultTimeout   = 30 * time.Second
)

// NewSender builds a sender from PORTICO_MAIL_URL:
//
//	log://                        print every message (development)
//	smtp://user:pass@host:port    STARTTLS when offered; ?tls=required insists, ?tls=none never; port 587
//	smtps://user:pass@host:port   implicit TLS; port 465
//
// User and password are URL-decoded; with a user, PLAIN or LOGIN auth is
// used. Over a connection that is not encrypted, the password is sent only
// with ?tls=none (an explicit choice) or to the loopback address, so a
// STARTTLS stripped by an attacker cannot leak it.
//
// SMTP sessions are kept open and reused (see pool.go), at most
// opts.PoolSize at once.
func NewSender(mailURL string, opts Options) (Transport, error) {
	u, err := url.Parse(mailURL)
	if err != nil {
		return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "log":
		w := opts.Log
		if w == nil {
			w = os.Stdout
		}
		return &logSender{w: w}, nil
	case "smtp", "smtps":
		return newSMTPSender(u, opts)
	default:
		return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: unsupported scheme %q (want log, smtp or smtps)", u.Scheme)
	}
}

// logSender prints messages instead of sending them.
type logSender struct {
	mu sync.Mutex // one message at a time, never interleaved
	w  io.Writer
}

// urlPattern finds links in a text body; trailing punctuation is trimmed
// afterwards.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

func (s *logSender) Send(_ context.Context, m Message) error {
	raw, err := m.Bytes(time.Now())
	if err != nil {
		return err
	}
	// The body is quoted-printable, which breaks long links with soft line
	// breaks: list them once more, whole, so the portal link can be copied.
	var links []string
	for _, l := range urlPattern.FindAllString(m.Text, -1) {
		l = strings.TrimRight(l, ".,;:!?)]}'")
		if !contains(links, l) {
			links = append(links, l)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = fmt.Fprintf(s.w, "%s\r\nportico mail: to=%s subject=%q links: %s\n",
		raw, m.To.Email, m.Subject, strings.Join(links, " "))
	if err != nil {
		return fmt.Errorf("mail: log: %w", err)
	}
	return nil
}

// Close has nothing to release.
func (s *logSender) Close() error { return nil }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tlsMode is the ?tls= setting of smtp://.
type tlsMode int

const (
	tlsOpportunistic tlsMode = iota
	tlsRequired
	tlsNone
	tlsImplicit // smtps://
)

// smtpSender keeps up to a pool's worth of SMTP sessions open and sends
// one message at a time on each: a confirmation per ticket must not cost a
// TCP and TLS handshake, EHLO and AUTH each.
type smtpSender struct {
	host, user, pass string
	port             int
	mode             tlsMode
	auth             bool
	tlsConfig        *tls.Config
	timeout          time.Duration
	helo             string
	pool             *pool
}

func newSMTPSender(u *url.URL, opts Options) (*smtpSender, error) {
	s := &smtpSender{host: u.Hostname(), timeout: opts.Timeout, helo: opts.HelloName}
	if s.host == "" {
		return nil, errors.New("mail: PORTICO_MAIL_URL: missing host")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: unexpected path %q", u.Path)
	}
	implicit := strings.EqualFold(u.Scheme, "smtps")
	s.port = defaultSMTPPort
	if implicit {
		s.port, s.mode = defaultSMTPSPort, tlsImplicit
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: bad port %q", p)
		}
		s.port = n
	}
	q := u.Query()
	for k := range q {
		if k != "tls" { // a typo must not silently weaken TLS
			return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: unknown parameter %q", k)
		}
	}
	switch v := strings.ToLower(q.Get("tls")); {
	case v == "" || v == "opportunistic":
	case v == "required" && !implicit:
		s.mode = tlsRequired
	case v == "none" && !implicit:
		s.mode = tlsNone
	case v == "required" && implicit: // smtps is always TLS
	default:
		return nil, fmt.Errorf("mail: PORTICO_MAIL_URL: bad tls=%q for %s (want required or none)", v, u.Scheme)
	}
	if u.User != nil && u.User.Username() != "" {
		s.auth = true
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.timeout <= 0 {
		s.timeout = defaultTimeout
	}
	if opts.TLSConfig != nil {
		s.tlsConfig = opts.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	if s.helo == "" {
		// Once here rather than by go-mail on every session.
		if h, err := os.Hostname(); err == nil {
			s.helo = h
		}
	}
	size, now := opts.PoolSize, opts.Now
	if size <= 0 {
		size = defaultPoolSize
	}
	if now == nil {
		now = time.Now
	}
	s.pool = newPool(size, sessionMaxMessages, sessionIdleTimeout, now)
	return s, nil
}

// Send delivers m on a pooled session, or on a new one. Cancelling ctx
// closes the connection, so a stopping worker does not wait for the
// timeout.
//
// A session that had been idle may have been closed by the server
// meanwhile; that shows on the first command (MAIL), before anything of
// the message was sent, so the message is then tried once more on a new
// connection. Any later failure is reported: once the message's data went
// out, the server may have accepted it, and sending it again could deliver
// it twice.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	msg, err := m.build(time.Now())
	if err != nil {
		return err
	}
	sess, err := s.pool.get(ctx)
	if err != nil {
		return s.failed(ctx, m, err)
	}
	if sess != nil {
		err = s.deliver(ctx, sess, msg)
		if err == nil || ctx.Err() != nil || !closedWhileIdle(err) {
			return s.finish(ctx, m, msg, sess, err)
		}
		_ = sess.conn.Close() // its slot goes to the new session
	}
	sess, err = s.open(ctx)
	if err != nil {
		s.pool.drop(nil)
		return s.failed(ctx, m, err)
	}
	return s.finish(ctx, m, msg, sess, s.deliver(ctx, sess, msg))
}

// finish hands the session back (or closes it, on any error) and reports
// the outcome of one message.
func (s *smtpSender) finish(ctx context.Context, m Message, msg *gomail.Msg, sess *smtpSession, err error) error {
	switch {
	case err == nil:
		s.pool.put(sess)
		return nil
	case msg.IsDelivered():
		// The server accepted the message (250 after DATA); only what came
		// after failed. Reporting an error would make the worker send twice.
		s.pool.drop(sess)
		return nil
	}
	// Whatever failed (a 5xx for this recipient, a 4xx, a broken
	// connection), the next message gets a session in a known state.
	s.pool.drop(sess)
	return s.failed(ctx, m, err)
}

func (s *smtpSender) failed(ctx context.Context, m Message, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("mail: send to %s via %s: %w (%w)", m.To.Email, s.addr(), ctx.Err(), err)
	}
	return fmt.Errorf("mail: send to %s via %s: %w", m.To.Email, s.addr(), err)
}

// open dials and greets a new session (STARTTLS and AUTH as configured).
func (s *smtpSender) open(ctx context.Context) (*smtpSession, error) {
	sess := &smtpSession{}
	// go-mail dials once, synchronously, inside DialToSMTPClientWithContext;
	// the greeting, STARTTLS and AUTH run on deadlines only, so ctx closes
	// the connection.
	stop := func() bool { return true }
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := s.dial(dctx, network, addr)
		if err == nil {
			sess.conn = conn
			stop = context.AfterFunc(ctx, func() { conn.Close() })
		}
		return conn, err
	}
	client, err := gomail.NewClient(s.host, s.clientOptions(dial)...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	sess.client = client
	sess.smtp, err = client.DialToSMTPClientWithContext(ctx)
	stopped := stop()
	if err == nil && !stopped {
		err = ctx.Err()
	}
	if err != nil {
		if sess.conn != nil {
			_ = sess.conn.Close() // go-mail leaves it open when the greeting fails
		}
		return nil, fmt.Errorf("dial failed: %w", err)
	}
	return sess, nil
}

// deliver sends one message on sess.
func (s *smtpSender) deliver(ctx context.Context, sess *smtpSession, msg *gomail.Msg) error {
	stop := context.AfterFunc(ctx, func() { sess.conn.Close() })
	err := sess.client.SendWithSMTPClient(sess.smtp, msg)
	if !stop() {
		sess.dead = true
	}
	sess.sent++
	return err
}

// closedWhileIdle reports a failure of a reused session's first command,
// MAIL, that says the server had closed the connection (no reply at all, or
// 421 "closing"): no transaction had begun.
func closedWhileIdle(err error) bool {
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) {
		return false
	}
	switch sendErr.Reason {
	case gomail.ErrConnCheck:
		return true
	case gomail.ErrSMTPMailFrom:
		code := sendErr.ErrorCode()
		return code == 0 || code == 421
	}
	return false
}

// Close quits the idle sessions; sessions still sending close when done.
func (s *smtpSender) Close() error {
	s.pool.close()
	return nil
}

func (s *smtpSender) addr() string {
	return net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// dial connects, with TLS first for smtps://. go-mail skips its own TLS
// dialer when given a dial function, so this one does it. go-mail's address
// is ignored: it lacks the brackets an IPv6 literal needs.
func (s *smtpSender) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	addr := s.addr()
	d := &net.Dialer{Timeout: s.timeout}
	if s.mode == tlsImplicit {
		td := &tls.Dialer{NetDialer: d, Config: s.tlsConfig}
		return td.DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}

func (s *smtpSender) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(dial),
		// A transaction ends with the reply to DATA (RFC 5321 4.1.1.4) and
		// a session that fails is closed, so neither a NOOP before nor a
		// RSET after each message is needed: each would cost a round trip.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch s.mode {
	case tlsImplicit:
		opts = append(opts, gomail.WithSSL())
	case tlsRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case tlsNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.helo != "" {
		opts = append(opts, gomail.WithHELO(s.helo))
	}
	if s.auth {
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if s.mode == tlsNone {
			// The operator chose a plaintext link (a relay on a private
			// network); go-mail otherwise refuses passwords in clear.
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass),
		)
	}
	return opts
}

// IsPermanent reports whether retrying err is pointless: the server answered
// 5xx (bad credentials, unknown recipient, message refused) or the message
// itself is invalid (ErrInvalidMessage, e.g. a bad recipient address).
// Network failures, timeouts, 4xx answers and anything unknown are
// temporary, so a job retries them; so are configuration problems such as a
// missing STARTTLS or an untrusted certificate, which mail outlives once the
// operator fixes them.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	// Replies during EHLO, STARTTLS and AUTH arrive as textproto errors.
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		return tpErr.Code >= 500 && tpErr.Code < 600
	}
	// Replies during MAIL, RCPT and DATA arrive wrapped in a SendError, which
	// does not unwrap but keeps the reply code. Its own IsTemp is not used:
	// it calls a network error (no code) permanent.
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		if code := sendErr.ErrorCode(); code != 0 {
			return code >= 500 && code < 600
		}
		switch sendErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return true
		}
	}
	return false
}
