package validate

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"alice@example.com", "用户@例子.广告", "a..b@example.com", "a@1.2.3.4",
		"@", "a@b@c", "\xff@example.com", "a@" + strings.Repeat("a", 64) + ".com", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Email(s) != "" {
			return
		}
		// Whatever passes must be safe to store and to use as a key.
		if !utf8.ValidString(s) || Runes(s) > MaxEmail || strings.Count(s, "@") != 1 {
			t.Fatalf("accepted %q", s)
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			t.Fatalf("accepted space or control in %q", s)
		}
	})
}

func FuzzRetention(f *testing.F) {
	for _, s := range []string{"30m", "2h", "7d", "4w", "007d", "0d", "3651d", "1h30m", "9999999999999999999999w", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, msg := Retention(s)
		if msg != "" {
			if d != 0 {
				t.Fatalf("Retention(%q) = %v with error %q", s, d, msg)
			}
			return
		}
		if d < time.Minute || d > MaxRetention || d%time.Minute != 0 {
			t.Fatalf("Retention(%q) = %v out of range", s, d)
		}
		formatted := FormatRetention(d)
		if back, msg := Retention(formatted); back != d || msg != "" {
			t.Fatalf("Retention(%q) = %v; FormatRetention = %q; parsed back as %v, %q", s, d, formatted, back, msg)
		}
		if len(formatted) > len(s) {
			t.Fatalf("FormatRetention(%v) = %q is longer than the input %q", d, formatted, s)
		}
	})
}

func FuzzFormatRetention(f *testing.F) {
	for _, d := range []int64{0, -1, 1, int64(time.Minute), int64(90 * time.Second), int64(MaxRetention), 1<<63 - 1, -1 << 63} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		s := FormatRetention(d)
		if d <= 0 {
			if s != "" {
				t.Fatalf("FormatRetention(%v) = %q, want empty", d, s)
			}
			return
		}
		if d > MaxRetention {
			return // formatted but out of range for Retention
		}
		back, msg := Retention(s)
		if msg != "" || back < d || back-d >= time.Minute {
			t.Fatalf("FormatRetention(%v) = %q parses as %v, %q", d, s, back, msg)
		}
	})
}
