package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MailSink is a minimal SMTP server on 127.0.0.1 that accepts every message
// and keeps only its Message-ID and when it arrived, except the messages to
// an address a caller is waiting for (see Expect), which it hands over
// whole. The server sends its mail there, as it would to a relay in
// production: the default log:// transport would print every message, and
// the tools would measure the terminal. Stop and Restart make an outage on
// the same address.
type MailSink struct {
	addr     string
	received atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	ln       net.Listener // nil while stopped
	conns    map[net.Conn]struct{}
	waiting  map[string]chan []byte // by lowercased recipient address
	arrivals map[string][]time.Time // by Message-ID: when each copy was accepted
}

// StartMailSink listens on a free loopback port.
func StartMailSink() (*MailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &MailSink{addr: ln.Addr().String(), conns: map[net.Conn]struct{}{},
		waiting: map[string]chan []byte{}, arrivals: map[string][]time.Time{}}
	s.serve(ln)
	return s, nil
}

// URL is PORTICO_MAIL_URL for the server: plain SMTP, no authentication.
func (s *MailSink) URL() string { return "smtp://" + s.addr + "?tls=none" }

// Addr is host:port.
func (s *MailSink) Addr() string { return s.addr }

// Received is how many messages the sink has accepted in all.
func (s *MailSink) Received() int64 { return s.received.Load() }

// Arrivals returns, by Message-ID (with its angle brackets), when each copy
// was accepted: a Message-ID with two times arrived twice.
func (s *MailSink) Arrivals() map[string][]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]time.Time, len(s.arrivals))
	for id, at := range s.arrivals {
		out[id] = append([]time.Time(nil), at...)
	}
	return out
}

// Expect returns a channel that receives the raw text (headers and body) of
// the next message sent to addr; the sink stops watching addr once it has
// delivered one, or after Forget.
func (s *MailSink) Expect(addr string) <-chan []byte {
	ch := make(chan []byte, 1)
	s.mu.Lock()
	s.waiting[strings.ToLower(addr)] = ch
	s.mu.Unlock()
	return ch
}

// Forget stops watching addr (a caller that gave up waiting).
func (s *MailSink) Forget(addr string) {
	s.mu.Lock()
	delete(s.waiting, strings.ToLower(addr))
	s.mu.Unlock()
}

// claim returns, and stops watching, the channel of the first watched
// address among rcpts; nil when none is watched.
func (s *MailSink) claim(rcpts []string) chan []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rcpts {
		if ch, ok := s.waiting[r]; ok {
			delete(s.waiting, r)
			return ch
		}
	}
	return nil
}

// Stop takes the sink down until Restart, as in an outage: new connections
// are refused and open sessions are cut, the ones a client keeps open for
// its next mail included. A message whose "250" had not been written when
// its session was cut does not count as accepted.
func (s *MailSink) Stop() {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Restart brings a stopped sink back on the same address.
func (s *MailSink) Restart() error {
	var ln net.Listener
	var err error
	// The port was ours a moment ago; give the kernel a moment if needed.
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("mail sink: listen again on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// Close stops the sink for good and waits for its sessions to end.
func (s *MailSink) Close() {
	s.Stop()
	s.wg.Wait()
}

func (s *MailSink) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Go(func() { s.accept(ln) })
}

func (s *MailSink) accept(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.ln != ln { // stopped between Accept and here
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			s.session(conn)
		})
	}
}

// session speaks just enough SMTP for one client: every command succeeds.
func (s *MailSink) session(conn net.Conn) {
	r := textproto.NewReader(bufio.NewReader(conn))
	w := bufio.NewWriter(conn)
	reply := func(line string) bool {
		// A client that stopped talking must not hold the sink open.
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		_, err := w.WriteString(line + "\r\n")
		return err == nil && w.Flush() == nil
	}
	if !reply("220 bench ESMTP sink") {
		return
	}
	var rcpts []string // of the current transaction
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			if !reply("250 bench") {
				return
			}
		case "MAIL", "RSET":
			rcpts = rcpts[:0]
			if !reply("250 ok") {
				return
			}
		case "RCPT":
			rcpts = append(rcpts, rcptAddress(arg))
			if !reply("250 ok") {
				return
			}
		case "DATA":
			if !reply("354 end with <CRLF>.<CRLF>") {
				return
			}
			ch := s.claim(rcpts)
			var raw bytes.Buffer
			id, err := readMessage(r.DotReader(), ch != nil, &raw)
			if err != nil {
				return
			}
			// Accepted once the client has been told so: a session cut
			// before that leaves the message to the client's retry.
			if !reply("250 queued") {
				return
			}
			s.received.Add(1)
			s.mu.Lock()
			s.arrivals[id] = append(s.arrivals[id], time.Now())
			s.mu.Unlock()
			if ch != nil {
				ch <- raw.Bytes()
			}
			rcpts = rcpts[:0]
		case "QUIT":
			reply("221 bye")
			return
		default: // NOOP and anything else
			if !reply("250 ok") {
				return
			}
		}
	}
}

// readMessage reads one message to its end and returns its Message-ID;
// keep also copies the raw message into raw.
func readMessage(dot io.Reader, keep bool, raw *bytes.Buffer) (string, error) {
	src := dot
	if keep {
		src = io.TeeReader(dot, raw)
	}
	br := bufio.NewReader(src)
	// A header that does not parse leaves the Message-ID empty; the
	// message still counts.
	header, _ := textproto.NewReader(br).ReadMIMEHeader()
	if _, err := io.Copy(io.Discard, br); err != nil {
		return "", err
	}
	return strings.TrimSpace(header.Get("Message-Id")), nil
}

// rcptAddress is the lowercased address of "TO:<a@b> [params]".
func rcptAddress(arg string) string {
	_, addr, _ := strings.Cut(arg, ":")
	addr = strings.TrimSpace(addr)
	if i := strings.IndexByte(addr, '>'); i >= 0 {
		addr = addr[:i]
	}
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(addr), "<"))
}
