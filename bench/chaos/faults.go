package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/portico/portico/server/github/githubtest"
)

// faultKind names what a fault does.
type faultKind string

const (
	faultKill       faultKind = "kill"
	faultPostgres   faultKind = "postgres"
	faultSMTP       faultKind = "smtp"
	faultRedis      faultKind = "redis"
	faultGitHub502  faultKind = "github-502"
	faultGitHubRate faultKind = "github-rate"
)

// planned is a fault of the plan: when it starts and how long it lasts, in
// seconds of a 60-second run (other durations scale both). A length of 0 is
// a fault that lasts as long as it takes: a kill and restart, a PostgreSQL
// restart.
type planned struct {
	kind       faultKind
	at, length float64
}

// plan is issue 18's: three kills spread through the run, a PostgreSQL
// restart, the SMTP server away for 20 s, Redis cut, GitHub answering 502
// and then rate limits. Kill #2 falls while SMTP and GitHub are down, so
// that jobs failing for one reason are also cut by another.
var plan = []planned{
	{faultKill, 5, 0},
	{faultPostgres, 12, 0},
	{faultSMTP, 18, 20},
	{faultRedis, 25, 8},
	{faultGitHub502, 30, 8},
	{faultKill, 35, 0},
	{faultGitHubRate, 40, 8},
	{faultKill, 52, 0},
}

// fault is a fault as it ran.
type fault struct {
	kind       faultKind
	label      string
	at, length time.Duration // as planned, scaled to the run
	start, end time.Time     // as it ran: from the first action to the last
	notes      []string
}

// scaled returns the plan for a run of duration d, labelled.
func scaled(d time.Duration) []*fault {
	k := d.Seconds() / 60
	var out []*fault
	kills := 0
	for _, p := range plan {
		f := &fault{kind: p.kind, at: seconds(p.at * k), length: seconds(p.length * k)}
		switch p.kind {
		case faultKill:
			kills++
			f.label = fmt.Sprintf("SIGKILL #%d, restart", kills)
		case faultPostgres:
			f.label = "PostgreSQL restart (-m fast)"
		case faultSMTP:
			f.label = fmt.Sprintf("SMTP server down %.0f s", f.length.Seconds())
		case faultRedis:
			f.label = fmt.Sprintf("Redis cut %.0f s", f.length.Seconds())
		case faultGitHub502:
			f.label = fmt.Sprintf("GitHub 502 %.0f s", f.length.Seconds())
		case faultGitHubRate:
			f.label = fmt.Sprintf("GitHub rate limit %.0f s", f.length.Seconds())
		}
		out = append(out, f)
	}
	return out
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// step is one action of the schedule, at an offset from the load's start.
type step struct {
	at time.Duration
	f  *fault
	do func(ctx context.Context) error
}

// steps turns the faults into the actions that make them, in time order:
// a kill or a restart is one action; an outage starts, for GitHub changes
// halfway (a 502 after the work, then one before it; the primary rate
// limit, then the secondary one), and ends.
func (r *rig) steps(faults []*fault, loadStart time.Time) []step {
	var out []step
	add := func(f *fault, at time.Duration, do func(ctx context.Context) error) {
		out = append(out, step{at: at, f: f, do: do})
	}
	begin := func(f *fault) {
		f.start = time.Now()
		r.logf("%s", f.label)
	}
	for _, f := range faults {
		switch f.kind {
		case faultKill:
			add(f, f.at, func(ctx context.Context) error { return r.kill(ctx, f) })
		case faultPostgres:
			add(f, f.at, func(ctx context.Context) error { return r.restartPostgres(ctx, f) })
		case faultSMTP:
			add(f, f.at, func(context.Context) error { begin(f); r.sink.Stop(); return nil })
			add(f, f.at+f.length, func(context.Context) error { f.end = time.Now(); return r.sink.Restart() })
		case faultRedis:
			add(f, f.at, func(context.Context) error { begin(f); return r.redis.cut() })
			add(f, f.at+f.length, func(ctx context.Context) error { return r.restoreRedis(ctx, f) })
		case faultGitHub502:
			add(f, f.at, func(context.Context) error {
				begin(f)
				// The gateway times out after GitHub made the issue: the
				// retry must find it, not make another.
				r.github.SetOutage(new(githubtest.BadGateway(true)))
				return nil
			})
			add(f, f.at+f.length/2, func(context.Context) error { r.github.SetOutage(new(githubtest.BadGateway(false))); return nil })
			add(f, f.at+f.length, func(context.Context) error { r.github.SetOutage(nil); f.end = time.Now(); return nil })
		case faultGitHubRate:
			add(f, f.at, func(context.Context) error {
				begin(f)
				r.github.SetOutage(new(githubtest.PrimaryRateLimit(loadStart.Add(f.at + f.length))))
				return nil
			})
			add(f, f.at+f.length/2, func(context.Context) error {
				left := max(int((f.length - f.length/2).Round(time.Second).Seconds()), 1)
				r.github.SetOutage(new(githubtest.SecondaryRateLimit(http.StatusTooManyRequests, left)))
				return nil
			})
			add(f, f.at+f.length, func(context.Context) error { r.github.SetOutage(nil); f.end = time.Now(); return nil })
		}
	}
	slices.SortStableFunc(out, func(a, b step) int { return int(a.at - b.at) })
	return out
}

// runSteps does each step at its time; a step that runs late (a restart
// that took a while) delays the ones after it, which the faults' own
// start and end times then show. The first step that fails ends the run.
func runSteps(ctx context.Context, steps []step, loadStart time.Time) error {
	for _, s := range steps {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(loadStart.Add(s.at))):
		}
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.f.label, err)
		}
	}
	return nil
}
