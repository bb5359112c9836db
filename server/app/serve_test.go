package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/store"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// slowLimiter holds every submission for a while, so that a test can shut
// the server down while a request is in flight.
type slowLimiter struct {
	ratelimit.Limiter
	entered chan struct{}
	delay   time.Duration
}

func (s slowLimiter) AllowAll(ctx context.Context, checks ...ratelimit.Check) (ratelimit.Result, error) {
	s.entered <- struct{}{}
	time.Sleep(s.delay)
	return s.Limiter.AllowAll(ctx, checks...)
}

// Shutting down (SIGTERM in production cancels the context) lets a request in
// flight finish and then returns cleanly.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	limiter := slowLimiter{Limiter: ratelimit.NewMemory(time.Now), entered: make(chan struct{}, 1), delay: 500 * time.Millisecond}
	a := newApp(t, env(t, store.SQLite), app.Deps{Limiter: limiter})
	ln := listen(t)
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	status := make(chan int, 1)
	go func() {
		res, err := http.Post(url+"/support/widget/tickets", "application/json", strings.NewReader(ticketBody("inflight@example.com")))
		if err != nil {
			t.Error(err)
			status <- 0
			return
		}
		res.Body.Close()
		status <- res.StatusCode
	}()
	<-limiter.entered
	cancel()
	if s := <-status; s != 201 {
		t.Fatalf("request in flight during shutdown: %d, want 201", s)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// A huge body is refused from its Content-Length, still with a JSON answer:
// the server reads only its first few KiB (fasthttp prefetches up to 8 KiB
// of a streamed body), so the client gets its 413 after sending 16 KiB of
// the announced 50 MiB.
func TestHugeBody(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Serve(ctx, ln)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /support/widget/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 50<<20)
	if _, err := conn.Write(bytes.Repeat([]byte("x"), 16<<10)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	if res.StatusCode != 413 || !json.Valid(msg) {
		t.Fatalf("50 MiB body: %d %q", res.StatusCode, msg)
	}
}

// brokenLimiter stands for an unreachable Redis.
type brokenLimiter struct{ ratelimit.Limiter }

func (brokenLimiter) AllowAll(ctx context.Context, checks ...ratelimit.Check) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

// With the shared limiter down, submissions fall back to the per-instance
// budget (the app wraps Redis in ratelimit.Fallback; faults_test.go drives a
// real Redis client at a closed port): accepted within it, 429 beyond it,
// never a 5xx.
func TestLimiterDown(t *testing.T) {
	t.Parallel()
	vars := env(t, store.SQLite)
	vars["PORTICO_WIDGET_LIMIT_PER_EMAIL"] = "2/1h"
	limiter := &ratelimit.Fallback{Primary: brokenLimiter{ratelimit.NewMemory(time.Now)}, Secondary: ratelimit.NewMemory(time.Now),
		Log: slog.New(slog.DiscardHandler)}
	a := newApp(t, vars, app.Deps{Limiter: limiter})
	for i, want := range []int{201, 201, 429} {
		if r := fileTicket(t, a, ticketBody("down@example.com")); r.Status != want {
			t.Fatalf("submission %d with the shared limiter down: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
	}
	list := do(t, a, req{method: "GET", path: "/support/admin/tickets", header: bearer()}).json(t)
	if list["total"].(float64) != 2 {
		t.Fatalf("tickets stored: %v, want 2", list["total"])
	}
}

// A limiter that cannot answer at all (no fallback) refuses submissions with
// 503 and stores nothing: the service fails closed rather than unlimited.
func TestLimiterFailsClosed(t *testing.T) {
	t.Parallel()
	a := newApp(t, env(t, store.SQLite), app.Deps{Limiter: brokenLimiter{ratelimit.NewMemory(time.Now)}})
	r := fileTicket(t, a, ticketBody("down@example.com"))
	if r.Status != 503 || r.Header.Get("Retry-After") == "" || strings.Contains(string(r.Body), "6379") {
		t.Fatalf("limiter down: %d %v %s", r.Status, r.Header, r.Body)
	}
	list := do(t, a, req{method: "GET", path: "/support/admin/tickets", header: bearer()}).json(t)
	if list["total"].(float64) != 0 {
		t.Fatalf("tickets stored while the limiter was down: %v", list["total"])
	}
}
