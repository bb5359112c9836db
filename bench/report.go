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
	fmt.Fprintf(w, "commit:  %s\n", gitCommit())
	fmt.Fprintf(w, "go:      %s %s/%s, GOMAXPROCS %d, %d CPUs%s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), cpuModel())
	fmt.Fprintf(w, "load:    %d clients, %s warm-up, %s measured per scenario", o.concurrency, o.warmup, o.duration)
	if o.url == "" {
		fmt.Fprint(w, "; load generator, server and database share the machine")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
}

// printTable writes one row per database and scenario. Latencies are in
// milliseconds, measured by the client (so they include the loopback trip).
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "database\tscenario\tclients\trequests\taccepted/s\terrors\terror statuses\tp50 ms\tp90 ms\tp99 ms\tmax ms")
	for _, r := range rows {
		res := r.result
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%d (%.2f%%)\t%s\t%s\t%s\t%s\t%s\n",
			r.database, r.scenario.name, res.concurrency, res.requests(), res.acceptedPerSecond(),
			res.errorCount(), 100*res.errorRate(), res.breakdown(),
			ms(res.percentile(50)), ms(res.percentile(90)), ms(res.percentile(99)), ms(res.percentile(100)))
	}
	tw.Flush()
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
