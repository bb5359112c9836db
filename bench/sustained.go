package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// sustainedResult is a load timed until its effects were done. The burst
// counts tickets accepted while their confirmation mails pile up in the job
// queue; this counts only work that is finished: the load runs for the
// window, then the benchmark waits until the mail has reached the SMTP sink
// and the River queue has no job available or running.
type sustainedResult struct {
	load     result        // the load itself, for its errors
	accepted int           // accepted requests, all of them (there is no warm-up)
	window   time.Duration // from the first request to the last answer
	drain    time.Duration // from the last answer until the effects were done
	drained  bool          // false: drainTimeout passed first and drain is a lower bound
	// What was left when the load ended, and how much the load made of it:
	// mail is counted at the sink (scenarios that queue mail only), jobs in
	// river_job. -1 when not known.
	mailBacklog, mailProduced int
	jobBacklog, jobProduced   int
}

// perSecond is the sustained rate: accepted requests over the time until
// their effects were done. When the drain timed out it is an upper bound.
func (s sustainedResult) perSecond() float64 {
	return sustainedRate(s.accepted, s.window, s.drain)
}

func sustainedRate(accepted int, window, drain time.Duration) float64 {
	if window+drain <= 0 {
		return 0
	}
	return float64(accepted) / (window + drain).Seconds()
}

// backlogSeconds is what was left undone when the load ended, in seconds
// of intake: the mail backlog for the scenarios that queue mail (the issue's
// measure), else the job backlog; -1 when neither is known.
func (s sustainedResult) backlogSeconds() float64 {
	if s.mailBacklog >= 0 && s.mailProduced > 0 {
		return backlogSeconds(s.mailBacklog, s.mailProduced, s.window)
	}
	if s.jobBacklog >= 0 && s.jobProduced > 0 {
		return backlogSeconds(s.jobBacklog, s.jobProduced, s.window)
	}
	return -1
}

// backlogSeconds converts a backlog into seconds of intake: produced units
// of work (mails, jobs) came in over window, so backlog of them took
// backlog × window / produced seconds to come in. That is backlog mails
// divided by the accepted rate when each request queues one mail.
func backlogSeconds(backlog, produced int, window time.Duration) float64 {
	if produced <= 0 {
		return 0
	}
	return float64(backlog) * window.Seconds() / float64(produced)
}

// describe is the report line of a sustained load.
func (s sustainedResult) describe() string {
	intake := float64(s.accepted) / s.window.Seconds()
	var left []string
	if s.mailBacklog >= 0 {
		left = append(left, fmt.Sprintf("%d of its %d mails", s.mailBacklog, s.mailProduced))
	}
	if s.jobBacklog >= 0 {
		left = append(left, fmt.Sprintf("%d jobs available or running (it queued %d)", s.jobBacklog, s.jobProduced))
	}
	done := fmt.Sprintf("they were done %.1f s later", s.drain.Seconds())
	if !s.drained {
		done = fmt.Sprintf("they were NOT done %s later (-drain-timeout), so the rate is an upper bound", s.drain)
	}
	leftText := "its backlog is unknown"
	if len(left) > 0 {
		leftText = "left " + joinAnd(left)
		if b := s.backlogSeconds(); b >= 0 {
			leftText += fmt.Sprintf(" (%.2f s of intake)", b)
		}
	}
	line := fmt.Sprintf("sustained: %d accepted in %.1f s (%.0f/s intake); the end of the load %s; %s: %.0f/s sustained",
		s.accepted, s.window.Seconds(), intake, leftText, done, s.perSecond())
	if n := s.load.errorCount(); n > 0 {
		line += fmt.Sprintf("; %d errors (%s)", n, s.load.breakdown())
	}
	return line
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		out += ", " + p
	}
	return out + " and " + parts[len(parts)-1]
}

// runSustained runs s for o.sustained without warm-up (the burst warmed the
// server) on a settled queue, then waits for its effects.
func runSustained(ctx context.Context, t *target, o options, s scenario, logf func(string, ...any)) (sustainedResult, error) {
	// Nothing of the burst may be left: the drain would count it.
	if msg := settleQueue(ctx, t.queue, logf); msg != "" {
		t.note("sustained: %s", msg)
	}
	jobsBefore, errBefore := jobCount(ctx, t.queue)
	res, err := runLoad(ctx, t, s, o.concurrency, 0, o.sustained)
	if err != nil {
		return sustainedResult{}, err
	}
	sus := sustainedResult{load: res, accepted: res.acceptedAll, window: res.ended.Sub(res.started),
		mailBacklog: -1, mailProduced: -1, jobBacklog: -1, jobProduced: -1}
	if s.queuesMail {
		t.loadMails += res.acceptedAll
		sus.mailProduced = res.acceptedAll
		sus.mailBacklog = max(0, t.mailsExpected()-int(t.sink.Received()))
	}
	depth, errDepth := queueDepth(ctx, t.queue)
	jobsAfter, errAfter := jobCount(ctx, t.queue)
	if errBefore == nil && errDepth == nil && errAfter == nil {
		sus.jobBacklog, sus.jobProduced = depth, jobsAfter-jobsBefore
	} else {
		t.note("sustained: the job queue could not be read (%v)", firstError(errBefore, errDepth, errAfter))
	}
	if sus.mailBacklog > 0 || sus.jobBacklog > 0 {
		logf("waiting for the effects of the sustained load: %d mails, %d jobs", max(sus.mailBacklog, 0), max(sus.jobBacklog, 0))
	}
	sus.drain, sus.drained, err = drainEffects(ctx, t, res.ended, o.drainTimeout)
	return sus, err
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// drainEffects waits until every mail the server queued has reached the
// sink and its job queue has no job available or running, and returns how
// long after since that was, or timeout with drained false.
func drainEffects(ctx context.Context, t *target, since time.Time, timeout time.Duration) (took time.Duration, drained bool, err error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if int(t.sink.Received()) >= t.mailsExpected() {
			n, err := queueDepth(ctx, t.queue)
			if err != nil {
				return time.Since(since), false, fmt.Errorf("read the job queue: %w", err)
			}
			if n == 0 {
				return time.Since(since), true, nil
			}
		}
		if time.Since(since) > timeout {
			return timeout, false, nil
		}
		select {
		case <-ctx.Done():
			return time.Since(since), false, fmt.Errorf("interrupted: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// jobCount is the number of River jobs in any state: with the queue
// settled before a load, its growth is what the load queued (completed
// jobs stay in river_job for a day).
func jobCount(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n)
	return n, err
}
