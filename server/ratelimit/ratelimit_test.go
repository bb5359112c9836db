package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for Memory.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness runs the shared behaviour table against one implementation.
type harness struct {
	lim     Limiter
	advance func(time.Duration)
	// tolerance is how much smaller than expected RetryAfter may be, since
	// real time passes between Redis calls. Zero for the fake clock.
	tolerance time.Duration
}

// step is one call: Allow for a single check, AllowAll for several.
type step struct {
	advance time.Duration // before the call
	checks  []Check
	want    Result
	wantErr error
}

var (
	tenPerHour  = Limit{Count: 10, Period: time.Hour}
	onePerHour  = Limit{Count: 1, Period: time.Hour}
	sixtyHourly = Limit{Count: 60, Period: time.Hour}
	twoPer300ms = Limit{Count: 2, Period: 300 * time.Millisecond}
)

func chk(key string, l Limit) []Check { return []Check{{Key: key, Limit: l}} }

func allowed(remaining int) Result { return Result{Allowed: true, Remaining: remaining} }
func denied(retry time.Duration) Result {
	return Result{RetryAfter: retry}
}

func repeatSteps(n int, f func(i int) step) []step {
	s := make([]step, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// behaviourCases is shared by Memory and Redis; refill uses short periods so
// that Redis can run it with real sleeps.
var behaviourCases = []struct {
	name  string
	steps []step
}{
	{
		name: "burst of Count then denied with one interval to wait",
		steps: concat(
			repeatSteps(10, func(i int) step {
				return step{checks: chk("widget:email:a@example.com", tenPerHour), want: allowed(9 - i)}
			}),
			[]step{
				{checks: chk("widget:email:a@example.com", tenPerHour), want: denied(6 * time.Minute)},
				// A denied call consumed nothing: the wait did not grow.
				{checks: chk("widget:email:a@example.com", tenPerHour), want: denied(6 * time.Minute)},
			},
		),
	},
	{
		name: "refills one cell per Period/Count, then fully",
		steps: []step{
			{checks: chk("k", twoPer300ms), want: allowed(1)},
			{checks: chk("k", twoPer300ms), want: allowed(0)},
			{checks: chk("k", twoPer300ms), want: denied(150 * time.Millisecond)},
			{advance: 75 * time.Millisecond, checks: chk("k", twoPer300ms), want: denied(75 * time.Millisecond)},
			{advance: 80 * time.Millisecond, checks: chk("k", twoPer300ms), want: allowed(0)},
			{checks: chk("k", twoPer300ms), want: denied(145 * time.Millisecond)},
			{advance: 400 * time.Millisecond, checks: chk("k", twoPer300ms), want: allowed(1)},
		},
	},
	{
		name: "keys are independent and case-sensitive",
		steps: []step{
			{checks: chk("a", onePerHour), want: allowed(0)},
			{checks: chk("a", onePerHour), want: denied(time.Hour)},
			{checks: chk("b", onePerHour), want: allowed(0)},
			{checks: chk("A", onePerHour), want: allowed(0)},
		},
	},
	{
		name: "AllowAll consumes nothing when one check is denied",
		steps: []step{
			{checks: []Check{{"ip", sixtyHourly}, {"email", onePerHour}}, want: allowed(0)},
			{checks: []Check{{"ip", sixtyHourly}, {"email", onePerHour}}, want: denied(time.Hour)},
			{checks: []Check{{"email", onePerHour}, {"ip", sixtyHourly}}, want: denied(time.Hour)},
			// The ip budget was charged once, by the first call only.
			{checks: chk("ip", sixtyHourly), want: allowed(58)},
		},
	},
	{
		name: "AllowAll reports the smallest remaining and the longest wait",
		steps: []step{
			{checks: []Check{{"x", tenPerHour}, {"y", Limit{2, time.Minute}}}, want: allowed(1)},
			{checks: []Check{{"x", tenPerHour}, {"y", Limit{2, time.Minute}}}, want: allowed(0)},
			{checks: chk("x", tenPerHour), want: allowed(7)},
			{checks: []Check{{"x", tenPerHour}, {"y", Limit{2, time.Minute}}}, want: denied(30 * time.Second)},
			{checks: chk("h", onePerHour), want: allowed(0)},
			{checks: []Check{{"y", Limit{2, time.Minute}}, {"h", onePerHour}}, want: denied(time.Hour)},
			// Neither denied call charged x.
			{checks: chk("x", tenPerHour), want: allowed(6)},
		},
	},
	{
		name: "AllowAll charges a repeated key twice",
		steps: []step{
			{checks: []Check{{"d", Limit{2, time.Hour}}, {"d", Limit{2, time.Hour}}}, want: allowed(0)},
			{checks: chk("d", Limit{2, time.Hour}), want: denied(30 * time.Minute)},
			{checks: []Check{{"e", onePerHour}, {"e", onePerHour}}, want: denied(time.Hour)},
			{checks: chk("e", onePerHour), want: allowed(0)},
		},
	},
	{
		name: "AllowAll with no checks is allowed",
		steps: []step{
			{checks: []Check{}, want: allowed(0)},
		},
	},
	{
		name: "invalid limits are errors",
		steps: []step{
			{checks: chk("z", Limit{0, time.Hour}), wantErr: ErrInvalidLimit},
			{checks: chk("z", Limit{1, 0}), wantErr: ErrInvalidLimit},
			{checks: chk("z", Limit{-1, time.Hour}), wantErr: ErrInvalidLimit},
			{checks: chk("z", Limit{1000, time.Microsecond}), wantErr: ErrInvalidLimit},
			{checks: []Check{{"ok", onePerHour}, {"z", Limit{}}}, wantErr: ErrInvalidLimit},
			// The failed call above consumed nothing.
			{checks: chk("ok", onePerHour), want: allowed(0)},
		},
	},
}

func runBehaviour(t *testing.T, newHarness func(t *testing.T) harness) {
	for _, tc := range behaviourCases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			for i, s := range tc.steps {
				if s.advance > 0 {
					h.advance(s.advance)
				}
				var got Result
				var err error
				if len(s.checks) == 1 {
					got, err = h.lim.Allow(ctx, s.checks[0].Key, s.checks[0].Limit)
				} else {
					got, err = h.lim.AllowAll(ctx, s.checks...)
				}
				if s.wantErr != nil {
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d: err = %v, want %v", i, err, s.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got.Allowed != s.want.Allowed || got.Remaining != s.want.Remaining {
					t.Fatalf("step %d: got %+v, want %+v", i, got, s.want)
				}
				if got.RetryAfter > s.want.RetryAfter || got.RetryAfter < s.want.RetryAfter-h.tolerance {
					t.Fatalf("step %d: RetryAfter = %v, want %v (tolerance %v)", i, got.RetryAfter, s.want.RetryAfter, h.tolerance)
				}
				if !got.Allowed && got.RetryAfter <= 0 {
					t.Fatalf("step %d: denied with RetryAfter %v", i, got.RetryAfter)
				}
			}
		})
	}
}

// runConcurrent fires n goroutines at one key and checks that exactly
// limit.Count are admitted.
func runConcurrent(t *testing.T, lim Limiter, n int, limit Limit) {
	t.Helper()
	var ok, errs atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			res, err := lim.Allow(context.Background(), "concurrent", limit)
			switch {
			case err != nil:
				errs.Add(1)
				t.Error(err)
			case res.Allowed:
				ok.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if errs.Load() > 0 {
		t.FailNow()
	}
	if got := ok.Load(); got != int64(limit.Count) {
		t.Fatalf("%d of %d calls allowed, want exactly %d", got, n, limit.Count)
	}
}

// runConcurrentAllowAll checks that a tight per-IP budget shared by many
// concurrent requests never leaks charges onto their per-email budgets.
func runConcurrentAllowAll(t *testing.T, lim Limiter, n int) {
	t.Helper()
	ip := Limit{Count: 5, Period: time.Hour}
	email := Limit{Count: 1000, Period: time.Hour}
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			res, err := lim.AllowAll(context.Background(), Check{"ip", ip}, Check{"email", email})
			if err != nil {
				t.Error(err)
				return
			}
			if res.Allowed {
				ok.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := ok.Load(); got != int64(ip.Count) {
		t.Fatalf("%d of %d calls allowed, want exactly %d", got, n, ip.Count)
	}
	res, err := lim.Allow(context.Background(), "email", email)
	if err != nil {
		t.Fatal(err)
	}
	if want := email.Count - ip.Count - 1; res.Remaining != want {
		t.Fatalf("email remaining = %d, want %d: denied requests were charged", res.Remaining, want)
	}
}

func TestMemoryBehaviour(t *testing.T) {
	runBehaviour(t, func(t *testing.T) harness {
		clock := newFakeClock()
		return harness{lim: NewMemory(clock.Now), advance: clock.Advance}
	})
}

func TestMemoryRefillsSmoothly(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(clock.Now)
	ctx := context.Background()
	for range tenPerHour.Count {
		if res, _ := m.Allow(ctx, "k", tenPerHour); !res.Allowed {
			t.Fatal("burst denied")
		}
	}
	// One cell per six minutes, never more.
	for i := range 20 {
		clock.Advance(6*time.Minute - time.Nanosecond)
		if res, _ := m.Allow(ctx, "k", tenPerHour); res.Allowed || res.RetryAfter != time.Nanosecond {
			t.Fatalf("round %d: early call got %+v", i, res)
		}
		clock.Advance(time.Nanosecond)
		if res, _ := m.Allow(ctx, "k", tenPerHour); !res.Allowed || res.Remaining != 0 {
			t.Fatalf("round %d: on-time call got %+v", i, res)
		}
	}
}

func TestMemoryConcurrent(t *testing.T) {
	runConcurrent(t, NewMemory(nil), 100, tenPerHour)
}

func TestMemoryConcurrentAllowAll(t *testing.T) {
	runConcurrentAllowAll(t, NewMemory(nil), 100)
}

func TestMemoryNilClockUsesTimeNow(t *testing.T) {
	m := NewMemory(nil)
	if res, err := m.Allow(context.Background(), "k", onePerHour); err != nil || !res.Allowed {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestMemoryPrunesExpiredKeys(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(clock.Now)
	ctx := context.Background()
	const n = 3 * pruneEvery
	for i := range n {
		if _, err := m.Allow(ctx, "short:"+itoa(i), Limit{Count: 5, Period: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	// A key that is still limited must survive pruning.
	for range 2 {
		m.Allow(ctx, "long", onePerHour)
	}
	if got := m.size(); got != n+1 {
		t.Fatalf("size = %d before expiry, want %d (nothing has expired yet)", got, n+1)
	}

	clock.Advance(time.Minute)
	for range n + 1 {
		m.Allow(ctx, "tick", Limit{Count: 1 << 20, Period: time.Hour})
	}
	if got := m.size(); got > 2 {
		t.Fatalf("size = %d after expiry, want at most 2 (long, tick)", got)
	}
	if res, _ := m.Allow(ctx, "long", onePerHour); res.Allowed {
		t.Fatal("pruning dropped a key whose budget was still exhausted")
	}
}

func TestMemorySizeStaysBounded(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(clock.Now)
	ctx := context.Background()
	// Each key lives one second; with a new key per millisecond about 1000
	// are live at any time.
	maxSize := 0
	for i := range 50_000 {
		clock.Advance(time.Millisecond)
		m.Allow(ctx, "k"+itoa(i), Limit{Count: 1, Period: time.Second})
		maxSize = max(maxSize, m.size())
	}
	// Live keys plus at most one sweep interval of expired ones.
	if limit := 1000 + pruneEvery + 1; maxSize > limit {
		t.Fatalf("map grew to %d entries with ~1000 live keys, want at most %d", maxSize, limit)
	}
}

func (m *Memory) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

func itoa(i int) string {
	// strconv would do; this keeps the hot test loops allocation-light.
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	limit := Limit{Count: 1_000_000, Period: time.Hour}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "widget:ip:" + itoa(i)
	}
	b.Run("serial", func(b *testing.B) {
		m := NewMemory(nil)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			m.Allow(ctx, keys[i%len(keys)], limit)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		m := NewMemory(nil)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			i := 0
			for pb.Next() {
				m.Allow(ctx, keys[i%len(keys)], limit)
				i++
			}
		})
	})
}
