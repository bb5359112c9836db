package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/portico/portico/server/config"
	"github.com/portico/portico/server/github"
)

// backfillReportEvery is how often a backfill that waits (GitHub's rate
// limit snoozes its jobs) says so.
const backfillReportEvery = 30 * time.Second

// Backfill is `portico github backfill`: it queues the GitHub backfill of
// every ticket that has no issue (or says what it would queue, o.DryRun)
// and prints it to out; then it works the job queue, as an instance of the
// server does, until those tickets are done, printing each. A running server
// on the same database shares the work. When ctx ends first, what is left
// stays queued: the server finishes it, or the next run.
func Backfill(ctx context.Context, cfg config.Config, d Deps, out io.Writer, o github.BackfillOptions) error {
	a, err := newApp(ctx, cfg, d, false)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.backfill(ctx, out, o)
}

func (a *App) backfill(ctx context.Context, out io.Writer, o github.BackfillOptions) error {
	if !a.github.Enabled() {
		return errors.New("the GitHub sync is off (PORTICO_GITHUB_REPOSITORY is empty): set it, with PORTICO_GITHUB_TOKEN " +
			"or a GitHub App, to backfill")
	}
	res, err := a.github.Backfill(ctx, o)
	if err != nil {
		return err
	}
	verb := "queued"
	if res.DryRun {
		verb = "would queue"
	}
	waiting := map[int64]string{}
	for _, t := range res.Queued {
		state := ""
		if t.Closed {
			state = ", then closed"
		}
		fmt.Fprintf(out, "%s %s: issue and %s%s\n", verb, t.Reference, plural(t.Comments, "comment"), state)
		waiting[t.ID] = t.Reference
	}
	fmt.Fprintf(out, "%s %s (%s); %d already under way; %d erased (never backfilled); %d left for another run\n",
		plural(len(res.Queued), "ticket"), verb, plural(res.Comments, "comment"), res.InProgress, res.Erased, res.Left)
	if res.DryRun || len(waiting) == 0 {
		return nil
	}

	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		if err := a.queue.Stop(stopCtx); err != nil {
			a.log.Warn("stopping the job queue", "err", err)
		}
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastWord := time.Now()
	for len(waiting) > 0 {
		select {
		case <-ctx.Done():
			fmt.Fprintf(out, "stopped with %d tickets still queued; a running portico (or the next run) finishes them\n", len(waiting))
			return ctx.Err()
		case <-tick.C:
		}
		busy, err := a.github.Backfilling(ctx)
		if err != nil {
			return err
		}
		var done []int64
		for id := range waiting {
			if !busy[id] {
				done = append(done, id)
			}
		}
		sort.Slice(done, func(i, j int) bool { return done[i] < done[j] })
		for _, id := range done {
			t, err := a.store.Ticket(ctx, id)
			switch {
			case err != nil:
				return err
			case t.GitHubIssueNumber != nil:
				fmt.Fprintf(out, "done %s: issue #%d\n", waiting[id], *t.GitHubIssueNumber)
			default:
				fmt.Fprintf(out, "not done %s: its job gave up or was cancelled (see the log); run the backfill again\n", waiting[id])
			}
			delete(waiting, id)
			lastWord = time.Now()
		}
		if len(waiting) > 0 && time.Since(lastWord) >= backfillReportEvery {
			fmt.Fprintf(out, "waiting for %d tickets (a GitHub rate limit makes the jobs wait for its reset)\n", len(waiting))
			lastWord = time.Now()
		}
	}
	fmt.Fprintln(out, "backfill done")
	return nil
}

// plural is "1 ticket", "2 tickets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
