// Package ratelimit limits how often keyed events may happen, using the
// generic cell rate algorithm (GCRA).
//
// Two implementations share exact semantics: Memory for a single process and
// Redis for several server instances sharing one budget. A Limit of Count
// events per Period admits a burst of Count events on a fresh key; after that
// one event becomes available every Period/Count, refilling smoothly.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit allows Count events per Period, with a burst of Count.
type Limit struct {
	Count  int
	Period time.Duration
}

// Result is the outcome of a rate-limit decision.
type Result struct {
	// Allowed reports whether the event was admitted (and consumed).
	Allowed bool
	// Remaining is how many further events would be admitted right now.
	// For AllowAll it is the smallest remaining budget among the checks.
	Remaining int
	// RetryAfter is how long to wait until the event could be admitted.
	// It is positive only when Allowed is false.
	RetryAfter time.Duration
}

// Check is one key and its limit, for AllowAll.
type Check struct {
	Key   string
	Limit Limit
}

// Limiter is implemented by Memory and Redis.
type Limiter interface {
	// Allow consumes one event for key under limit if the budget allows it.
	// A denied call consumes nothing.
	Allow(ctx context.Context, key string, limit Limit) (Result, error)

	// AllowAll consumes one event for every check only if all of them allow
	// it; if any is denied, none is consumed, so a rejected request does not
	// eat into the other budgets. RetryAfter is the longest wait among the
	// denied checks. A key listed twice is charged twice. With no checks the
	// call is allowed.
	AllowAll(ctx context.Context, checks ...Check) (Result, error)
}

// ErrInvalidLimit is returned (wrapped) for a Limit that cannot be enforced.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// gcra returns the emission interval (time between cells) and the burst
// tolerance of l. The interval is truncated to whole microseconds because
// Redis keeps time in microseconds; doing the same in memory keeps both
// implementations bit-for-bit identical.
func (l Limit) gcra() (interval, burst time.Duration, err error) {
	if l.Count < 1 || l.Period <= 0 {
		return 0, 0, fmt.Errorf("%w: %d per %v", ErrInvalidLimit, l.Count, l.Period)
	}
	interval = (l.Period / time.Duration(l.Count)).Truncate(time.Microsecond)
	if interval <= 0 {
		return 0, 0, fmt.Errorf("%w: %d per %v is more than one event per microsecond", ErrInvalidLimit, l.Count, l.Period)
	}
	return interval, interval * time.Duration(l.Count), nil
}
