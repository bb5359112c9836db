// Command bench measures portico's HTTP throughput and latency. It builds the
// server once, starts it on each database (a fresh SQLite file, a fresh
// PostgreSQL database) and drives every scenario with a closed loop of
// concurrent clients: a short burst, then for the write scenarios a longer
// sustained load timed until its effects (mail, jobs) are done. It prints
// one table row per database and scenario, the static ceiling, and the
// sizes of the built front ends. With -baseline or -baseline-ref it also
// builds another checkout and runs both servers alternately, scenario by
// scenario, and prints their ratios. Run it from the repository root:
//
//	go run ./bench [-duration 5s] [-warmup 1s] [-sustained 30s] [-concurrency 32]
//	               [-scenarios widget,portal,portal-reply,inbound,static]
//	               [-databases sqlite,postgres] [-sizes=false]
//	go run ./bench -baseline-ref main -rounds 2 -markdown docs/PERFORMANCE.md
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

	"github.com/portico/portico/bench/internal/harness"
)

// maxErrorRate is the share of errors above which a run fails.
const maxErrorRate = 0.01

// The sides of a comparison; without a baseline only current runs.
const (
	sideCurrent  = "current"
	sideBaseline = "baseline"
)

type options struct {
	duration     time.Duration
	warmup       time.Duration
	sustained    time.Duration // the sustained load's window; 0 for none
	drainTimeout time.Duration // how long the sustained load's effects may take
	concurrency  int
	rounds       int // runs of each scenario per side
	scenarios    []scenario
	databases    []string
	url          string // an external server; empty to start our own
	src          string // build the server from this checkout; empty: this module
	baseline     string // -baseline: the checkout to compare with
	baselineRef  string // -baseline-ref: a commit to check out and compare with
	markdown     string // write the report's markdown section into this file
	sizes        bool   // print the front-end sizes after the table
	args         []string
}

// row is one line of the results table.
type row struct {
	database  string
	side      string // sideCurrent or sideBaseline; "" for the in-process rows
	round     int    // from 1
	scenario  scenario
	result    result           // the burst
	sustained *sustainedResult // nil when not measured
	notes     []string         // report lines about this row, printed after the table
}

// report is everything a run found, for the terminal and the markdown.
type report struct {
	o                     options
	command               string
	started, finished     time.Time
	loadBefore, loadAfter string // the load average at the start and end of the load
	sides                 []side // in the order they run: the baseline first
	external              string // the -url bench commit line; "" otherwise
	rows                  []row
	notes                 []string // about the run as a whole: skipped, failed
	sizes                 []string
	failed                bool
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
	rep := &report{o: o, command: harness.CommandLine(os.Args[0], "go run ./bench", o.args), started: time.Now(), loadBefore: harness.LoadAverage()}

	if o.url != "" {
		runExternal(ctx, rep, logf)
	} else {
		runLocal(ctx, rep, logf)
	}

	rep.loadAfter = harness.LoadAverage() // before the size scripts' builds
	rep.finished = time.Now()
	if o.sizes && ctx.Err() == nil {
		logf("measuring the front-end sizes")
		rep.sizes = frontEndSizes(ctx)
	}
	for _, r := range rep.rows {
		if r.result.problem() != "" || (r.sustained != nil && r.sustained.load.problem() != "") {
			rep.failed = true
		}
	}

	writeText(stdout, rep)
	if o.markdown != "" {
		if err := markers.WriteFile(o.markdown, markdownSection(rep)); err != nil {
			fmt.Fprintf(stdout, "FAIL markdown: %v\n", err)
			rep.failed = true
		} else {
			logf("wrote the report to %s", o.markdown)
		}
	}
	if rep.failed {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{args: args}
	var scenarioList, databaseList string
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario (the burst)")
	fs.DurationVar(&o.warmup, "warmup", 1*time.Second, "load before the measured time, not counted")
	fs.DurationVar(&o.sustained, "sustained", 30*time.Second,
		"window of the sustained load of widget, portal-reply and inbound, timed until its mail and jobs are done; 0 for none")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 3*time.Minute,
		"how long to wait after the sustained load for its effects; past it the sustained figure is an upper bound")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients, each sending one request at a time")
	fs.IntVar(&o.rounds, "rounds", 0, "runs of each scenario per server, the median is compared (default 1, or 2 with a baseline)")
	fs.StringVar(&scenarioList, "scenarios", defaultScenarios, "comma-separated scenarios: "+strings.Join(scenarioNames(), ", "))
	fs.BoolVar(&o.sizes, "sizes", true, "print the sizes of the built admin UI and widget after the table")
	fs.StringVar(&databaseList, "databases", "sqlite,postgres", "comma-separated databases to start the server on")
	fs.StringVar(&o.url, "url", "", "benchmark the server already running at this loopback URL instead of starting one")
	fs.StringVar(&o.src, "src", "", "build the server from `dir`, another checkout of portico, instead of this one")
	fs.StringVar(&o.baseline, "baseline", "", "also build the server of `dir`, another checkout of portico, and compare the two in the same run")
	fs.StringVar(&o.baselineRef, "baseline-ref", "", "like -baseline, with a temporary git worktree of `ref` (a commit, branch or tag) removed afterwards")
	fs.StringVar(&o.markdown, "markdown", "", "write the report as markdown into `file`, between its <!-- bench:begin --> and <!-- bench:end --> markers")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration <= 0 || o.warmup < 0 || o.concurrency < 1 || o.sustained < 0 || o.drainTimeout <= 0 || o.rounds < 0 {
		return o, errors.New("-duration, -drain-timeout and -concurrency must be positive; -warmup, -sustained and -rounds not negative")
	}
	if o.baseline != "" && o.baselineRef != "" {
		return o, errors.New("give -baseline or -baseline-ref, not both")
	}
	if o.rounds == 0 {
		o.rounds = 1
		if o.hasBaseline() {
			o.rounds = 2 // the least that shows whether a difference repeats
		}
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
		if o.hasBaseline() || o.src != "" {
			return o, errors.New("-url benchmarks a running server: -src, -baseline and -baseline-ref need servers the benchmark builds")
		}
		if err := checkLoopback(o.url); err != nil {
			return o, fmt.Errorf("-url: %w", err)
		}
		o.url = strings.TrimRight(o.url, "/")
	}
	return o, nil
}

func (o options) hasBaseline() bool { return o.baseline != "" || o.baselineRef != "" }

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

// runExternal runs every scenario against the server at o.url.
func runExternal(ctx context.Context, rep *report, logf func(string, ...any)) {
	o := rep.o
	rep.external = "the server at " + o.url + "; the benchmark at " + benchCommit(ctx)
	t := newTarget(o.url, "", o.concurrency)
	t.database, t.side = "external", sideCurrent
	defer t.client.CloseIdleConnections()
	err := harness.WaitReady(ctx, t.base, harness.ReadyTimeout, nil)
	if err == nil {
		var run []scenario
		for _, s := range serverScenarios(o.scenarios) {
			if s.ownServer {
				rep.notes = append(rep.notes, fmt.Sprintf("SKIPPED external/%s: its setup needs a server started by the benchmark (mail, secrets)", s.name))
				continue
			}
			run = append(run, s)
		}
		if o.sustained > 0 {
			rep.notes = append(rep.notes, "SKIPPED the sustained figures: they need the server's mail and database, which only a server started by the benchmark gives")
		}
		var rows []row
		rows, err = runScenarios(ctx, []*target{t}, o, run, logf)
		rep.rows = append(rep.rows, rows...)
	}
	if err != nil {
		logf("external: %v", err)
		rep.notes = append(rep.notes, "FAIL external: "+err.Error())
		rep.failed = true
		return
	}
	runInProcess(ctx, rep, logf)
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

// runInProcess runs the in-process scenarios (the static ceiling), once:
// there is no server binary to compare.
func runInProcess(ctx context.Context, rep *report, logf func(string, ...any)) {
	var run []scenario
	for _, s := range rep.o.scenarios {
		if s.inProcess {
			run = append(run, s)
		}
	}
	if len(run) == 0 || ctx.Err() != nil {
		return
	}
	o := rep.o
	o.rounds = 1
	srv, err := startStatic()
	if err == nil {
		t := newTarget(srv.base, "", o.concurrency)
		t.database = "in-process"
		var rows []row
		rows, err = runScenarios(ctx, []*target{t}, o, run, logf)
		rep.rows = append(rep.rows, rows...)
		t.client.CloseIdleConnections()
		err = errors.Join(err, srv.stop())
	}
	if err != nil {
		logf("static: %v", err)
		rep.notes = append(rep.notes, "FAIL static: "+err.Error())
		rep.failed = true
	}
}

// mailDrainTimeout bounds the wait, after a scenario that queues mail, for
// the job queue to deliver it, so that the next scenario does not share the
// machine with the backlog.
const mailDrainTimeout = 60 * time.Second

// runScenarios runs each scenario o.rounds times on every target in turn
// (baseline, current, baseline, current…), so that whatever else loads the
// machine meanwhile falls on both alike.
func runScenarios(ctx context.Context, targets []*target, o options, run []scenario, logf func(string, ...any)) ([]row, error) {
	var rows []row
	for i, s := range run {
		for round := 1; round <= o.rounds; round++ {
			for _, t := range targets {
				last := i == len(run)-1 && round == o.rounds
				r, err := runOne(ctx, t, o, s, round, last, logf)
				if err != nil {
					return rows, fmt.Errorf("%s: %s: %w", t.label(), s.name, err)
				}
				rows = append(rows, r)
			}
		}
	}
	return rows, nil
}

// runOne runs scenario s once on t: its setup, the burst and, for the
// scenarios with effects, the sustained load. last says that no load
// follows on t, so that its mail need not be waited for.
func runOne(ctx context.Context, t *target, o options, s scenario, round int, last bool, logf func(string, ...any)) (row, error) {
	t.notes = nil
	r := row{database: t.database, side: t.side, round: round, scenario: s}
	name := t.label() + "/" + s.name
	if o.rounds > 1 {
		name += fmt.Sprintf(" round %d", round)
	}
	if s.setup != nil {
		logf("%s: setup", name)
		if err := s.setup(ctx, t, o); err != nil {
			return r, fmt.Errorf("setup: %w", err)
		}
	}
	if t.queue != nil {
		if msg := settleQueue(ctx, t.queue, logf); msg != "" {
			t.note("%s", msg)
		}
	}
	logf("%s: %d clients, %s warm-up + %s measured", name, o.concurrency, o.warmup, o.duration)
	res, err := runLoad(ctx, t, s, o.concurrency, o.warmup, o.duration)
	if err != nil {
		return r, err
	}
	if t.pid != 0 {
		res.rssKB = readRSS(t.pid)
	}
	r.result = res
	if s.after != nil {
		t.notes = append(t.notes, s.after(ctx, t, res)...)
	}
	sustain := o.sustained > 0 && s.sustain && t.sink != nil && t.queue != nil
	if s.queuesMail && t.sink != nil {
		t.loadMails += res.acceptedAll
		want := t.mailsExpected()
		if !last || sustain {
			// Not with the next load.
			t.note("%s", drainMail(ctx, t.sink, want, logf))
		} else {
			t.note("mail: %d of the %d mails queued were undelivered when the load ended (not waited for: no scenario follows)",
				max(0, want-int(t.sink.Received())), want)
		}
	}
	if sustain {
		logf("%s: sustained, %d clients for %s, then until its mail and jobs are done", name, o.concurrency, o.sustained)
		sus, err := runSustained(ctx, t, o, s, logf)
		if err != nil {
			return r, fmt.Errorf("sustained: %w", err)
		}
		r.sustained = &sus
		t.note("%s", sus.describe())
	}
	r.notes = t.notes
	t.notes = nil
	return r, nil
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
func drainMail(ctx context.Context, sink *harness.MailSink, want int, logf func(string, ...any)) string {
	start := time.Now()
	atEnd := int(sink.Received())
	if atEnd >= want {
		return fmt.Sprintf("mail: all %d mails queued so far were delivered by the end of the load", want)
	}
	logf("waiting for the job queue to deliver %d mails", want-atEnd)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		got := int(sink.Received())
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
