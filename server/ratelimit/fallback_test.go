package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// switchable fails while down is set and counts the calls that reach it.
type switchable struct {
	Limiter
	down  atomic.Bool
	calls atomic.Int32
}

func (s *switchable) AllowAll(ctx context.Context, checks ...Check) (Result, error) {
	s.calls.Add(1)
	if s.down.Load() {
		return Result{}, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return s.Limiter.AllowAll(ctx, checks...)
}

// logBuffer is a goroutine-safe slog text sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

func TestFallback(t *testing.T) {
	clock := newFakeClock()
	primary := &switchable{Limiter: NewMemory(clock.Now)}
	var logs logBuffer
	f := &Fallback{
		Primary: primary, Secondary: NewMemory(clock.Now), Now: clock.Now,
		Log: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	ctx := context.Background()
	two := Limit{Count: 2, Period: time.Hour}
	allow := func(step string, want bool) {
		t.Helper()
		res, err := f.Allow(ctx, "k", two)
		if err != nil || res.Allowed != want {
			t.Fatalf("%s: %+v, %v; want allowed=%v", step, res, err, want)
		}
	}

	allow("primary up", true)
	primary.down.Store(true)
	// The secondary has its own, untouched budget of two.
	allow("primary down, first", true)
	allow("primary down, second", true)
	allow("primary down, over the limit", false)
	if n := primary.calls.Load(); n != 2 {
		t.Errorf("primary asked %d times; want 2 (skipped during the cooldown)", n)
	}
	if n := logs.count("rate limiter unavailable"); n != 1 {
		t.Errorf("%d outage warnings, want 1:\n%s", n, logs.String())
	}

	// After the cooldown the primary is asked again; still down, but the
	// warning waits for LogEvery.
	clock.Advance(DefaultFallbackCooldown)
	allow("primary still down", false)
	if n := primary.calls.Load(); n != 3 {
		t.Errorf("primary asked %d times after the cooldown; want 3", n)
	}
	if n := logs.count("rate limiter unavailable"); n != 1 {
		t.Errorf("warned again within a minute:\n%s", logs.String())
	}
	clock.Advance(DefaultFallbackLogEvery)
	allow("a minute later", false) // the secondary refills one cell per 30 minutes
	if n := logs.count("rate limiter unavailable"); n != 2 || !strings.Contains(logs.String(), "failures=2") {
		t.Errorf("want a second warning counting 2 failures:\n%s", logs.String())
	}

	// Back: the primary answers (its own budget: one of two spent) and the
	// recovery is logged once.
	primary.down.Store(false)
	clock.Advance(DefaultFallbackCooldown)
	allow("primary back", true)
	allow("primary back, over its limit", false)
	if n := logs.count("rate limiter back"); n != 1 {
		t.Errorf("%d recovery messages, want 1:\n%s", n, logs.String())
	}
}

// Configuration errors and the caller's own cancellation are not outages.
func TestFallbackPassesThrough(t *testing.T) {
	primary := &switchable{Limiter: NewMemory(nil)}
	var logs logBuffer
	f := &Fallback{Primary: primary, Secondary: NewMemory(nil), Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if _, err := f.Allow(context.Background(), "k", Limit{}); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("invalid limit: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	primary.down.Store(true)
	if _, err := f.Allow(ctx, "k", Limit{Count: 1, Period: time.Hour}); err == nil {
		t.Error("a cancelled request was answered from the secondary")
	}
	if logs.String() != "" {
		t.Errorf("logged an outage:\n%s", logs.String())
	}
}

// A real Redis client pointed at a port nobody listens on: every call is
// answered from memory, the limit still holds per instance, and the outage
// is logged once.
func TestFallbackRedisUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connections to addr are now refused
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer client.Close()
	var logs logBuffer
	f := &Fallback{Primary: NewRedis(client, "x:"), Secondary: NewMemory(nil), Log: slog.New(slog.NewTextHandler(&logs, nil))}
	var admitted int
	for range 5 {
		res, err := f.Allow(context.Background(), "email", Limit{Count: 3, Period: time.Hour})
		if err != nil {
			t.Fatalf("error with Redis down: %v", err)
		}
		if res.Allowed {
			admitted++
		}
	}
	if admitted != 3 {
		t.Errorf("admitted %d of 5 with a limit of 3", admitted)
	}
	if n := logs.count("rate limiter unavailable"); n != 1 || !strings.Contains(logs.String(), "refused") {
		t.Errorf("want one warning naming the cause:\n%s", logs.String())
	}
}

// hanging stands for a Redis that drops packets: it answers only when the
// caller gives up.
type hanging struct{ Limiter }

func (hanging) AllowAll(ctx context.Context, _ ...Check) (Result, error) {
	<-ctx.Done()
	return Result{}, ctx.Err()
}

// A primary that never answers costs Timeout, once per Cooldown.
func TestFallbackTimeout(t *testing.T) {
	f := &Fallback{Primary: hanging{}, Secondary: NewMemory(nil), Timeout: 50 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)}
	start := time.Now()
	for range 3 {
		res, err := f.Allow(context.Background(), "k", Limit{Count: 5, Period: time.Hour})
		if err != nil || !res.Allowed {
			t.Fatalf("%+v, %v", res, err)
		}
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Errorf("three calls took %v; want one timeout of 50ms", d)
	}
}
