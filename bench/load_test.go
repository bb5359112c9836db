package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Millisecond},
		{90, 90 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{99.5, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{0.1, 1 * time.Millisecond},
	} {
		if got := percentile(sorted, tc.p); got != tc.want {
			t.Errorf("percentile(1..100ms, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("percentile of one value = %v, want 7", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of none = %v, want 0", got)
	}
}

func TestResultCounts(t *testing.T) {
	r := result{
		duration:  2 * time.Second,
		latencies: make([]time.Duration, 200),
		accept:    201,
		statuses:  map[int]int{201: 197, 429: 1, 500: 1},
		transport: 1,
	}
	if r.accepted() != 197 || r.errorCount() != 3 || r.acceptedPerSecond() != 98.5 {
		t.Errorf("accepted %d, errors %d, per second %v; want 197, 3, 98.5", r.accepted(), r.errorCount(), r.acceptedPerSecond())
	}
	if got, want := r.breakdown(), "429:1 500:1 transport:1"; got != want {
		t.Errorf("breakdown = %q, want %q", got, want)
	}
	if r.problem() == "" {
		t.Error("1.5% errors passed")
	}
}

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080":  true,
		"http://[::1]:8080/":     true,
		"http://10.0.0.1:8080":   false,
		"http://example.com":     false,
		"ftp://127.0.0.1:21":     false,
		"http://localhost:8080/": false, // a name could resolve anywhere
	} {
		if err := checkLoopback(url); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", url, err, ok)
		}
	}
}
