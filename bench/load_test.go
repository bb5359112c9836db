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

	// A checked scenario: 200s whose body failed the check are errors.
	r = result{
		duration:  time.Second,
		latencies: make([]time.Duration, 100),
		accept:    200,
		statuses:  map[int]int{200: 100},
		wrong:     map[string]int{"outcome=created": 2},
	}
	if r.accepted() != 98 || r.errorCount() != 2 {
		t.Errorf("accepted %d, errors %d; want 98, 2", r.accepted(), r.errorCount())
	}
	if got, want := r.breakdown(), "200 outcome=created:2"; got != want {
		t.Errorf("breakdown = %q, want %q", got, want)
	}
}

func TestCPUBetween(t *testing.T) {
	at := time.Now()
	a := cpuSample{at: at, serverTicks: 100, dbTicks: -1, benchTicks: 10, total: 1000, idle: 400}
	b := cpuSample{at: at.Add(2 * time.Second), serverTicks: 250, dbTicks: 7, benchTicks: 30, total: 1400, idle: 500}
	u := cpuBetween(a, b)
	if u.server != 75 || u.db != -1 || u.bench != 10 || u.idle != 25 {
		t.Errorf("cpuBetween = %+v; want server 75, db -1, bench 10, idle 25", u)
	}
}
