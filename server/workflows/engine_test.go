package workflows

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// recorder stands in for the job queue, the tickets service and GitHub.
type recorder struct {
	mu     sync.Mutex
	jobs   []river.JobArgs
	calls  []string
	st     *store.Store
	fail   error
	closed []int64
	// tagsFail fails the next ChangeTags (the database was down).
	tagsFail error
}

func (r *recorder) Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, args)
	return nil
}

func (r *recorder) SetPriority(ctx context.Context, id int64, p string, depth int) (bool, error) {
	return false, nil
}

func (r *recorder) ChangeTags(ctx context.Context, id int64, add, remove []string) ([]string, []string, error) {
	r.mu.Lock()
	fail := r.tagsFail
	r.tagsFail = nil
	r.mu.Unlock()
	if fail != nil {
		return nil, nil, fail
	}
	err := r.st.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range add {
			if _, err := tx.AddTicketTag(ctx, id, t); err != nil {
				return err
			}
		}
		for _, t := range remove {
			if _, err := tx.RemoveTicketTag(ctx, id, t); err != nil {
				return err
			}
		}
		return nil
	})
	return add, remove, err
}

// Close closes the ticket in the engine's transaction (ctx carries it), so
// a close whose step was done already is rolled back, and counts it.
func (r *recorder) Close(ctx context.Context, id int64, c tickets.StateChange) (bool, error) {
	var closed bool
	err := r.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		closed, err = tx.CloseTicket(ctx, id, tx.Now(), 30*24*time.Hour)
		return err
	})
	if err == nil && closed {
		r.mu.Lock()
		r.closed = append(r.closed, id)
		r.mu.Unlock()
	}
	return closed, err
}

func (r *recorder) record(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
	err := r.fail
	r.fail = nil
	return err
}

func (r *recorder) AddLabels(ctx context.Context, issue int64, labels []string) error {
	return r.record(fmt.Sprintf("add #%d %v", issue, labels))
}

func (r *recorder) RemoveLabel(ctx context.Context, issue int64, label string) error {
	return r.record(fmt.Sprintf("remove #%d %s", issue, label))
}

func (r *recorder) AddAssignees(ctx context.Context, issue int64, logins []string) error {
	return r.record(fmt.Sprintf("assign #%d %v", issue, logins))
}

type waitErr struct{ d time.Duration }

func (w waitErr) Error() string             { return "rate limited" }
func (w waitErr) RetryAfter() time.Duration { return w.d }

func jobOf[T river.JobArgs](args T, attempt int) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 25}, Args: args}
}

// TestDelayedChain drives a delayed chain by hand: early it sleeps (never
// longer than MaxSleep), a customer message written since it began cancels
// it even when no event said so, and once due it fires exactly once.
func TestDelayedChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		move := func(by time.Duration) { mu.Lock(); now = now.Add(by); mu.Unlock() }
		s := dbtest.Open(t, d, clock)
		rec := &recorder{st: s}
		e := New(Options{Store: s, Tickets: rec, Jobs: rec, Now: clock, MaxSleep: time.Minute, Log: slog.New(slog.DiscardHandler)})

		rule, err := e.Create(ctx, RuleInput{Name: []byte(`"Close quiet"`), Trigger: []byte(`"reply.created"`),
			Conditions: []byte(`{"all":[{"field":"author","operator":"equals","value":"agent"}]}`),
			Actions:    []byte(`[{"type":"delay","value":"2h"},{"type":"close"}]`)})
		if err != nil {
			t.Fatal(err)
		}
		newRun := func() (store.WorkflowRun, int64) {
			t.Helper()
			var run store.WorkflowRun
			var ticket model.Ticket
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				if ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget}); err != nil {
					return err
				}
				if _, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionInbound, Source: model.SourceWidget, Body: "hi"}); err != nil {
					return err
				}
				run, err = tx.InsertWorkflowRun(ctx, store.NewWorkflowRun{RuleID: rule.ID, RuleName: rule.Name, TicketID: ticket.ID,
					Event: "reply.created", EventKey: "k" + strconv.FormatInt(ticket.ID, 10), Actions: `[{"type":"delay","value":"2h"},{"type":"close"}]`, Status: RunRunning})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.execute(ctx, jobOf(ExecuteArgs{RunIDs: []int64{run.ID}}, 1)); err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			last := rec.jobs[len(rec.jobs)-1].(ResumeArgs)
			if wall := time.Until(last.RunAt); wall > time.Minute+time.Second || wall < 50*time.Second {
				t.Errorf("first look in %v, want MaxSleep (1m)", wall)
			}
			return run, last.DelayID
		}

		quiet, quietDelay := newRun()
		answered, answeredDelay := newRun()
		if got, _ := s.WorkflowRun(ctx, quiet.ID, DelayPending); got.Status != RunWaiting || got.DueAt == nil || !got.DueAt.Equal(now.Add(2*time.Hour)) {
			t.Fatalf("run = %+v", got)
		}

		// Early: it sleeps, at most MaxSleep.
		var snooze *river.JobSnoozeError
		if err := e.resume(ctx, jobOf(ResumeArgs{DelayID: quietDelay}, 1)); !errors.As(err, &snooze) || snooze.Duration != time.Minute {
			t.Fatalf("early resume = %v", err)
		}
		move(119 * time.Minute)
		if err := e.resume(ctx, jobOf(ResumeArgs{DelayID: quietDelay}, 1)); !errors.As(err, &snooze) || snooze.Duration != time.Minute {
			t.Fatalf("resume a minute early = %v", err)
		}

		// The customer writes on one ticket (no event handled yet).
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddMessage(ctx, store.NewMessage{TicketID: answered.TicketID, Direction: model.DirectionInbound, Source: model.SourcePortal, Body: "still broken"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		move(time.Minute)
		for i := 0; i < 2; i++ { // a second try changes nothing
			if err := e.resume(ctx, jobOf(ResumeArgs{DelayID: quietDelay}, 1)); err != nil {
				t.Fatal(err)
			}
			if err := e.resume(ctx, jobOf(ResumeArgs{DelayID: answeredDelay}, 1)); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.closed) != 1 || rec.closed[0] != quiet.TicketID {
			t.Errorf("closed %v, want only %d", rec.closed, quiet.TicketID)
		}
		if got, _ := s.WorkflowRun(ctx, quiet.ID, DelayPending); got.Status != RunDone || got.NextStep != 2 || got.FinishedAt == nil {
			t.Errorf("quiet run = %+v", got)
		}
		if got, _ := s.WorkflowRun(ctx, answered.ID, DelayPending); got.Status != RunCanceled || got.Error != reasonCustomerReplied {
			t.Errorf("answered run = %+v", got)
		}

		// A chain whose rule was disabled is canceled when it falls due.
		third, thirdDelay := newRun()
		if _, err := e.SetEnabled(ctx, rule.ID, false); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.WorkflowRun(ctx, third.ID, DelayPending); got.Status != RunCanceled || got.Error != reasonRuleDisabled {
			t.Errorf("run of a disabled rule = %+v", got)
		}
		move(3 * time.Hour)
		if err := e.resume(ctx, jobOf(ResumeArgs{DelayID: thirdDelay}, 1)); err != nil {
			t.Fatal(err)
		}
		if len(rec.closed) != 1 {
			t.Errorf("a disabled rule closed a ticket: %v", rec.closed)
		}
	})
}

// TestGitHubJob: nothing without the sync or an issue to come; a retry
// while the issue is being opened; labels as the tags are now; rate limits
// snooze.
func TestGitHubJob(t *testing.T) {
	ctx := context.Background()
	s := dbtest.Open(t, store.SQLite, nil)
	rec := &recorder{st: s}
	e := New(Options{Store: s, Tickets: rec, Jobs: rec, Labeler: rec, Log: slog.New(slog.DiscardHandler)})
	var ticket model.Ticket
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	work := func(a GitHubArgs) error {
		a.TicketID = ticket.ID
		return e.github(ctx, jobOf(a, 1))
	}
	job := GitHubArgs{Add: []string{"billing", "gone"}, Remove: []string{"dept:sales", "billing"}, Assign: []string{"octocat"}}

	// No issue and none queued: the sync may not have queued it yet, so
	// the first tries retry; after issueWaitAttempts the ticket is taken
	// as filed while the sync was off, and the job is done.
	if err := work(job); err == nil || len(rec.calls) != 0 {
		t.Fatalf("no issue, first try: %v %v", err, rec.calls)
	}
	a := job
	a.TicketID = ticket.ID
	if err := e.github(ctx, jobOf(a, issueWaitAttempts)); err != nil || len(rec.calls) != 0 {
		t.Fatalf("no issue, last try: %v %v", err, rec.calls)
	}
	// The issue is queued but not opened: retry.
	must := func(fn func(tx *store.Tx) error) {
		if err := s.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	key := "ticket:" + strconv.FormatInt(ticket.ID, 10)
	must(func(tx *store.Tx) error { _, err := tx.QueueGitHubPost(ctx, key, ticket.ID); return err })
	if err := work(job); err == nil || len(rec.calls) != 0 {
		t.Fatalf("issue pending: %v %v", err, rec.calls)
	}
	// Opened: labels follow the tags as they are now.
	must(func(tx *store.Tx) error {
		if _, err := tx.SetGitHubIssueNumber(ctx, ticket.ID, 42); err != nil {
			return err
		}
		_, err := tx.AddTicketTag(ctx, ticket.ID, "billing")
		return err
	})
	if err := work(job); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rec.calls); got != "[remove #42 dept:sales add #42 [billing] assign #42 [octocat]]" {
		t.Errorf("calls = %s", got)
	}
	// A rate limit snoozes the job for as long as GitHub says.
	rec.fail = waitErr{3 * time.Second}
	var snooze *river.JobSnoozeError
	if err := work(GitHubArgs{Assign: []string{"hubot"}}); !errors.As(err, &snooze) || snooze.Duration != 3*time.Second {
		t.Errorf("rate limited: %v", err)
	}
	// Sync off: nothing at all.
	off := New(Options{Store: s, Tickets: rec, Jobs: rec, Log: slog.New(slog.DiscardHandler)})
	before := len(rec.calls)
	if err := off.github(ctx, jobOf(GitHubArgs{TicketID: ticket.ID, Add: []string{"billing"}}, 1)); err != nil || len(rec.calls) != before {
		t.Errorf("sync off: %v %v", err, rec.calls)
	}
}
