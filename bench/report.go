package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// printEnvironment writes what is needed to compare figures across runs.
func printEnvironment(w io.Writer, o options) {
	fmt.Fprintf(w, "portico benchmark, %s\n", time.Now().UTC().Format(time.RFC3339))
	if o.src != "" {
		fmt.Fprintf(w, "server:  built from %s (the bench itself at commit %s)\n", o.src, gitCommit())
	} else {
		fmt.Fprintf(w, "commit:  %s\n", gitCommit())
	}
	fmt.Fprintf(w, "go:      %s %s/%s, GOMAXPROCS %d, %d CPUs%s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), cpuModel())
	fmt.Fprintf(w, "machine: load average %s at the start, %s at the end (1, 5, 15 min)\n", o.loadBefore, o.loadAfter)
	fmt.Fprintf(w, "load:    %d clients, %s warm-up, %s measured per scenario", o.concurrency, o.warmup, o.duration)
	if o.url == "" {
		fmt.Fprint(w, "; load generator, server and database share the machine")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
}

// printTable writes one row per database and scenario. Latencies are in
// milliseconds, measured by the client (so they include the loopback trip).
// RSS is the server's resident set right after the scenario's load. Over
// the measured time: the CPU of the server, of PostgreSQL's processes and
// of the benchmark itself (load generator, SMTP sink, static server), each
// in percent of one core (the machine has runtime.NumCPU() × 100%), and
// the machine's idle share.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "database\tscenario\tclients\trequests\taccepted/s\terrors\tp50 ms\tp90 ms\tp99 ms\tp999 ms\tmax ms\t"+
		"rss MiB\tsrv%\tpg%\tbench%\tidle%\terror statuses")
	for _, r := range rows {
		res := r.result
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%d (%.2f%%)\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.database, r.scenario.name, res.concurrency, res.requests(), res.acceptedPerSecond(),
			res.errorCount(), 100*res.errorRate(),
			ms(res.percentile(50)), ms(res.percentile(90)), ms(res.percentile(99)), ms(res.percentile(99.9)),
			ms(res.percentile(100)), mib(res.rssKB),
			pct(res.cpu.server), pct(res.cpu.db), pct(res.cpu.bench), pct(res.cpu.idle), res.breakdown())
	}
	tw.Flush()
}

func pct(p float64) string {
	if p < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", p)
}

// ceilingLines compare each database's portal GET with the static ceiling.
func ceilingLines(rows []row) []string {
	var static *result
	for _, r := range rows {
		if r.scenario.name == "static" {
			static = &r.result
		}
	}
	if static == nil || static.acceptedPerSecond() == 0 {
		return nil
	}
	var lines []string
	for _, r := range rows {
		if r.scenario.name == "portal" {
			lines = append(lines, fmt.Sprintf("ceiling %s/portal: %.0f pages/s is %.0f%% of the static Fiber page (%.0f/s, %d bytes)",
				r.database, r.result.acceptedPerSecond(), 100*r.result.acceptedPerSecond()/static.acceptedPerSecond(),
				static.acceptedPerSecond(), len(staticBody)))
		}
	}
	return lines
}

// aim is a throughput and p99 latency a scenario should reach on
// PostgreSQL (docs/PERFORMANCE.md); maxP99 0 sets no latency aim.
type aim struct {
	scenario  string
	perSecond float64
	maxP99    time.Duration
}

var aims = []aim{
	{"widget", 1500, 25 * time.Millisecond},
	{"portal", 4000, 10 * time.Millisecond},
	{"inbound", 800, 0},
}

// aimLines say whether the PostgreSQL rows met their aims.
func aimLines(rows []row, clients int) []string {
	var lines []string
	for _, a := range aims {
		for _, r := range rows {
			if r.database != "postgres" || r.scenario.name != a.scenario {
				continue
			}
			perSecond, p99 := r.result.acceptedPerSecond(), r.result.percentile(99)
			met := perSecond >= a.perSecond && (a.maxP99 == 0 || p99 < a.maxP99)
			want := fmt.Sprintf("≥ %.0f/s", a.perSecond)
			if a.maxP99 > 0 {
				want += fmt.Sprintf(" with p99 < %s ms", ms(a.maxP99))
			}
			lines = append(lines, fmt.Sprintf("aim postgres/%s: %s; measured %.0f/s, p99 %s ms at %d clients: %s",
				a.scenario, want, perSecond, ms(p99), clients, metOrNot(met)))
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

// gitCommit is the short HEAD, marked when the tree has uncommitted
// changes (the figures then belong to no commit exactly).
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(status) > 0 {
		commit += " (with uncommitted changes)"
	}
	return commit
}

// cpuModel is ", <model name>" from /proc/cpuinfo, or "" where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if key, val, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(key) == "model name" {
			return ", " + strings.TrimSpace(val)
		}
	}
	return ""
}
