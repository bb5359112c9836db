package github

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// secondaryDefault is how long to wait after a secondary rate limit that
// names no time (GitHub: "wait at least one minute").
const secondaryDefault = time.Minute

// rateLimitWait reports whether err is GitHub refusing because of a rate
// limit, and how long to wait before the next try:
//   - primary limit: 403 or 429 with X-RateLimit-Remaining: 0, until
//     X-RateLimit-Reset (go-github also answers this without asking while
//     the reset is ahead);
//   - secondary limit: 403 or 429 with Retry-After, that many seconds; 429
//     without either header, a minute.
func rateLimitWait(err error, now time.Time) (time.Duration, bool) {
	var primary *gh.RateLimitError
	if errors.As(err, &primary) {
		return until(primary.Rate.Reset.Time, now), true
	}
	var secondary *gh.AbuseRateLimitError
	if errors.As(err, &secondary) {
		if secondary.RetryAfter != nil {
			return max(*secondary.RetryAfter, time.Second), true
		}
		return secondaryDefault, true
	}
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return 0, false
	}
	status, h := er.Response.StatusCode, er.Response.Header
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return 0, false
	}
	if s := h.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			return max(time.Duration(secs)*time.Second, time.Second), true
		}
		if at, err := http.ParseTime(s); err == nil {
			return until(at, now), true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return until(time.Unix(reset, 0), now), true
		}
		return secondaryDefault, true
	}
	if status == http.StatusTooManyRequests {
		return secondaryDefault, true
	}
	return 0, false
}

// until is the wait until t, plus a second for clocks that differ a little
// (the reset time is GitHub's, in whole seconds).
func until(t, now time.Time) time.Duration {
	return max(t.Sub(now), 0) + time.Second
}
