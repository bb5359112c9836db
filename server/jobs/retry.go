package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// quickRetries is how many failures in a row are retried within
// quickRetryCap. Most failures of a side effect are a peer away for a
// moment (an SMTP server restarting, GitHub answering 502); River's
// attempt⁴ backoff would make the fourth try wait 81 s and the sixth
// 21 minutes, so a 20-second SMTP outage delayed mail by 1.5 minutes in the
// chaos run (docs/RELIABILITY.md). After these, River's backoff takes over,
// so a long outage still spreads the remaining attempts over weeks.
const (
	quickRetries  = 6
	quickRetryCap = 30 * time.Second
)

// RetryPolicy is the queue's backoff: attempt⁴ seconds capped at 30 s for
// the first six failures, River's own after that; each delay with ±10 %
// jitter so that jobs failed by one outage do not all come back at once.
type RetryPolicy struct {
	// Now is the clock (default time.Now).
	Now      func() time.Time
	fallback river.DefaultClientRetryPolicy
}

// NextRetry says when a job that just failed runs again.
func (p *RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	failures := len(job.Errors) + 1
	if failures > quickRetries {
		return p.fallback.NextRetry(job)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	base := min(time.Duration(failures*failures*failures*failures)*time.Second, quickRetryCap)
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(base))
	return now().Add(base + jitter)
}
