package mail

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Pool limits: how long a session may wait for its next message, and how
// many it carries before it is closed (servers limit mails per connection;
// a fresh session picks up a changed DNS record or certificate).
const (
	defaultPoolSize    = 4
	sessionIdleTimeout = 30 * time.Second
	sessionMaxMessages = 100
	// quitTimeout bounds the polite QUIT when a healthy session is closed,
	// so that shutting down never waits the full exchange timeout.
	quitTimeout = 2 * time.Second
)

// errSenderClosed is returned by Send after Close.
var errSenderClosed = errors.New("mail: sender closed")

// smtpSession is one open SMTP connection, greeted (and encrypted and
// authenticated as configured), between two messages.
type smtpSession struct {
	client *gomail.Client // the options; never shared between sessions
	smtp   *smtp.Client
	conn   net.Conn
	sent   int
	// dead is set when the connection was closed under the session (the
	// caller's context ended): it must not go back to the pool.
	dead bool

	idleSince time.Time   // guarded by pool.mu while idle
	timer     *time.Timer // closes the session once idle too long
}

// quit ends a healthy session; errors are of no interest any more.
func (s *smtpSession) quit() {
	_ = s.smtp.UpdateDeadline(quitTimeout)
	_ = s.smtp.Quit()
	_ = s.conn.Close()
}

// pool holds at most size open sessions, in use or idle. An idle session is
// reused newest first, so that in quiet times the others reach the idle
// timeout and close.
type pool struct {
	slots       chan struct{} // one token per open session
	freed       chan struct{} // a session went idle (capacity 1: a hint, passed on)
	done        chan struct{} // closed by close
	idleTimeout time.Duration
	maxMessages int
	now         func() time.Time

	mu       sync.Mutex
	idle     []*smtpSession // newest last
	closed   bool
	expiring sync.WaitGroup // idle timers closing sessions
}

func newPool(size, maxMessages int, idleTimeout time.Duration, now func() time.Time) *pool {
	return &pool{
		slots:       make(chan struct{}, size),
		freed:       make(chan struct{}, 1),
		done:        make(chan struct{}),
		idleTimeout: idleTimeout,
		maxMessages: maxMessages,
		now:         now,
	}
}

// get returns an idle session, or nil when the caller now holds a slot and
// must open a session itself (and give the slot back with drop if that
// fails). It waits while every slot is taken.
func (p *pool) get(ctx context.Context) (*smtpSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // a healthy session would only be closed under it
	}
	for {
		if s, err := p.takeIdle(); s != nil || err != nil {
			return s, err
		}
		select {
		case p.slots <- struct{}{}:
			select {
			case <-p.done: // both were ready; closed wins
				<-p.slots
				return nil, errSenderClosed
			default:
				return nil, nil
			}
		case <-p.freed:
		case <-p.done:
			return nil, errSenderClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (p *pool) takeIdle() (*smtpSession, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errSenderClosed
	}
	var stale []*smtpSession
	var s *smtpSession
	for s == nil && len(p.idle) > 0 {
		last := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		last.timer.Stop()
		if p.now().Sub(last.idleSince) >= p.idleTimeout {
			stale = append(stale, last)
			continue
		}
		s = last
	}
	if s != nil && len(p.idle) > 0 {
		p.signal() // another waiter may take the next one
	}
	p.mu.Unlock()
	for _, st := range stale {
		p.retire(st)
	}
	return s, nil
}

// put returns a session after a message went out: to the idle list, or
// closed when it has carried its share or the pool is closed.
func (p *pool) put(s *smtpSession) {
	p.mu.Lock()
	if p.closed || s.dead || s.sent >= p.maxMessages {
		p.mu.Unlock()
		p.retire(s)
		return
	}
	s.idleSince = p.now()
	s.timer = time.AfterFunc(p.idleTimeout, func() { p.expire(s) })
	p.idle = append(p.idle, s)
	p.mu.Unlock()
	p.signal()
}

// drop closes a session that failed (nil: one that was never opened)
// without QUIT, since its state is unknown, and frees its slot.
func (p *pool) drop(s *smtpSession) {
	if s != nil {
		_ = s.conn.Close()
	}
	<-p.slots
	p.signal()
}

// retire closes a healthy session with QUIT and frees its slot.
func (p *pool) retire(s *smtpSession) {
	s.quit()
	<-p.slots
	p.signal()
}

// expire closes s if it is still idle and has been for idleTimeout by the
// pool's clock; it runs on s's timer.
func (p *pool) expire(s *smtpSession) {
	p.mu.Lock()
	i := slices.Index(p.idle, s)
	if p.closed || i < 0 || p.now().Sub(s.idleSince) < p.idleTimeout {
		p.mu.Unlock()
		return
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	p.expiring.Add(1)
	p.mu.Unlock()
	defer p.expiring.Done()
	p.retire(s)
}

// signal wakes one goroutine waiting in get, if any; a wake-up nobody
// needs is harmless (get looks again and waits again).
func (p *pool) signal() {
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// close quits every idle session and waits for that; sessions in use are
// closed when their message is done. Later gets fail.
func (p *pool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	idle := p.idle
	p.idle = nil
	for _, s := range idle {
		s.timer.Stop()
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range idle {
		wg.Go(func() { p.retire(s) })
	}
	wg.Wait()
	p.expiring.Wait()
}
