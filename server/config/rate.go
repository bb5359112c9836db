package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a limit of Count events per Period, written as "N/duration".
type Rate struct {
	Count  int
	Period time.Duration
}

// ParseRate parses "N/duration", e.g. "10/1h" or "60/30m". The duration is
// Go syntax, a bare unit meaning one of it ("10/h"), or whole days ("2/d",
// "1/7d") since time.ParseDuration has no day unit.
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/duration (e.g. 10/1h)", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive integer", s)
	}
	period, ok := parsePeriod(strings.TrimSpace(per))
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: %q is not a duration (e.g. 1h, 30m, h, d)", s, per)
	}
	if period <= 0 {
		return Rate{}, fmt.Errorf("rate %q: period must be positive", s)
	}
	return Rate{Count: count, Period: period}, nil
}

func parsePeriod(s string) (time.Duration, bool) {
	switch s {
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	case "h":
		return time.Hour, true
	case "d":
		return 24 * time.Hour, true
	}
	// No Go duration ends in "d", so this cannot shadow valid input.
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > int(time.Duration(1<<63-1)/(24*time.Hour)) {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// String returns the rate in the form ParseRate accepts, e.g. "10/1h".
func (r Rate) String() string {
	return strconv.Itoa(r.Count) + "/" + shortDuration(r.Period)
}

// shortDuration drops the zero minor units time.Duration.String adds
// ("1h0m0s" → "1h"), keeping the result parseable.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
