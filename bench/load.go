package main

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/bench/internal/harness"
)

// requestTimeout bounds one request, and so how long the load can run past
// its measured time while the last requests finish.
const requestTimeout = 10 * time.Second

// target is a running server the load is aimed at.
type target struct {
	base       string // http://127.0.0.1:PORT, no trailing slash
	adminToken string // PORTICO_ADMIN_API_TOKEN; empty for -url
	runID      string // tells this run's data apart from earlier runs'
	client     *http.Client

	// Known only for a server the benchmark started:
	pid           int               // its process, for its RSS; 0 otherwise
	sink          *harness.MailSink // where its mail goes; nil otherwise
	inboundSecret string            // PORTICO_INBOUND_SECRET
	replyDomain   string            // the host of PORTICO_MAIL_FROM
	queue         *sql.DB           // its database, to see its job queue's depth
	postgres      bool              // on PostgreSQL, whose CPU time is then sampled
	compared      bool              // there is a baseline, so labels name the side
	stop          func() error      // stops the server and removes its database

	database string // its row label: sqlite, postgres, external, in-process
	side     string // sideCurrent, sideBaseline; "" for the in-process server

	state     state // what the setups prepared
	loadMails int   // mails queued by the loads (the setups' are in state)
	// load counts the loads run so far; requests name it, so that a
	// scenario's repeated loads do not send the same Message-ID or address.
	load      int
	replyNext atomic.Int64 // portal-reply: requests so far, to pick links in turn
	notes     []string     // report lines of the current scenario
}

// label names t in progress lines: the database, and the side when there
// is a baseline.
func (t *target) label() string {
	if t.compared {
		return t.database + " " + t.side
	}
	return t.database
}

// mailsExpected is how many mails the server has queued in all: one per
// ticket filed, by a setup or a load.
func (t *target) mailsExpected() int { return t.state.setupTickets + t.loadMails }

func newTarget(base, adminToken string, concurrency int) *target {
	return &target{base: base, adminToken: adminToken, runID: harness.RandomHex(4), client: newClient(concurrency)}
}

// note adds a report line to the current scenario's row.
func (t *target) note(format string, a ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, a...))
}

// newClient is shared by all workers. Idle connections are kept for every
// worker, so that the load measures requests and not TCP handshakes.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:               nil, // straight to the loopback server, whatever HTTP_PROXY says
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		// A redirect is a result to count, and could lead off this machine.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// result is what one scenario measured.
type result struct {
	concurrency int
	duration    time.Duration
	// started is when the load began (warm-up included) and ended when
	// its last request finished.
	started, ended time.Time
	latencies      []time.Duration // of every counted request, sorted
	accept         int             // the status that counts as accepted
	acceptedAll    int             // accepted responses, warm-up and overrun included
	statuses       map[int]int     // responses by status
	// wrong counts responses that had the accept status but failed the
	// scenario's check, by what the check said (e.g. "outcome=created").
	wrong     map[string]int
	transport int   // requests that got no response
	firstErr  error // the first transport error, for the report
	rssKB     int64 // the server's resident set after the load; 0 unknown
	// CPU during the measured time.
	cpu cpuUse
}

func (r result) requests() int { return len(r.latencies) }
func (r result) accepted() int {
	n := r.statuses[r.accept]
	for _, w := range r.wrong {
		n -= w
	}
	return n
}
func (r result) errorCount() int { return r.requests() - r.accepted() }

func (r result) acceptedPerSecond() float64 {
	return float64(r.accepted()) / r.duration.Seconds()
}

func (r result) errorRate() float64 {
	if r.requests() == 0 {
		return 0
	}
	return float64(r.errorCount()) / float64(r.requests())
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of the
// latencies: the smallest value at least p% of requests did not exceed.
func (r result) percentile(p float64) time.Duration {
	return percentile(r.latencies, p)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// breakdown lists the errors by status, e.g. "429:12 500:3 transport:1".
func (r result) breakdown() string {
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(r.statuses)) {
		if status != r.accept {
			parts = append(parts, strconv.Itoa(status)+":"+strconv.Itoa(r.statuses[status]))
		}
	}
	for _, what := range slices.Sorted(maps.Keys(r.wrong)) {
		parts = append(parts, strconv.Itoa(r.accept)+" "+what+":"+strconv.Itoa(r.wrong[what]))
	}
	if r.transport > 0 {
		parts = append(parts, "transport:"+strconv.Itoa(r.transport))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// problem says why the result fails the run, or "" when it passes.
func (r result) problem() string {
	switch {
	case r.requests() == 0:
		return "no request completed within the measured time"
	case r.errorRate() > maxErrorRate:
		msg := fmt.Sprintf("%.2f%% errors (%s), more than %.0f%%", 100*r.errorRate(), r.breakdown(), 100*maxErrorRate)
		if r.firstErr != nil {
			msg += "; first transport error: " + r.firstErr.Error()
		}
		return msg
	}
	return ""
}

// runLoad runs s with concurrency workers in a closed loop for warmup plus
// duration and counts the requests that both started and finished within the
// measured duration: warm-up requests, and those still in flight when the
// duration ends, are not counted.
func runLoad(ctx context.Context, t *target, s scenario, concurrency int, warmup, duration time.Duration) (result, error) {
	t.load++ // before the workers start, which read it
	started := time.Now()
	from := started.Add(warmup)
	to := from.Add(duration)
	// Workers send no request after to, and each request times out, so this
	// deadline is never reached unless something is badly wrong.
	loadCtx, cancel := context.WithDeadline(ctx, to.Add(requestTimeout+time.Second))
	defer cancel()

	stats := make([]workerStats, concurrency)
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() { stats[w] = work(loadCtx, t, s, w, from, to) })
	}
	// The CPU counters at the start and end of the measured time.
	var cpuFrom, cpuTo cpuSample
	wg.Go(func() {
		time.Sleep(time.Until(from))
		cpuFrom = sampleCPU(t.pid, t.postgres)
		time.Sleep(time.Until(to))
		cpuTo = sampleCPU(t.pid, t.postgres)
	})
	wg.Wait()
	ended := time.Now()
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("interrupted: %w", err)
	}

	res := result{concurrency: concurrency, duration: duration, started: started, ended: ended,
		accept: s.accept, statuses: map[int]int{}, wrong: map[string]int{}}
	res.cpu = cpuBetween(cpuFrom, cpuTo)
	for _, st := range stats {
		if st.buildErr != nil {
			return result{}, fmt.Errorf("build request: %w", st.buildErr)
		}
		res.latencies = append(res.latencies, st.latencies...)
		for status, n := range st.statuses {
			res.statuses[status] += n
		}
		for what, n := range st.wrong {
			res.wrong[what] += n
		}
		res.transport += st.transport
		res.acceptedAll += st.acceptedAll
		if res.firstErr == nil {
			res.firstErr = st.firstErr
		}
	}
	slices.Sort(res.latencies)
	return res, nil
}

// workerStats is one worker's share of a result; each worker has its own so
// that recording needs no lock.
type workerStats struct {
	latencies []time.Duration
	statuses  map[int]int
	wrong     map[string]int
	transport int
	firstErr  error
	buildErr  error
	// acceptedAll counts outside the window too: each accepted request
	// leaves work (mail) for the server's job queue.
	acceptedAll int
}

func work(ctx context.Context, t *target, s scenario, worker int, from, to time.Time) workerStats {
	st := workerStats{statuses: map[int]int{}, wrong: map[string]int{}}
	client := t.client
	for seq := 0; ctx.Err() == nil && time.Now().Before(to); seq++ {
		req, err := s.request(ctx, t, worker, seq)
		if err != nil {
			st.buildErr = err
			return st
		}
		start := time.Now()
		var status int
		var body []byte
		if s.check == nil {
			status, err = harness.Send(client, req)
		} else {
			status, body, err = harness.SendRead(client, req)
		}
		end := time.Now()
		var wrong string
		if err == nil && status == s.accept && s.check != nil {
			wrong = s.check(body)
		}
		if err == nil && status == s.accept && wrong == "" {
			st.acceptedAll++
		}
		if start.Before(from) || end.After(to) {
			continue
		}
		st.latencies = append(st.latencies, end.Sub(start))
		if err != nil {
			st.transport++
			if st.firstErr == nil {
				st.firstErr = err
			}
			continue
		}
		st.statuses[status]++
		if wrong != "" {
			st.wrong[wrong]++
		}
	}
	return st
}
