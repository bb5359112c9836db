package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// writeText writes the report to the terminal: what is needed to compare
// figures across runs, the results, the comparison, then the notes.
func writeText(w io.Writer, rep *report) {
	fmt.Fprintf(w, "portico benchmark, %s\n", rep.started.UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, kv := range environment(rep) {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(rep.rows) > 0 {
		_ = resultsTable(rep).Text(w)
		fmt.Fprintln(w)
	}
	if cs := compare(rep.rows); len(cs) > 0 {
		fmt.Fprintln(w, comparisonTitle(cs)+":")
		_ = comparisonTable(cs).Text(w)
		fmt.Fprintln(w)
	}
	for _, line := range reportLines(rep) {
		fmt.Fprintln(w, line)
	}
	if len(rep.sizes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "sizes (no load):")
		for _, line := range rep.sizes {
			fmt.Fprintln(w, "  "+line)
		}
	}
}

// environment is what the figures depend on besides the code: label and
// value, for the terminal and the markdown alike.
func environment(rep *report) [][2]string {
	o := rep.o
	var env [][2]string
	env = append(env, [2]string{"command", rep.command})
	for _, s := range rep.sides {
		env = append(env, [2]string{s.name, s.commit + " (" + s.from + ")"})
	}
	if o.src != "" {
		env = append(env, [2]string{"bench", "the benchmark itself at " + benchCommit(context.Background())})
	}
	if rep.external != "" {
		env = append(env, [2]string{"server", rep.external})
	}
	env = append(env,
		[2]string{"go", fmt.Sprintf("%s %s/%s, GOMAXPROCS %d", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))},
		[2]string{"machine", fmt.Sprintf("%s, %d CPUs%s; load average %s at the start, %s at the end (1, 5, 15 min)",
			harness.UnameSR(), runtime.NumCPU(), harness.CPUModel(), rep.loadBefore, rep.loadAfter)},
		[2]string{"load", loadLine(o)},
	)
	return env
}

// loadLine says how the load was run.
func loadLine(o options) string {
	line := fmt.Sprintf("%d clients in a closed loop; burst: %s warm-up + %s measured", o.concurrency, o.warmup, o.duration)
	if o.sustained > 0 && o.url == "" {
		line += fmt.Sprintf("; sustained (widget, portal-reply, inbound): %s, then until its mail and jobs are done (at most %s)",
			o.sustained, o.drainTimeout)
	}
	if o.rounds > 1 {
		line += fmt.Sprintf("; %d rounds", o.rounds)
	}
	if o.hasBaseline() {
		line += "; baseline and current in turn on each scenario"
	}
	if o.url == "" {
		line += "; load generator, servers and database share the machine"
	}
	return line
}

// resultsTable has one row per database, scenario, side and round.
// Latencies are in milliseconds, measured by the client (so they include
// the loopback trip), of the burst. RSS is the server's resident set right
// after the burst. Over the burst's measured time: the CPU of the server,
// of PostgreSQL's processes and of the benchmark itself (load generator,
// SMTP sink, static server), each in percent of one core (the machine has
// runtime.NumCPU() × 100%), and the machine's idle share. sustained/s,
// backlog s and drain s are of the sustained load.
func resultsTable(rep *report) harness.Table {
	sides, rounds := len(rep.sides) > 1, rep.o.rounds > 1
	t := harness.Table{Header: []string{"database", "scenario"}}
	if sides {
		t.Header = append(t.Header, "binary")
	}
	if rounds {
		t.Header = append(t.Header, "round")
	}
	t.Header = append(t.Header, "clients", "requests", "burst/s", "sustained/s", "backlog s", "drain s", "errors",
		"p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms", "rss MiB", "srv%", "pg%", "bench%", "idle%", "error statuses")
	for _, r := range rep.rows {
		res, f := r.result, r.figures()
		cells := []string{r.database, r.scenario.name}
		if sides {
			cells = append(cells, dash(r.side))
		}
		if rounds {
			cells = append(cells, fmt.Sprint(r.round))
		}
		drain := "-"
		if s := r.sustained; s != nil {
			drain = fmt.Sprintf("%.1f", s.drain.Seconds())
			if !s.drained {
				drain = ">" + drain
			}
		}
		cells = append(cells, fmt.Sprint(res.concurrency), fmt.Sprint(res.requests()),
			rate(f.burst, false), rate(f.sustained, f.bound), seconds(f.backlog), drain,
			fmt.Sprintf("%d (%.2f%%)", res.errorCount(), 100*res.errorRate()),
			ms(res.percentile(50)), ms(res.percentile(90)), ms(res.percentile(99)), ms(res.percentile(99.9)),
			ms(res.percentile(100)), mib(res.rssKB),
			pct(res.cpu.server), pct(res.cpu.db), pct(res.cpu.bench), pct(res.cpu.idle), res.breakdown())
		t.Add(cells...)
	}
	return t
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// comparisonTitle heads the comparison table.
func comparisonTitle(cs []comparison) string {
	rounds := 0
	for _, c := range cs {
		rounds = max(rounds, c.rounds)
	}
	what := "median of %d rounds"
	if rounds == 1 {
		what = "%d round"
	}
	return fmt.Sprintf("baseline against current ("+what+"; ratio = current / baseline: above 1 is better for the rates, below 1 for backlog and p99)", rounds)
}

// rowLabel names a row in the report lines.
func rowLabel(r row, sides, rounds bool) string {
	l := r.database + "/" + r.scenario.name
	if sides && r.side != "" {
		l += " " + r.side
	}
	if rounds && r.side != "" {
		l += fmt.Sprintf(" round %d", r.round)
	}
	return l
}

// reportLines are the lines after the tables: each row's notes, the static
// ceiling, the aims, what was skipped or failed.
func reportLines(rep *report) []string {
	sides, rounds := len(rep.sides) > 1, rep.o.rounds > 1
	var lines []string
	for _, r := range rep.rows {
		l := rowLabel(r, sides, rounds)
		for _, n := range r.notes {
			lines = append(lines, fmt.Sprintf("note %s: %s", l, n))
		}
		limited := r.result.statuses[429] > 0 || (r.sustained != nil && r.sustained.load.statuses[429] > 0)
		if limited && r.scenario.limited != "" {
			lines = append(lines, fmt.Sprintf("note %s: %s", l, r.scenario.limited))
		}
	}
	lines = append(lines, ceilingLines(rep.rows)...)
	lines = append(lines, aimLines(rep.rows, rep.o)...)
	lines = append(lines, rep.notes...)
	for _, r := range rep.rows {
		l := rowLabel(r, sides, rounds)
		if msg := r.result.problem(); msg != "" {
			lines = append(lines, fmt.Sprintf("FAIL %s: %s", l, msg))
		}
		if r.sustained != nil {
			if msg := r.sustained.load.problem(); msg != "" {
				lines = append(lines, fmt.Sprintf("FAIL %s sustained: %s", l, msg))
			}
		}
	}
	return lines
}

func pct(p float64) string {
	if p < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", p)
}

// ceilingLines compare each database's portal GET (the current server's,
// the median over rounds) with the static ceiling.
func ceilingLines(rows []row) []string {
	static, ok := medianOf(rows, "in-process", "static", "")
	if !ok || static.burst == 0 {
		return nil
	}
	var lines []string
	for _, r := range rows {
		if r.scenario.name != "portal" || r.side != sideCurrent || r.round != 1 {
			continue
		}
		portal, _ := medianOf(rows, r.database, "portal", sideCurrent)
		lines = append(lines, fmt.Sprintf("ceiling %s/portal: %.0f pages/s is %.0f%% of the static Fiber page (%.0f/s, %d bytes)",
			r.database, portal.burst, 100*portal.burst/static.burst, static.burst, len(staticBody)))
	}
	return lines
}

// aim is what a scenario should reach on PostgreSQL (docs/PERFORMANCE.md):
// a burst throughput, a p99 latency (0: none) and a backlog at the end of
// the sustained load in seconds of intake (0: none).
type aim struct {
	scenario   string
	perSecond  float64
	maxP99     time.Duration
	maxBacklog float64
}

var aims = []aim{
	{"widget", 1500, 25 * time.Millisecond, 1},
	{"portal", 4000, 10 * time.Millisecond, 0},
	{"inbound", 800, 0, 0},
}

// aimLines say whether the current server's PostgreSQL figures (the median
// over rounds) met their aims.
func aimLines(rows []row, o options) []string {
	var lines []string
	for _, a := range aims {
		f, ok := medianOf(rows, "postgres", a.scenario, sideCurrent)
		if !ok {
			continue
		}
		met := f.burst >= a.perSecond && (a.maxP99 == 0 || f.p99 < a.maxP99)
		want := fmt.Sprintf("≥ %.0f/s", a.perSecond)
		if a.maxP99 > 0 {
			want += fmt.Sprintf(" with p99 < %s ms", ms(a.maxP99))
		}
		lines = append(lines, fmt.Sprintf("aim postgres/%s: %s; measured %.0f/s, p99 %s ms at %d clients: %s",
			a.scenario, want, f.burst, ms(f.p99), o.concurrency, metOrNot(met)))
		if a.maxBacklog > 0 && f.backlog >= 0 {
			lines = append(lines, fmt.Sprintf("aim postgres/%s backlog: < %.0f s of intake at the end of a %s load; measured %.2f s: %s",
				a.scenario, a.maxBacklog, o.sustained, f.backlog, metOrNot(f.backlog < a.maxBacklog)))
		}
	}
	return lines
}

// mib is a KiB count in MiB, or "-" when unknown.
func mib(kb int64) string {
	if kb <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(kb)/1024)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))
}
