// Command bench measures portico's HTTP throughput and latency. It builds the
// server once, starts it on each database (a fresh SQLite file, a fresh
// PostgreSQL database) and drives every scenario with a closed loop of
// concurrent clients, then prints one table row per database and scenario.
// Run it from the repository root:
//
//	go run ./bench [-duration 10s] [-warmup 2s] [-concurrency 32]
//	               [-scenarios widget] [-databases sqlite,postgres]
//	go run ./bench -url http://127.0.0.1:8080   # a server already running
//
// It exits non-zero when a scenario had more than 1% errors, when a server
// could not be built or started, or, with CI=true, when PostgreSQL is missing.
// docs/PERFORMANCE.md records the figures and the aims.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// maxErrorRate is the share of errors above which a run fails.
const maxErrorRate = 0.01

type options struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	scenarios   []scenario
	databases   []string
	url         string // an external server; empty to start our own
}

// row is one line of the results table.
type row struct {
	database string
	scenario scenario
	result   result
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	var rows []row
	var notes []string
	var failed bool
	if o.url != "" {
		rows, notes, failed = runExternal(ctx, o, logf)
	} else {
		rows, notes, failed = runLocal(ctx, o, logf)
	}

	printEnvironment(stdout, o)
	if len(rows) > 0 {
		printTable(stdout, rows)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	for _, r := range rows {
		if msg := r.result.problem(); msg != "" {
			fmt.Fprintf(stdout, "FAIL %s/%s: %s\n", r.database, r.scenario.name, msg)
			failed = true
		}
		if r.result.statuses[429] > 0 {
			fmt.Fprintf(stdout, "note %s/%s: 429s mean the server's rate limits are too low for a benchmark "+
				"(PORTICO_WIDGET_LIMIT_PER_IP, PORTICO_WIDGET_LIMIT_PER_EMAIL)\n", r.database, r.scenario.name)
		}
	}
	if failed {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenarioList, databaseList string
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before the measured time, not counted")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients, each sending one request at a time")
	fs.StringVar(&scenarioList, "scenarios", "widget", "comma-separated scenarios: "+strings.Join(scenarioNames(), ", "))
	fs.StringVar(&databaseList, "databases", "sqlite,postgres", "comma-separated databases to start the server on")
	fs.StringVar(&o.url, "url", "", "benchmark the server already running at this loopback URL instead of starting one")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration <= 0 || o.warmup < 0 || o.concurrency < 1 {
		return o, errors.New("-duration and -concurrency must be positive and -warmup not negative")
	}
	for _, name := range splitList(scenarioList) {
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return o, fmt.Errorf("unknown scenario %q (have %s)", name, strings.Join(scenarioNames(), ", "))
		}
		o.scenarios = append(o.scenarios, scenarios[i])
	}
	for _, name := range splitList(databaseList) {
		if name != "sqlite" && name != "postgres" {
			return o, fmt.Errorf("unknown database %q (want sqlite, postgres)", name)
		}
		o.databases = append(o.databases, name)
	}
	if len(o.scenarios) == 0 || (o.url == "" && len(o.databases) == 0) {
		return o, errors.New("nothing to run: -scenarios and -databases are empty")
	}
	if o.url != "" {
		if err := checkLoopback(o.url); err != nil {
			return o, fmt.Errorf("-url: %w", err)
		}
		o.url = strings.TrimRight(o.url, "/")
	}
	return o, nil
}

// checkLoopback refuses URLs off this machine: a load generator aimed at
// someone else's server by a typo is a denial of service.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http:// URL", raw)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q: only a loopback address such as 127.0.0.1 may be targeted", raw)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// runExternal runs every scenario against the server at o.url. Like
// runLocal it returns the rows, report lines about what went wrong, and
// whether anything failed.
func runExternal(ctx context.Context, o options, logf func(string, ...any)) ([]row, []string, bool) {
	t := newTarget(o.url, "", o.concurrency)
	defer t.client.CloseIdleConnections()
	err := waitReady(ctx, t.base, readyTimeout, nil)
	var rows []row
	if err == nil {
		rows, err = runScenarios(ctx, "external", t, o, logf)
	}
	if err != nil {
		logf("external: %v", err)
		return rows, []string{"FAIL external: " + err.Error()}, true
	}
	return rows, nil, false
}

// runScenarios runs o.scenarios one after another against t.
func runScenarios(ctx context.Context, database string, t *target, o options, logf func(string, ...any)) ([]row, error) {
	var rows []row
	for _, s := range o.scenarios {
		if s.setup != nil {
			if err := s.setup(ctx, t); err != nil {
				return rows, fmt.Errorf("%s: setup: %w", s.name, err)
			}
		}
		logf("%s/%s: %d clients, %s warm-up + %s measured", database, s.name, o.concurrency, o.warmup, o.duration)
		res, err := runLoad(ctx, t, s, o.concurrency, o.warmup, o.duration)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", s.name, err)
		}
		rows = append(rows, row{database: database, scenario: s, result: res})
	}
	return rows, nil
}
