package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestRetryPolicy(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	p := &RetryPolicy{Now: func() time.Time { return now }}
	for _, c := range []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, 900 * time.Millisecond, 1100 * time.Millisecond},
		{2, 14400 * time.Millisecond, 17600 * time.Millisecond},
		{3, 27 * time.Second, 33 * time.Second}, // River: 81 s
		{6, 27 * time.Second, 33 * time.Second}, // River: 21.6 min
		{7, 2160 * time.Second, 2641 * time.Second},
		{25, 351562 * time.Second, 429688 * time.Second},
	} {
		job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, c.failures-1)}
		for range 20 {
			d := p.NextRetry(job).Sub(now)
			if c.failures > quickRetries {
				// River's own policy reads its own clock.
				d = time.Until(p.NextRetry(job))
			}
			if d < c.lo || d > c.hi {
				t.Fatalf("failure %d: retry in %v, want within [%v, %v]", c.failures, d, c.lo, c.hi)
			}
		}
	}
}
