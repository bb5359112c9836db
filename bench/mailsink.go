package main

import (
	"bufio"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// mailSink is a minimal SMTP server on 127.0.0.1 that accepts every message
// and throws it away. The server sends its mail (a confirmation per widget
// ticket) there, as it would to a relay in production: the default log://
// transport would print every message, and the benchmark would measure the
// terminal.
type mailSink struct {
	ln       net.Listener
	received atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func startMailSink() (*mailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &mailSink{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	return s, nil
}

// url is PORTICO_MAIL_URL for the server: plain SMTP, no authentication.
func (s *mailSink) url() string { return "smtp://" + s.ln.Addr().String() + "?tls=none" }

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
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			if !reply("250 bench") {
				return
			}
		case "DATA":
			if !reply("354 end with <CRLF>.<CRLF>") {
				return
			}
			if _, err := io.Copy(io.Discard, r.DotReader()); err != nil {
				return
			}
			s.received.Add(1)
			if !reply("250 queued") {
				return
			}
		case "QUIT":
			reply("221 bye")
			return
		default: // MAIL, RCPT, RSET, NOOP
			if !reply("250 ok") {
				return
			}
		}
	}
}
