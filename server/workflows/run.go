package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
	"github.com/portico/portico/server/validate"
)

// ExecuteArgs runs the actions of the runs one event started, in rule
// order, each up to its first delay.
type ExecuteArgs struct {
	RunIDs []int64 `json:"run_ids"`
}

// Kind names the job for River.
func (ExecuteArgs) Kind() string { return "workflows.execute" }

// ResumeArgs continues a run after its delay. RunAt is when the job queue
// first looks at it (by the wall clock); the job compares the delay's due
// time with the engine's clock and sleeps again while it is early.
type ResumeArgs struct {
	DelayID int64     `json:"delay_id"`
	RunAt   time.Time `json:"run_at"`
}

// Kind names the job for River.
func (ResumeArgs) Kind() string { return "workflows.resume" }

// InsertOpts schedules the job at RunAt.
func (a ResumeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{ScheduledAt: a.RunAt} }

// errStepDone means the step was carried out already (by an earlier try or
// another worker): the transaction that would repeat it rolls back.
var errStepDone = errors.New("workflow step done already")

// actionError is an action that cannot succeed however often it is tried
// (a priority no longer configured, the ticket gone): the run fails.
type actionError struct{ err error }

func (a actionError) Error() string { return a.err.Error() }
func (a actionError) Unwrap() error { return a.err }

func permanent(err error) bool {
	var fe model.FieldErrors
	var ae actionError
	return errors.As(err, &fe) || errors.As(err, &ae) || errors.Is(err, model.ErrNotFound)
}

// execute works an ExecuteArgs job. A run whose step fails for good ends as
// failed and the next run goes on; any other error retries the job (done
// steps are skipped) until River gives up, and then the runs left fail.
func (e *Engine) execute(ctx context.Context, job *river.Job[ExecuteArgs]) error {
	for _, id := range job.Args.RunIDs {
		if err := e.advance(ctx, id); err != nil {
			if job.Attempt >= job.MaxAttempts {
				e.failRun(ctx, id, err)
			}
			return err
		}
	}
	return nil
}

// executeNow carries out runs that an event just started, in the event's
// own job, so that a matching rule costs no job of its own (on SQLite every
// job costs writes on the one writer). A run whose step cannot be done now
// is handed, with the runs after it, to an ExecuteArgs job and River's
// retries; the event's job is retried only if that hand-over fails. Should
// the process stop half-way, the event's job runs again and finds the runs
// still running (handle). Steps are marked done in their own transaction,
// so a run moved along twice does each step once.
func (e *Engine) executeNow(ctx context.Context, ids []int64) error {
	for i, id := range ids {
		if err := e.advance(ctx, id); err != nil {
			e.log.WarnContext(ctx, "workflow run not finished at once; retried by a job", "run", id, "err", err)
			return e.store.InTx(ctx, func(tx *store.Tx) error {
				return e.jobs.Enqueue(ctx, tx.SQL(), ExecuteArgs{RunIDs: ids[i:]})
			})
		}
	}
	return nil
}

func (e *Engine) failRun(ctx context.Context, runID int64, cause error) {
	msg := cause.Error()
	var fe model.FieldErrors
	if errors.As(cause, &fe) {
		parts := make([]string, 0, len(fe))
		for k, v := range fe {
			parts = append(parts, k+" "+v)
		}
		msg = strings.Join(parts, "; ")
	}
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishWorkflowRun(ctx, runID, RunFailed, msg)
		return err
	})
	if err != nil {
		e.log.ErrorContext(ctx, "workflow run could not be marked failed", "run", runID, "err", err)
	}
}

func decodeActions(s string) ([]Action, error) {
	var actions []Action
	if err := json.Unmarshal([]byte(s), &actions); err != nil {
		return nil, fmt.Errorf("workflows: stored actions: %w", err)
	}
	return actions, nil
}

// advance carries out a running run's steps from where it is, up to its
// next delay or its end.
func (e *Engine) advance(ctx context.Context, runID int64) error {
	run, err := e.run(ctx, runID)
	if errors.Is(err, model.ErrNotFound) {
		return nil // its ticket was deleted
	}
	if err != nil {
		return err
	}
	if run.Status != RunRunning {
		return nil
	}
	actions, err := decodeActions(run.Actions)
	if err != nil {
		e.failRun(ctx, run.ID, err)
		return nil
	}
	for i := run.NextStep; i < len(actions); i++ {
		next := RunRunning
		if i == len(actions)-1 {
			next = RunDone
		}
		err := e.step(ctx, run, i, actions[i], next)
		switch {
		case errors.Is(err, errStepDone):
			return nil // someone else is moving this run along
		case err != nil && permanent(err):
			e.failRun(ctx, run.ID, fmt.Errorf("%s: %w", actions[i].Type, err))
			return nil
		case err != nil:
			return err
		case actions[i].Type == ActDelay:
			return nil
		}
	}
	return nil
}

// step carries out action i of run and marks it done in the same
// transaction, moving the run to next: the ticket's change, the mark and
// the GitHub job an action needs commit together.
func (e *Engine) step(ctx context.Context, run store.WorkflowRun, i int, a Action, next string) error {
	if a.Type == ActDelay {
		return e.delay(ctx, run, i, a)
	}
	// The events a change publishes are one deeper than the run's.
	depth := run.Depth + 1
	return e.store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var (
			job river.JobArgs // what else the action queues
			err error
		)
		switch a.Type {
		case ActAddTag:
			_, _, err = e.tickets.ChangeTags(ctx, run.TicketID, []string{a.Value}, nil)
			job = e.gitHubJob(run, GitHubArgs{Add: []string{a.Value}})
		case ActRemoveTag:
			_, _, err = e.tickets.ChangeTags(ctx, run.TicketID, nil, []string{a.Value})
			job = e.gitHubJob(run, GitHubArgs{Remove: []string{a.Value}})
		case ActSetDepartment:
			var old []string
			if old, err = e.otherDepartments(ctx, run.TicketID, DepartmentTag(a.Value)); err == nil {
				_, _, err = e.tickets.ChangeTags(ctx, run.TicketID, []string{DepartmentTag(a.Value)}, old)
				job = e.gitHubJob(run, GitHubArgs{Add: []string{DepartmentTag(a.Value)}, Remove: old})
			}
		case ActSetPriority:
			_, err = e.tickets.SetPriority(ctx, run.TicketID, a.Value, depth)
		case ActClose:
			_, err = e.tickets.Close(ctx, run.TicketID, tickets.StateChange{Depth: depth})
		case ActAssign:
			job = e.gitHubJob(run, GitHubArgs{Assign: strings.Split(a.Value, ",")})
		case ActSendWebhook:
			job = WebhookArgs{RunID: run.ID, Step: i}
		default:
			err = actionError{fmt.Errorf("unknown action %q", a.Type)}
		}
		if err != nil {
			return err
		}
		ok, err := advanceRun(ctx, tx, run.ID, i, next)
		if err != nil {
			return err
		}
		if !ok {
			return errStepDone
		}
		if job == nil {
			return nil
		}
		return e.jobs.Enqueue(ctx, tx.SQL(), job)
	})
}

// gitHubJob is GitHub's side of an action, nil when the sync is off.
func (e *Engine) gitHubJob(run store.WorkflowRun, args GitHubArgs) river.JobArgs {
	if e.labeler == nil {
		return nil
	}
	args.RunID, args.TicketID = run.ID, run.TicketID
	return args
}

// otherDepartments lists the ticket's department tags other than keep.
func (e *Engine) otherDepartments(ctx context.Context, ticketID int64, keep string) ([]string, error) {
	tags, err := e.store.TicketTags(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	var old []string
	for _, t := range tags {
		if strings.HasPrefix(t, DepartmentPrefix) && t != keep {
			old = append(old, t)
		}
	}
	return old, nil
}

// delay parks the rest of run until the delay is over: the run waits, a
// chain of the same rule still pending on the ticket is replaced, and a job
// is scheduled for the due time.
func (e *Engine) delay(ctx context.Context, run store.WorkflowRun, i int, a Action) error {
	d, msg := validate.Retention(a.Value)
	if msg != "" {
		return actionError{fmt.Errorf("delay %q: %s", a.Value, msg)}
	}
	due := e.now().Add(d)
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		ok, err := advanceRun(ctx, tx, run.ID, i, RunWaiting)
		if err != nil {
			return err
		}
		if !ok {
			return errStepDone
		}
		if run.RuleID != nil {
			reason := fmt.Sprintf("canceled: replaced by run %d of the same rule", run.ID)
			if err := cancelDelays(ctx, tx, *run.RuleID, run.TicketID, reason); err != nil {
				return err
			}
		}
		last, err := tx.LastInboundMessageID(ctx, run.TicketID)
		if err != nil {
			return err
		}
		delay, err := tx.InsertWorkflowDelay(ctx, run, due, last, DelayPending)
		if err != nil {
			return err
		}
		return e.jobs.Enqueue(ctx, tx.SQL(), ResumeArgs{DelayID: delay.ID, RunAt: time.Now().Add(e.sleep(d))})
	})
}

// sleep is how long a delayed job sleeps before it looks at the clock.
func (e *Engine) sleep(wait time.Duration) time.Duration {
	if e.maxSleep > 0 && wait > e.maxSleep {
		return e.maxSleep
	}
	return max(wait, 0)
}

// resume works a ResumeArgs job: a delay still pending is canceled when the
// customer wrote since it began or its rule is off or gone; while it is
// not due yet the job sleeps; then it fires (once: pending → fired) and the
// run carries on. A job that fired and crashed carries on the run when
// retried.
func (e *Engine) resume(ctx context.Context, job *river.Job[ResumeArgs]) error {
	var (
		wait  time.Duration
		runID int64
		fire  bool
	)
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.WorkflowDelayTx(ctx, job.Args.DelayID)
		if errors.Is(err, model.ErrNotFound) {
			return nil // its ticket or run was deleted
		}
		if err != nil {
			return err
		}
		runID = d.RunID
		switch d.State {
		case DelayCanceled:
			return nil
		case DelayFired:
			fire = true
			return nil
		}
		reason := ""
		if d.RuleID == nil {
			reason = reasonRuleDeleted
		} else if r, err := tx.WorkflowRuleTx(ctx, *d.RuleID); errors.Is(err, model.ErrNotFound) {
			reason = reasonRuleDeleted
		} else if err != nil {
			return err
		} else if !r.Enabled {
			reason = reasonRuleDisabled
		}
		if reason == "" {
			last, err := tx.LastInboundMessageID(ctx, d.TicketID)
			if err != nil {
				return err
			}
			if last > d.AfterMessageID {
				reason = reasonCustomerReplied
			}
		}
		if reason != "" {
			if _, err := tx.SetWorkflowDelayState(ctx, d.ID, cancelDelay, reason); err != nil {
				return err
			}
			_, err := tx.FinishWorkflowRun(ctx, d.RunID, RunCanceled, reason)
			return err
		}
		if now := e.now(); now.Before(d.DueAt) {
			wait = d.DueAt.Sub(now)
			return nil
		}
		ok, err := tx.SetWorkflowDelayState(ctx, d.ID, fireDelay, "")
		if err != nil || !ok {
			return err
		}
		if _, err := tx.MoveWorkflowRun(ctx, d.RunID, store.Move{From: RunWaiting, To: RunRunning}); err != nil {
			return err
		}
		fire = true
		return nil
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(e.sleep(wait))
	}
	if !fire {
		return nil
	}
	if err := e.advance(ctx, runID); err != nil {
		if job.Attempt >= job.MaxAttempts {
			e.failRun(ctx, runID, err)
		}
		return err
	}
	return nil
}
