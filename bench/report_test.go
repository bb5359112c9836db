package main

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func scenarioNamed(t *testing.T, name string) scenario {
	t.Helper()
	i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
	if i < 0 {
		t.Fatalf("no scenario %q", name)
	}
	return scenarios[i]
}

// fakeRow is a run of one second with accepted requests that all took
// p99, and a sustained load when sus is not nil.
func fakeRow(t *testing.T, database, scenarioName, side string, round, accepted int, p99 time.Duration, sus *sustainedResult) row {
	t.Helper()
	s := scenarioNamed(t, scenarioName)
	lat := make([]time.Duration, accepted)
	for i := range lat {
		lat[i] = p99
	}
	return row{
		database: database, side: side, round: round, scenario: s, sustained: sus,
		result: result{concurrency: 32, duration: time.Second, latencies: lat, accept: s.accept, statuses: map[int]int{s.accept: accepted}},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSustainedFigures(t *testing.T) {
	// 30 s of load accepting 30,000 tickets, 15,000 of whose mails were
	// still queued at the end and took 30 s more: 500/s sustained, and the
	// backlog was 15 s of intake.
	s := sustainedResult{accepted: 30000, window: 30 * time.Second, drain: 30 * time.Second, drained: true,
		mailBacklog: 15000, mailProduced: 30000, jobBacklog: 100, jobProduced: 60000}
	if got := s.perSecond(); !near(got, 500) {
		t.Errorf("perSecond = %v, want 500", got)
	}
	if got := s.backlogSeconds(); !near(got, 15) {
		t.Errorf("backlogSeconds = %v, want 15 (the mail's)", got)
	}
	// Without mail, the jobs: 300 of 1,200 queued over 4 s is 1 s.
	s = sustainedResult{window: 4 * time.Second, mailBacklog: -1, mailProduced: -1, jobBacklog: 300, jobProduced: 1200}
	if got := s.backlogSeconds(); !near(got, 1) {
		t.Errorf("backlogSeconds from jobs = %v, want 1", got)
	}
	s.jobBacklog, s.jobProduced = -1, -1
	if got := s.backlogSeconds(); got != -1 {
		t.Errorf("backlogSeconds unknown = %v, want -1", got)
	}
	if got := backlogSeconds(5, 0, time.Second); got != 0 {
		t.Errorf("backlogSeconds with nothing produced = %v, want 0", got)
	}
	if got := sustainedRate(10, 0, 0); got != 0 {
		t.Errorf("sustainedRate over no time = %v, want 0", got)
	}
}

func TestSustainedDescribe(t *testing.T) {
	s := sustainedResult{accepted: 900, window: 3 * time.Second, drain: 6 * time.Second, drained: true,
		mailBacklog: 600, mailProduced: 900, jobBacklog: 1300, jobProduced: 1800}
	got := s.describe()
	for _, want := range []string{"900 accepted in 3.0 s (300/s intake)", "left 600 of its 900 mails and 1300 jobs available or running (it queued 1800) (2.00 s of intake)",
		"done 6.0 s later: 100/s sustained"} {
		if !strings.Contains(got, want) {
			t.Errorf("describe() lacks %q:\n%s", want, got)
		}
	}
	s.drained = false
	if got := s.describe(); !strings.Contains(got, "upper bound") {
		t.Errorf("an undrained load is not called an upper bound: %s", got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, -1},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	in := []float64{3, 1, 2}
	median(in)
	if !slices.Equal(in, []float64{3, 1, 2}) {
		t.Error("median sorted its argument")
	}
}

func TestMedianFigures(t *testing.T) {
	m := medianFigures([]figures{
		{burst: 100, p99: 10 * time.Millisecond, sustained: 50, backlog: 2},
		{burst: 300, p99: 30 * time.Millisecond, sustained: -1, backlog: -1},
		{burst: 200, p99: 20 * time.Millisecond, sustained: 70, bound: true, backlog: 4},
	})
	want := figures{burst: 200, p99: 20 * time.Millisecond, sustained: 60, bound: true, backlog: 3}
	if m != want {
		t.Errorf("medianFigures = %+v, want %+v", m, want)
	}
	if m := medianFigures([]figures{{burst: 1, sustained: -1, backlog: -1}}); m.sustained != -1 || m.backlog != -1 {
		t.Errorf("unmeasured figures became %+v", m)
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		base, cur float64
		want      string
	}{
		{100, 150, "1.50"},
		{200, 100, "0.50"},
		{0, 100, "-"},
		{-1, 100, "-"},
		{100, -1, "-"},
	} {
		if got := ratio(tc.base, tc.cur); got != tc.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tc.base, tc.cur, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	sus := func(accepted int, drained bool) *sustainedResult {
		return &sustainedResult{accepted: accepted, window: time.Second, drain: time.Second, drained: drained,
			mailBacklog: accepted / 2, mailProduced: accepted, jobBacklog: -1, jobProduced: -1}
	}
	rows := []row{
		// Run as the benchmark runs them: baseline, current, baseline, current.
		fakeRow(t, "postgres", "widget", sideBaseline, 1, 100, 40*time.Millisecond, sus(100, true)),
		fakeRow(t, "postgres", "widget", sideCurrent, 1, 150, 20*time.Millisecond, sus(300, true)),
		fakeRow(t, "postgres", "widget", sideBaseline, 2, 300, 60*time.Millisecond, sus(300, false)),
		fakeRow(t, "postgres", "widget", sideCurrent, 2, 250, 30*time.Millisecond, sus(500, true)),
		fakeRow(t, "postgres", "portal", sideBaseline, 1, 1000, 5*time.Millisecond, nil),
		fakeRow(t, "postgres", "portal", sideCurrent, 1, 1100, 5*time.Millisecond, nil),
		fakeRow(t, "in-process", "static", "", 1, 5000, time.Millisecond, nil),
	}
	cs := compare(rows)
	if len(cs) != 2 || cs[0].scenario != "widget" || cs[1].scenario != "portal" || cs[0].rounds != 2 {
		t.Fatalf("compare = %+v", cs)
	}
	var b strings.Builder
	if err := comparisonTable(cs).Text(&b); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"database  scenario  figure       baseline  current  ratio",
		"postgres  widget    burst/s      200       200      1.00",
		"postgres  widget    sustained/s  <100      200      2.00",
		"postgres  widget    backlog s    0.50      0.50     1.00",
		"postgres  widget    p99 ms       50.00     25.00    0.50",
		"postgres  portal    burst/s      1000      1100     1.10",
		"postgres  portal    p99 ms       5.00      5.00     1.00",
		"",
	}
	if got := strings.Split(b.String(), "\n"); !slices.Equal(got, want) {
		t.Errorf("comparison table:\n%s\nwant:\n%s", b.String(), strings.Join(want, "\n"))
	}
	if cs := compare(rows[4:]); len(cs) != 1 {
		t.Errorf("compare without current widget rows = %+v", cs)
	}
	if cs := compare([]row{rows[1], rows[3]}); len(cs) != 0 {
		t.Errorf("compare without a baseline = %+v", cs)
	}
}

func TestResultsTable(t *testing.T) {
	sus := &sustainedResult{accepted: 400, window: 2 * time.Second, drain: 2 * time.Second, drained: false,
		mailBacklog: 100, mailProduced: 400, jobBacklog: 3, jobProduced: 800}
	rep := &report{
		o:     options{rounds: 2},
		sides: []side{{name: sideBaseline}, {name: sideCurrent}},
		rows: []row{
			fakeRow(t, "sqlite", "widget", sideCurrent, 2, 250, 8*time.Millisecond, sus),
			fakeRow(t, "in-process", "static", "", 1, 9000, time.Millisecond, nil),
		},
	}
	tb := resultsTable(rep)
	col := func(name string) int { return slices.Index(tb.Header, name) }
	r := tb.Rows[0]
	for name, want := range map[string]string{
		"binary": "current", "round": "2", "burst/s": "250", "sustained/s": "<100", "backlog s": "0.50", "drain s": ">2.0", "p99 ms": "8.00",
	} {
		if i := col(name); i < 0 || r[i] != want {
			t.Errorf("column %q = %q, want %q (header %v)", name, r[max(i, 0)], want, tb.Header)
		}
	}
	if r := tb.Rows[1]; r[col("binary")] != "-" || r[col("sustained/s")] != "-" || r[col("backlog s")] != "-" {
		t.Errorf("static row = %v", r)
	}
	rep.sides, rep.o.rounds = rep.sides[1:], 1
	if tb := resultsTable(rep); slices.Contains(tb.Header, "binary") || slices.Contains(tb.Header, "round") {
		t.Errorf("a run without baseline or rounds has columns %v", tb.Header)
	}
}

func TestMarkdownSection(t *testing.T) {
	start := time.Date(2026, 11, 25, 5, 29, 0, 0, time.UTC)
	rep := &report{
		o:       options{concurrency: 32, warmup: time.Second, duration: 5 * time.Second, sustained: 30 * time.Second, drainTimeout: time.Minute, rounds: 1, baselineRef: "main"},
		command: "go run ./bench -baseline-ref main -rounds 1",
		started: start, finished: start.Add(90 * time.Second),
		sides: []side{
			{name: sideBaseline, commit: "aaaa", from: "-baseline-ref main, a temporary worktree"},
			{name: sideCurrent, commit: "bbbb-dirty", from: "the working tree"},
		},
		rows: []row{
			fakeRow(t, "postgres", "portal", sideBaseline, 1, 1000, 5*time.Millisecond, nil),
			fakeRow(t, "postgres", "portal", sideCurrent, 1, 1100, 5*time.Millisecond, nil),
		},
	}
	md := markdownSection(rep)
	for _, want := range []string{
		markBegin + "\n## Latest run\n",
		"2026-11-25 05:29 UTC, in 1m30s",
		"- **command**: `go run ./bench -baseline-ref main -rounds 1`",
		"- **baseline**: `aaaa` (-baseline-ref main, a temporary worktree)",
		"- **current**: `bbbb-dirty` (the working tree)",
		"- **machine**: ",
		"sustained (widget, portal-reply, inbound): 30s",
		"### Latest figures",
		"| postgres | portal | current | 32 | 1100 | 1100 |",
		"### Latest comparison",
		"| postgres | portal | burst/s | 1000 | 1100 | 1.10 |",
		"### Latest notes\n\n<details><summary>1 lines: setups, drains, aims, failures</summary>\n\n```text\naim postgres/portal: ≥ 4000/s",
		markEnd + "\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the section lacks %q:\n%s", want, md)
		}
	}
	if !strings.HasSuffix(md, markEnd+"\n") || strings.Count(md, markBegin) != 1 {
		t.Errorf("the section is not enclosed by one pair of markers:\n%s", md)
	}
	// The terminal report says the same.
	var b strings.Builder
	writeText(&b, rep)
	for _, want := range []string{"command:  go run ./bench", "baseline: aaaa", "baseline against current (1 round;"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	parse := func(args ...string) (options, error) { return parseFlags(args, io.Discard) }
	o, err := parse()
	if err != nil || o.rounds != 1 || o.sustained != 30*time.Second || o.hasBaseline() {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	o, err = parse("-baseline-ref", "main", "-sustained", "0")
	if err != nil || o.rounds != 2 || o.sustained != 0 {
		t.Errorf("with a baseline: rounds %d, sustained %s, %v; want 2 rounds", o.rounds, o.sustained, err)
	}
	if o, err := parse("-baseline", "/tmp/base", "-rounds", "3"); err != nil || o.rounds != 3 {
		t.Errorf("-rounds 3: %d, %v", o.rounds, err)
	}
	for _, bad := range [][]string{
		{"-baseline", "/a", "-baseline-ref", "main"},
		{"-url", "http://127.0.0.1:8080", "-baseline-ref", "main"},
		{"-sustained", "-1s"},
		{"-rounds", "-1"},
		{"-drain-timeout", "0s"},
		{"-scenarios", "nope"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestReplyLinkCount(t *testing.T) {
	// 2,000 replies/s over 1 + 5 + 30 s, 20 per link.
	if got := replyLinkCount(options{warmup: time.Second, duration: 5 * time.Second, sustained: 30 * time.Second}); got != 3600 {
		t.Errorf("replyLinkCount = %d, want 3600", got)
	}
}
