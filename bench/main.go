// Command bench measures portico's HTTP throughput and latency. It builds the
// server once, starts it on each database (a fresh SQLite file, a fresh
// PostgreSQL database) and drives every scenario with a closed loop of
// concurrent clients, then prints one table row per database and scenario,
// the static ceiling, and the sizes of the built front ends.
// Run it from the repository root:
//
//	go run ./bench [-duration 5s] [-warmup 1s] [-concurrency 32]
//	               [-scenarios widget,portal,portal-reply,inbound,static]
//	               [-databases sqlite,postgres] [-sizes=false]
//	go run ./bench -url http://127.0.0.1:8080   # a server already running
//	go run ./bench -src /tmp/portico-old         # the server of another checkout
//
// It exits non-zero when a scenario had more than 1% errors, when a server
// could not be built or started, or, with CI=true, when PostgreSQL is missing.
// docs/PERFORMANCE.md records the figures and the aims.
package main

import (
	"context"
	"database/sql"
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
	src         string // build the server from this checkout; empty: this module
	sizes       bool   // print the front-end sizes after the table
	loadBefore  string // the load average when the run started
	loadAfter   string // and when the load ended
}

// row is one line of the results table.
type row struct {
	database string
	scenario scenario
	result   result
	notes    []string // report lines about this row, printed after the table
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
	o.loadBefore = loadAverage()

	var rows []row
	var notes []string
	var failed bool
	if o.url != "" {
		rows, notes, failed = runExternal(ctx, o, logf)
	} else {
		rows, notes, failed = runLocal(ctx, o, logf)
	}

	o.loadAfter = loadAverage() // before the size scripts' builds
	var sizes []string
	if o.sizes && ctx.Err() == nil {
		logf("measuring the front-end sizes")
		sizes = frontEndSizes(ctx)
	}

	printEnvironment(stdout, o)
	if len(rows) > 0 {
		printTable(stdout, rows)
		fmt.Fprintln(stdout)
	}
	for _, r := range rows {
		for _, n := range r.notes {
			fmt.Fprintf(stdout, "note %s/%s: %s\n", r.database, r.scenario.name, n)
		}
		if r.result.statuses[429] > 0 && r.scenario.limited != "" {
			fmt.Fprintf(stdout, "note %s/%s: %s\n", r.database, r.scenario.name, r.scenario.limited)
		}
	}
	for _, line := range ceilingLines(rows) {
		fmt.Fprintln(stdout, line)
	}
	for _, line := range aimLines(rows, o.concurrency) {
		fmt.Fprintln(stdout, line)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	for _, r := range rows {
		if msg := r.result.problem(); msg != "" {
			fmt.Fprintf(stdout, "FAIL %s/%s: %s\n", r.database, r.scenario.name, msg)
			failed = true
		}
	}
	if len(sizes) > 0 {
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "sizes (no load):")
		for _, line := range sizes {
			fmt.Fprintln(stdout, "  "+line)
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
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", 1*time.Second, "load before the measured time, not counted")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients, each sending one request at a time")
	fs.StringVar(&scenarioList, "scenarios", defaultScenarios, "comma-separated scenarios: "+strings.Join(scenarioNames(), ", "))
	fs.BoolVar(&o.sizes, "sizes", true, "print the sizes of the built admin UI and widget after the table")
	fs.StringVar(&databaseList, "databases", "sqlite,postgres", "comma-separated databases to start the server on")
	fs.StringVar(&o.url, "url", "", "benchmark the server already running at this loopback URL instead of starting one")
	fs.StringVar(&o.src, "src", "", "build the server from `dir`, another checkout of portico (e.g. git archive <commit> unpacked), to compare commits")
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
	var notes []string
	err := waitReady(ctx, t.base, readyTimeout, nil)
	var rows []row
	if err == nil {
		var run []scenario
		for _, s := range serverScenarios(o.scenarios) {
			if s.ownServer {
				notes = append(notes, fmt.Sprintf("SKIPPED external/%s: its setup needs a server started by the benchmark (mail, secrets)", s.name))
				continue
			}
			run = append(run, s)
		}
		rows, err = runScenarios(ctx, "external", t, o, run, logf)
	}
	if err != nil {
		logf("external: %v", err)
		return rows, append(notes, "FAIL external: "+err.Error()), true
	}
	static, staticNotes, failed := runInProcess(ctx, o, logf)
	return append(rows, static...), append(notes, staticNotes...), failed
}

// serverScenarios are the scenarios aimed at portico, in order.
func serverScenarios(all []scenario) []scenario {
	var out []scenario
	for _, s := range all {
		if !s.inProcess {
			out = append(out, s)
		}
	}
	return out
}

// runInProcess runs the in-process scenarios (the static ceiling), once.
func runInProcess(ctx context.Context, o options, logf func(string, ...any)) (rows []row, notes []string, failed bool) {
	var run []scenario
	for _, s := range o.scenarios {
		if s.inProcess {
			run = append(run, s)
		}
	}
	if len(run) == 0 || ctx.Err() != nil {
		return nil, nil, false
	}
	srv, err := startStatic()
	if err == nil {
		t := newTarget(srv.base, "", o.concurrency)
		rows, err = runScenarios(ctx, "in-process", t, o, run, logf)
		t.client.CloseIdleConnections()
		err = errors.Join(err, srv.stop())
	}
	if err != nil {
		logf("static: %v", err)
		return rows, []string{"FAIL static: " + err.Error()}, true
	}
	return rows, nil, false
}

// mailDrainTimeout bounds the wait, after a scenario that queues mail, for
// the job queue to deliver it, so that the next scenario does not share the
// machine with the backlog.
const mailDrainTimeout = 60 * time.Second

// runScenarios runs scenarios one after another against t.
func runScenarios(ctx context.Context, database string, t *target, o options, run []scenario, logf func(string, ...any)) ([]row, error) {
	var rows []row
	mailQueued := 0
	for i, s := range run {
		t.notes = nil
		if s.setup != nil {
			logf("%s/%s: setup", database, s.name)
			if err := s.setup(ctx, t, o); err != nil {
				return rows, fmt.Errorf("%s: setup: %w", s.name, err)
			}
		}
		if t.queue != nil {
			if msg := settleQueue(ctx, t.queue, logf); msg != "" {
				t.note("%s", msg)
			}
		}
		logf("%s/%s: %d clients, %s warm-up + %s measured", database, s.name, o.concurrency, o.warmup, o.duration)
		res, err := runLoad(ctx, t, s, o.concurrency, o.warmup, o.duration)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", s.name, err)
		}
		if t.pid != 0 {
			res.rssKB = readRSS(t.pid)
		}
		if s.after != nil {
			t.notes = append(t.notes, s.after(ctx, t, res)...)
		}
		if s.queuesMail && t.sink != nil {
			mailQueued += res.acceptedAll
			want := mailQueued + t.state.setupTickets
			if i < len(run)-1 {
				// Not with the next scenario's load.
				t.note("%s", drainMail(ctx, t.sink, want, logf))
			} else {
				t.note("mail: %d of the %d mails queued were undelivered when the load ended (not waited for: no scenario follows)",
					max(0, want-int(t.sink.received.Load())), want)
			}
		}
		rows = append(rows, row{database: database, scenario: s, result: res, notes: t.notes})
		t.notes = nil
	}
	return rows, nil
}

// settleTimeout bounds the wait for the job queue before a load.
const settleTimeout = 60 * time.Second

// settleQueue waits until the server's job queue has no job due or running,
// so that a scenario is not measured while the jobs of the ones before it
// (mail, event publication) still run. It says what it waited for, or ""
// when the queue was empty.
func settleQueue(ctx context.Context, db *sql.DB, logf func(string, ...any)) string {
	start := time.Now()
	first := -1
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := queueDepth(ctx, db)
		if err != nil {
			return "queue: its depth could not be read (" + err.Error() + "); the load started without waiting"
		}
		if first < 0 {
			first = n
			if n > 0 {
				logf("waiting for the job queue: %d jobs due or running", n)
			}
		}
		if n == 0 {
			if first == 0 {
				return ""
			}
			return fmt.Sprintf("queue: %d jobs were due or running before the load; it waited %.1f s for the queue to empty",
				first, time.Since(start).Seconds())
		}
		select {
		case <-ctx.Done():
			return "queue: interrupted"
		case <-tick.C:
			if time.Since(start) > settleTimeout {
				return fmt.Sprintf("queue: still %d jobs due or running after %s (%d at first); the load started anyway",
					n, settleTimeout, first)
			}
		}
	}
}

// drainMail waits until the sink has received want mails in all, and says
// how long the queue took to deliver the backlog left when the load ended.
func drainMail(ctx context.Context, sink *mailSink, want int, logf func(string, ...any)) string {
	start := time.Now()
	atEnd := int(sink.received.Load())
	if atEnd >= want {
		return fmt.Sprintf("mail: all %d mails queued so far were delivered by the end of the load", want)
	}
	logf("waiting for the job queue to deliver %d mails", want-atEnd)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		got := int(sink.received.Load())
		if got >= want {
			took := time.Since(start)
			return fmt.Sprintf("mail: %d of the %d mails queued so far were still undelivered when the load ended; "+
				"the queue delivered them in %.1f s (%.0f mails/s with the server otherwise idle)",
				want-atEnd, want, took.Seconds(), float64(want-atEnd)/took.Seconds())
		}
		select {
		case <-ctx.Done():
			return "mail: interrupted while waiting for the queue"
		case <-tick.C:
			if time.Since(start) > mailDrainTimeout {
				return fmt.Sprintf("mail: %d mails were still undelivered %s after the load (%d were when it ended); "+
					"the next scenarios ran with the queue draining", want-got, mailDrainTimeout, want-atEnd)
			}
		}
	}
}
