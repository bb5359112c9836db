//go:build !(js && wasm)

// Retention lives apart from the field rules: it needs package time, which
// the widget's WebAssembly core does not (it adds ~200 KB to the wasm).

package validate

import (
	"strconv"
	"time"
)

// MaxRetention is the longest retention period accepted.
const MaxRetention = 3650 * 24 * time.Hour

const (
	msgRetention    = "use a number followed by m, h, d or w, e.g. 30d"
	msgRetentionMin = "must be at least 1m"
	msgRetentionMax = "must be at most 3650d"
)

var retentionUnits = []struct {
	suffix byte
	unit   time.Duration
}{
	{'w', 7 * 24 * time.Hour},
	{'d', 24 * time.Hour},
	{'h', time.Hour},
	{'m', time.Minute},
}

// Retention parses a period such as 30m, 2h, 7d or 4w: an integer of at
// least 1 followed by exactly one unit, with nothing else around it.
func Retention(s string) (time.Duration, string) {
	if len(s) < 2 {
		return 0, msgRetention
	}
	var unit time.Duration
	for _, u := range retentionUnits {
		if s[len(s)-1] == u.suffix {
			unit = u.unit
		}
	}
	if unit == 0 {
		return 0, msgRetention
	}
	var n int64
	for _, c := range []byte(s[:len(s)-1]) {
		if c < '0' || c > '9' {
			return 0, msgRetention
		}
		// Compare in units, before multiplying: n*unit overflows for
		// values not much above the cap (110000d already does).
		if n = n*10 + int64(c-'0'); n > int64(MaxRetention/unit) {
			return 0, msgRetentionMax
		}
	}
	if n == 0 {
		return 0, msgRetentionMin
	}
	return time.Duration(n) * unit, ""
}

// FormatRetention is the inverse of Retention, using the largest unit that
// divides d exactly (10080m → 1w, 90m → 90m). Durations that are not whole
// minutes are rounded up to the next minute; d <= 0 gives "".
func FormatRetention(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	minutes := int64(d / time.Minute)
	if d%time.Minute != 0 {
		minutes++
	}
	for _, u := range retentionUnits {
		if per := int64(u.unit / time.Minute); minutes%per == 0 {
			return strconv.FormatInt(minutes/per, 10) + string(u.suffix)
		}
	}
	return strconv.FormatInt(minutes, 10) + "m" // not reached: the last unit is 1m
}

// DescribeRetention says a period in words, in its canonical unit: 14d →
// "2 weeks", 90m → "90 minutes". The admin page shows it beside the field.
func DescribeRetention(d time.Duration) string {
	f := FormatRetention(d)
	if f == "" {
		return ""
	}
	n, unit := f[:len(f)-1], f[len(f)-1]
	name := map[byte]string{'m': "minute", 'h': "hour", 'd': "day", 'w': "week"}[unit]
	if n != "1" {
		name += "s"
	}
	return n + " " + name
}
