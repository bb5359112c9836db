// Command chaos runs portico under a steady load while its dependencies
// fail, and counts what survived (issue 18): for -duration (60 s) it sends
// widget tickets, inbound mails, portal replies and portal page loads at a
// fixed rate, kills the server with SIGKILL three times and restarts it,
// restarts PostgreSQL, takes the SMTP server away, cuts Redis and has
// GitHub answer 502 and rate limits. Then it waits for the queues to drain
// and counts: requests answered, tickets and messages stored (every
// accepted request must be: 0 lost), mails delivered (0 duplicates by
// Message-ID, 0 missing), GitHub issues and comments (0 duplicates, 0
// missing), errors during each fault and how long the service took to
// recover. Run it from the repository root:
//
//	go run ./bench/chaos [-duration 60s] [-rate 40] [-drain-timeout 2m] [-markdown docs/RELIABILITY.md]
//
// Everything is its own: a PostgreSQL cluster (initdb, pg_ctl) and a
// redis-server on free ports, an SMTP sink and a fake GitHub in the
// process. It exits 1 on any loss, duplicate or missing effect, 2 on bad
// flags, and 0 with SKIPPED when PostgreSQL or Redis is not installed,
// except under CI=true, where that fails.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/portico/portico/bench/internal/harness"
	"github.com/portico/portico/server/github/githubtest"
)

type options struct {
	duration     time.Duration
	rate         float64
	drainTimeout time.Duration
	markdown     string
	args         []string
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
		fmt.Fprintln(stderr, "chaos:", err)
		return 2
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "chaos: "+format+"\n", a...) }
	rep := &report{o: o, command: harness.CommandLine(os.Args[0], "go run ./bench/chaos", o.args),
		started: time.Now(), loadBefore: harness.LoadAverage()}
	err = runChaos(ctx, o, rep, logf)
	rep.loadAfter, rep.finished = harness.LoadAverage(), time.Now()
	var missing missingError
	if errors.As(err, &missing) && os.Getenv("CI") != "true" {
		fmt.Fprintf(stdout, "SKIPPED the chaos run: %v (with CI=true this is a failure)\n", err)
		return 0
	}
	if err != nil {
		rep.problems = append(rep.problems, err.Error())
	}
	writeText(stdout, rep)
	if o.markdown != "" && err == nil {
		if err := markers.WriteFile(o.markdown, markdownSection(rep)); err != nil {
			fmt.Fprintf(stdout, "FAIL markdown: %v\n", err)
			return 1
		}
		logf("wrote the figures to %s", o.markdown)
	}
	if len(rep.problems) > 0 {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{args: args}
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long the load runs; the faults are spread over it in proportion")
	fs.Float64Var(&o.rate, "rate", 40, "requests per second in all: 40% widget tickets, 25% inbound mails, 10% portal replies, 25% portal pages")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 2*time.Minute, "how long to wait after the load for the queued mails and GitHub posts")
	fs.StringVar(&o.markdown, "markdown", "", "write the figures into `file`, between its <!-- chaos:begin --> and <!-- chaos:end --> markers")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	// Below 10 s the faults would overlap: a restart takes a second or two.
	if o.duration < 10*time.Second || o.rate <= 0 || o.drainTimeout <= 0 {
		return o, errors.New("-duration must be at least 10s; -rate and -drain-timeout must be positive")
	}
	return o, nil
}

// rig is everything the run started: the server and what it depends on.
type rig struct {
	dir    string
	srvOpt harness.ServerOptions
	srv    *harness.Server
	log    *harness.LogFilter
	pg     *cluster
	db     *sql.DB // the server's database, for the checks
	redis  *redisServer
	sink   *harness.MailSink
	github *githubtest.Server
	// inboundSecret is PORTICO_INBOUND_SECRET.
	inboundSecret string
	// bg runs measurements that outlast their fault's step.
	bg    sync.WaitGroup
	kills []killed
	logf  func(string, ...any)
}

// runChaos starts everything, runs the load and the faults, waits for the
// queues and counts.
func runChaos(ctx context.Context, o options, rep *report, logf func(string, ...any)) (err error) {
	r := &rig{logf: logf}
	defer func() { err = errors.Join(err, r.close()) }()
	if err := r.start(ctx, rep); err != nil {
		return err
	}

	runID := harness.RandomHex(4)
	n := linkCount(o.rate, o.duration)
	logf("setup: filing %d tickets for their portal links", n)
	links, err := fileLinks(ctx, r.srv.Base, r.sink, runID, n)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	rep.links = n

	faults := scaled(o.duration)
	l := newLoad(r.srv.Base, r.inboundSecret, runID, links)
	logf("load: %.0f requests/s for %s; faults: %d", o.rate, o.duration, len(faults))
	loadStart := time.Now()
	loadCtx, stopLoad := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() { l.run(loadCtx, o.rate); close(loaded) }()
	stepErr := runSteps(ctx, r.steps(faults, loadStart), loadStart)
	// The load goes on until the last fault has ended and a little after,
	// so that the recovery from it is seen.
	end := loadStart.Add(o.duration)
	for _, f := range faults {
		end = later(end, f.end.Add(loadTail))
	}
	if stepErr != nil {
		end = time.Now()
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(end)):
	}
	stopLoad()
	<-loaded
	rep.loadStart, rep.loadEnd = loadStart, time.Now()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	if stepErr != nil {
		return stepErr
	}

	logf("load done (%d requests); waiting up to %s for the queues", len(l.outcomes), o.drainTimeout)
	rep.drain, rep.drained, rep.left, rep.others = r.drain(ctx, o.drainTimeout)
	r.bg.Wait()
	snap, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	arrivals := r.sink.Arrivals()
	rep.figures = count(l.outcomes, l.skipped, snap, arrivals, r.windowMails(arrivals))
	rep.faults = measureFaults(faults, l.outcomes, snap)
	rep.counted = true
	rep.unexpected = r.github.Unexpected()
	rep.problems = append(rep.problems, rep.figures.problems()...)
	if !rep.drained {
		rep.problems = append(rep.problems, "the mails and GitHub posts were not all done within -drain-timeout: "+rep.left)
	}
	if len(rep.unexpected) > 0 {
		rep.problems = append(rep.problems, fmt.Sprintf("the fake GitHub got %d requests it does not know, e.g. %s", len(rep.unexpected), rep.unexpected[0]))
	}
	return nil
}

// loadTail is how long the load goes on after the last fault ended.
const loadTail = 3 * time.Second

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// freePort is a loopback port that was free a moment ago.
func freePort() (int, error) {
	addr, err := harness.FreeAddr()
	if err != nil {
		return 0, err
	}
	_, p, _ := net.SplitHostPort(addr)
	return strconv.Atoi(p)
}
