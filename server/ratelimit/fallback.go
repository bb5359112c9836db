package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Fallback answers from Primary (Redis: one budget shared by every
// instance) and, while Primary fails, from Secondary (Memory: a budget per
// instance). A limiter outage then costs precision, never availability:
// with N instances a key may be admitted up to N times its limit until
// Primary answers again, and budgets spent on one side are not carried over
// to the other.
//
// Primary gets at most Timeout per call, so a Redis that stopped answering
// (packets dropped, no refusal) delays a request by that much, not by the
// client's dial timeouts and retries. After a failure Primary is left alone
// for Cooldown (every call in that window goes straight to Secondary), so
// an outage costs one such delay per Cooldown rather than one per request.
// The outage is logged at most once per LogEvery; the recovery once.
//
// Errors that are not outages pass through: an invalid Limit (a
// configuration mistake Secondary would repeat), and the caller's own
// cancelled or expired context.
type Fallback struct {
	Primary   Limiter
	Secondary Limiter
	// Log receives the outage and recovery warnings (nil: slog.Default()).
	Log *slog.Logger
	// Timeout bounds each call to Primary (default 1s).
	Timeout time.Duration
	// Cooldown is how long Primary is skipped after a failure (default 5s).
	Cooldown time.Duration
	// LogEvery is the least time between two outage warnings (default 1m).
	LogEvery time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu        sync.Mutex
	down      bool      // Primary failed and has not answered since
	skipUntil time.Time // Primary is not asked before this
	lastLog   time.Time // last outage warning
	missed    int       // failures since the last outage warning
}

var _ Limiter = (*Fallback)(nil)

// Defaults of Fallback.
const (
	DefaultFallbackTimeout  = time.Second
	DefaultFallbackCooldown = 5 * time.Second
	DefaultFallbackLogEvery = time.Minute
)

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	return f.AllowAll(ctx, Check{Key: key, Limit: limit})
}

// AllowAll implements Limiter.
func (f *Fallback) AllowAll(ctx context.Context, checks ...Check) (Result, error) {
	if f.skipPrimary() {
		return f.Secondary.AllowAll(ctx, checks...)
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFallbackTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := f.Primary.AllowAll(pctx, checks...)
	cancel()
	switch {
	case err == nil:
		f.primaryAnswered(ctx)
		return res, nil
	case errors.Is(err, ErrInvalidLimit), ctx.Err() != nil:
		return res, err
	}
	f.primaryFailed(ctx, err)
	return f.Secondary.AllowAll(ctx, checks...)
}

func (f *Fallback) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fallback) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

func (f *Fallback) skipPrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down && f.now().Before(f.skipUntil)
}

func (f *Fallback) primaryAnswered(ctx context.Context) {
	f.mu.Lock()
	wasDown := f.down
	f.down, f.missed = false, 0
	f.mu.Unlock()
	if wasDown {
		f.log().InfoContext(ctx, "rate limiter back: limits are shared across instances again")
	}
}

func (f *Fallback) primaryFailed(ctx context.Context, err error) {
	cooldown, every := f.Cooldown, f.LogEvery
	if cooldown <= 0 {
		cooldown = DefaultFallbackCooldown
	}
	if every <= 0 {
		every = DefaultFallbackLogEvery
	}
	f.mu.Lock()
	now := f.now()
	f.down = true
	f.skipUntil = now.Add(cooldown)
	f.missed++
	missed := f.missed
	warn := f.lastLog.IsZero() || now.Sub(f.lastLog) >= every
	if warn {
		f.lastLog, f.missed = now, 0
	}
	f.mu.Unlock()
	if warn {
		f.log().WarnContext(ctx, "rate limiter unavailable: using per-instance limits until it answers",
			"err", err, "failures", missed, "retry_every", cooldown)
	}
}
