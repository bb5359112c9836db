package ratelimit

import (
	"context"
	"sync"
	"time"
)

// pruneEvery is the minimum number of calls between sweeps of expired keys.
// A sweep also waits for as many calls as the previous sweep kept keys, so
// its O(keys) cost stays O(1) amortised per call while the map holds at most
// about twice the live keys plus pruneEvery.
const pruneEvery = 1024

// Memory is an in-process Limiter. It is safe for concurrent use.
type Memory struct {
	now func() time.Time

	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time per key
	calls int                  // since the last sweep
	sweep int                  // calls between sweeps: max(pruneEvery, keys kept by the last one)
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an in-memory limiter reading time from now (time.Now if
// nil); tests inject a fake clock.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tat: make(map[string]time.Time), sweep: pruneEvery}
}

// Allow implements Limiter. ctx is unused: the call never blocks on I/O.
func (m *Memory) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	return m.AllowAll(ctx, Check{Key: key, Limit: limit})
}

// AllowAll implements Limiter; the decision is atomic under one lock.
func (m *Memory) AllowAll(_ context.Context, checks ...Check) (Result, error) {
	type staged struct {
		key      string
		tat      time.Time
		interval time.Duration
		burst    time.Duration
	}
	// Validate before taking the lock. Callers pass one or two checks, so a
	// slice with linear lookup beats a map for spotting repeated keys.
	st := make([]staged, len(checks))
	for i, c := range checks {
		interval, burst, err := c.Limit.gcra()
		if err != nil {
			return Result{}, err
		}
		st[i] = staged{key: c.Key, interval: interval, burst: burst}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.maybePrune(now)

	res := Result{Allowed: true, Remaining: -1}
	for i := range st {
		// A repeated key continues from the earlier check's new TAT.
		tat, seen := time.Time{}, false
		for j := i - 1; j >= 0; j-- {
			if st[j].key == st[i].key {
				tat, seen = st[j].tat, true
				break
			}
		}
		if !seen {
			tat = m.tat[st[i].key]
		}
		if tat.Before(now) {
			tat = now
		}
		newTAT := tat.Add(st[i].interval)
		allowAt := newTAT.Add(-st[i].burst)
		if now.Before(allowAt) {
			res.Allowed = false
			res.RetryAfter = max(res.RetryAfter, allowAt.Sub(now))
		} else if rem := int(now.Sub(allowAt) / st[i].interval); res.Remaining < 0 || rem < res.Remaining {
			res.Remaining = rem
		}
		st[i].tat = newTAT
	}
	if !res.Allowed {
		return Result{RetryAfter: res.RetryAfter}, nil
	}
	for _, s := range st {
		m.tat[s.key] = s.tat // later duplicates overwrite with the larger TAT
	}
	res.Remaining = max(res.Remaining, 0)
	return res, nil
}

// maybePrune deletes keys whose TAT has passed: such a key behaves exactly
// like an absent one, so dropping it changes no decision.
func (m *Memory) maybePrune(now time.Time) {
	m.calls++
	if m.calls < m.sweep {
		return
	}
	m.calls = 0
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
	m.sweep = max(pruneEvery, len(m.tat))
}
