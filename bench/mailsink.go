package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// mailSink is a minimal SMTP server on 127.0.0.1 that accepts every message
// and throws it away, except messages to an address a scenario's setup is
// waiting for (see expect). The server sends its mail (a confirmation per
// widget ticket) there, as it would to a relay in production: the default
// log:// transport would print every message, and the benchmark would
// measure the terminal.
type mailSink struct {
	ln       net.Listener
	received atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	waiting  map[string]chan []byte // by lowercased recipient address
}

func startMailSink() (*mailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &mailSink{ln: ln, conns: map[net.Conn]struct{}{}, waiting: map[string]chan []byte{}}
	s.wg.Go(s.accept)
	return s, nil
}

// url is PORTICO_MAIL_URL for the server: plain SMTP, no authentication.
func (s *mailSink) url() string { return "smtp://" + s.ln.Addr().String() + "?tls=none" }

// expect returns a channel that receives the raw text (headers and body) of
// the next message sent to addr; the sink stops watching addr once it has
// delivered one, or after forget.
func (s *mailSink) expect(addr string) <-chan []byte {
	ch := make(chan []byte, 1)
	s.mu.Lock()
	s.waiting[strings.ToLower(addr)] = ch
	s.mu.Unlock()
	return ch
}

// forget stops watching addr (a setup that gave up waiting).
func (s *mailSink) forget(addr string) {
	s.mu.Lock()
	delete(s.waiting, strings.ToLower(addr))
	s.mu.Unlock()
}

// claim returns, and stops watching, the channel of the first watched
// address among rcpts; nil when none is watched.
func (s *mailSink) claim(rcpts []string) chan []byte {
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

// close stops accepting, ends open sessions and waits for them.
func (s *mailSink) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *mailSink) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
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
func (s *mailSink) session(conn net.Conn) {
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
			var buf bytes.Buffer
			dst := io.Discard
			if ch != nil {
				dst = &buf
			}
			if _, err := io.Copy(dst, r.DotReader()); err != nil {
				return
			}
			if ch != nil {
				ch <- buf.Bytes()
			}
			s.received.Add(1)
			rcpts = rcpts[:0]
			if !reply("250 queued") {
				return
			}
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

// rcptAddress is the lowercased address of "TO:<a@b> [params]".
func rcptAddress(arg string) string {
	_, addr, _ := strings.Cut(arg, ":")
	addr = strings.TrimSpace(addr)
	if i := strings.IndexByte(addr, '>'); i >= 0 {
		addr = addr[:i]
	}
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(addr), "<"))
}
