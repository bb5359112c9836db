package mail

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// newTestSender builds an smtp:// sender for ts, closed at the end of the
// test.
func newTestSender(t testing.TB, ts *testServer, opts Options) *smtpSender {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	s, err := NewSender(ts.url("smtp", "", ""), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*smtpSender)
}

// numbered is the n-th of several distinct messages to to.
func numbered(t testing.TB, n int, to string) Message {
	t.Helper()
	text, html, err := ComposeConfirmation(english(t), Confirmation{Reference: fmt.Sprintf("TK-%d", n), PortalURL: testPortal})
	if err != nil {
		t.Fatal(err)
	}
	return Message{
		From:      Address{Name: "Support", Email: "support@example.com"},
		To:        Address{Email: to},
		Subject:   ConfirmationSubject(english(t), fmt.Sprintf("TK-%d", n)),
		MessageID: FirstMessageID(int64(n), testDomain),
		Text:      text,
		HTML:      html,
	}
}

func sendCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Many messages at once share at most PoolSize connections, and every one
// arrives once.
func TestPoolSharesSessions(t *testing.T) {
	t.Parallel()
	const size, n = 3, 24
	ts := startServer(t, serverConfig{})
	s := newTestSender(t, ts, Options{PoolSize: size})
	ctx := sendCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		m := numbered(t, i+1, "jane@example.org")
		wg.Go(func() { errs <- s.Send(ctx, m) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var ids []string
	for _, r := range ts.received() {
		ids = append(ids, parse(t, r.data).GetHeader("Message-ID"))
	}
	if slices.Sort(ids); len(slices.Compact(ids)) != n {
		t.Errorf("server received %d distinct messages, want %d", len(ids), n)
	}
	if accepted, _ := ts.connections(); accepted > size || accepted >= n {
		t.Errorf("%d messages used %d connections, want at most %d", n, accepted, size)
	}
}

// A session carries at most sessionMaxMessages messages, then quits.
func TestPoolSessionMaxMessages(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{discard: true})
	s := newTestSender(t, ts, Options{PoolSize: 1})
	ctx := sendCtx(t)
	for i := range sessionMaxMessages + 1 {
		if err := s.Send(ctx, numbered(t, i+1, "jane@example.org")); err != nil {
			t.Fatal(err)
		}
	}
	ts.waitOpen(t, 1) // the first session has quit
	if accepted, _ := ts.connections(); accepted != 2 {
		t.Errorf("%d messages used %d connections, want 2", sessionMaxMessages+1, accepted)
	}
}

// A server that closes an idle connection costs nothing: the next message
// goes out on a new one.
func TestPoolServerClosedIdleSession(t *testing.T) {
	t.Parallel()
	for _, with421 := range []bool{false, true} {
		t.Run(fmt.Sprintf("421=%v", with421), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, serverConfig{})
			s := newTestSender(t, ts, Options{PoolSize: 1})
			ctx := sendCtx(t)
			if err := s.Send(ctx, numbered(t, 1, "jane@example.org")); err != nil {
				t.Fatal(err)
			}
			ts.dropAll(with421)
			ts.waitOpen(t, 0)
			if err := s.Send(ctx, numbered(t, 2, "jane@example.org")); err != nil {
				t.Fatalf("send after the server closed the idle session: %v", err)
			}
			if n := len(ts.received()); n != 2 {
				t.Errorf("server received %d messages, want 2", n)
			}
			if accepted, _ := ts.connections(); accepted != 2 {
				t.Errorf("%d connections, want 2", accepted)
			}
		})
	}
}

// When the connection breaks after the message's data went out, the server
// may have kept it: the error is reported (the job retries later, with the
// same Message-ID) and the message is not sent again at once.
func TestPoolNoResendAfterData(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{dropAfterData: "crash@example.org"})
	s := newTestSender(t, ts, Options{PoolSize: 1})
	ctx := sendCtx(t)
	if err := s.Send(ctx, numbered(t, 1, "jane@example.org")); err != nil {
		t.Fatal(err)
	}
	err := s.Send(ctx, numbered(t, 2, "crash@example.org")) // on the reused session
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if n := len(ts.received()); n != 2 {
		t.Errorf("server received %d messages, want 2 (no second copy)", n)
	}
	if err := s.Send(ctx, numbered(t, 3, "jane@example.org")); err != nil {
		t.Errorf("send after the broken session: %v", err)
	}
}

// A refused message (5xx, final; 4xx, retried by the job) does not affect
// the next one, which goes out with its own envelope.
func TestPoolRefusalDoesNotPoison(t *testing.T) {
	t.Parallel()
	for _, code := range []int{550, 451} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			refusal := &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "refused"}
			ts := startServer(t, serverConfig{rcptErr: refusal, refuse: "bad@example.org"})
			s := newTestSender(t, ts, Options{PoolSize: 1})
			ctx := sendCtx(t)
			if err := s.Send(ctx, numbered(t, 1, "jane@example.org")); err != nil {
				t.Fatal(err)
			}
			err := s.Send(ctx, numbered(t, 2, "bad@example.org"))
			if err == nil || IsPermanent(err) != (code >= 500) {
				t.Fatalf("err = %v, want permanent = %v", err, code >= 500)
			}
			if err := s.Send(ctx, numbered(t, 3, "joe@example.org")); err != nil {
				t.Fatalf("send after a refusal: %v", err)
			}
			got := ts.received()
			if len(got) != 2 || !slices.Equal(got[1].to, []string{"joe@example.org"}) {
				t.Fatalf("received %d messages, last to %v; want 2, the last to joe only", len(got), got[len(got)-1].to)
			}
			if id := parse(t, got[1].data).GetHeader("Message-ID"); id != FirstMessageID(3, testDomain) {
				t.Errorf("Message-ID = %q", id)
			}
		})
	}
}

// An idle session older than the idle timeout (by the injected clock) is
// quit, not used.
func TestPoolIdleTimeout(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	ts := startServer(t, serverConfig{})
	s := newTestSender(t, ts, Options{PoolSize: 1, Now: clock})
	ctx := sendCtx(t)
	send := func(n int) {
		t.Helper()
		if err := s.Send(ctx, numbered(t, n, "jane@example.org")); err != nil {
			t.Fatal(err)
		}
	}
	send(1)
	mu.Lock()
	now = now.Add(sessionIdleTimeout - time.Second)
	mu.Unlock()
	send(2)
	if accepted, _ := ts.connections(); accepted != 1 {
		t.Fatalf("%d connections after a short pause, want 1", accepted)
	}
	mu.Lock()
	now = now.Add(sessionIdleTimeout)
	mu.Unlock()
	send(3)
	ts.waitOpen(t, 1) // the old session quit
	if accepted, _ := ts.connections(); accepted != 2 {
		t.Errorf("%d connections after a long pause, want 2", accepted)
	}
}

// Close quits the idle sessions; later sends fail, temporarily.
func TestPoolClose(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverConfig{})
	s := newTestSender(t, ts, Options{PoolSize: 2})
	ctx := sendCtx(t)
	var wg sync.WaitGroup
	for i := range 4 {
		m := numbered(t, i+1, "jane@example.org")
		wg.Go(func() {
			if err := s.Send(ctx, m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, open := ts.connections(); open == 0 {
		t.Fatal("no session kept open")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ts.waitOpen(t, 0)
	err := s.Send(ctx, numbered(t, 5, "jane@example.org"))
	if !errors.Is(err, errSenderClosed) || IsPermanent(err) {
		t.Errorf("send after Close: %v, want a temporary errSenderClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// After Close and the server's goodbyes, no goroutine of the sender is
// left. Not parallel: parallel tests are paused while it runs, so the count
// is this test's alone.
func TestPoolCloseLeavesNoGoroutines(t *testing.T) {
	ts := startServer(t, serverConfig{})
	before := runtime.NumGoroutine()
	s, err := NewSender(ts.url("smtp", "", ""), Options{PoolSize: 3, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := sendCtx(t)
	var wg sync.WaitGroup
	for i := range 6 {
		m := numbered(t, i+1, "jane@example.org")
		wg.Go(func() {
			if err := s.Send(ctx, m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ts.waitOpen(t, 0)
	// The server's connection goroutines end just after their connections.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// A send that waits for a session gives up when its context ends, without
// opening a connection beyond the pool size.
func TestPoolWaitCancelled(t *testing.T) {
	t.Parallel()
	// A server that never greets holds the only session.
	addr, accepted := startSilentServer(t)
	s, err := NewSender("smtp://"+addr, Options{PoolSize: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	firstCtx, cancelFirst := context.WithCancel(t.Context())
	first := make(chan error, 1)
	m := numbered(t, 1, "jane@example.org")
	go func() { first <- s.Send(firstCtx, m) }()
	<-accepted // the first send is connected and waits for the greeting

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, numbered(t, 2, "jane@example.org")); !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Errorf("waiting send: %v, want a temporary DeadlineExceeded", err)
	}
	select {
	case <-accepted:
		t.Error("a second connection was opened beyond the pool size")
	default:
	}
	cancelFirst()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first send: %v, want Canceled", err)
	}
}

// The benchmarks send one confirmation at a time from several goroutines
// to the in-test server, over plain SMTP and over STARTTLS: pooled (up to
// sessionMaxMessages per session) against a new session per message (what
// every mail cost before the pool). conns/op is connections per message;
// cpu-µs/op the CPU time of the process (sender and in-test server
// together) per message.
func BenchmarkSendPooled(b *testing.B)   { benchmarkSend(b, sessionMaxMessages) }
func BenchmarkSendUnpooled(b *testing.B) { benchmarkSend(b, 1) }

func benchmarkSend(b *testing.B, perSession int) {
	for _, mode := range []string{"plain", "starttls"} {
		b.Run(mode, func(b *testing.B) {
			cfg := serverConfig{discard: true}
			if mode == "starttls" {
				cfg.tls = "starttls"
			}
			ts := startServer(b, cfg)
			s, err := NewSender(ts.url("smtp", "", ""), Options{TLSConfig: clientTLS(b), HelloName: "bench.test"})
			if err != nil {
				b.Fatal(err)
			}
			ss := s.(*smtpSender)
			ss.pool = newPool(defaultPoolSize, perSession, sessionIdleTimeout, time.Now)
			defer s.Close()
			m := numbered(b, 1, "jane@example.org")
			ctx := context.Background()
			b.SetParallelism(4) // goroutines per CPU: more senders than sessions, as with the job queue
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Send(ctx, m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if cpu > 0 {
				b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
			}
			accepted, _ := ts.connections()
			b.ReportMetric(float64(accepted)/float64(b.N), "conns/op")
		})
	}
}
