package workflows

import (
	"context"

	"github.com/portico/portico/server/store"
)

// Run statuses. A run starts running; each step leaves it running, waiting
// on a delay, or done after the last one; it can also end failed or
// canceled. The store only compares and stores them (the schema's CHECK
// lists the same words).
const (
	RunRunning  = "running"
	RunWaiting  = "waiting"
	RunDone     = "done"
	RunFailed   = "failed"
	RunCanceled = "canceled"
)

// Delay states: a delay is pending until it fires or is canceled, once.
const (
	DelayPending  = "pending"
	DelayFired    = "fired"
	DelayCanceled = "canceled"
)

// Moves of a delay that is still pending.
var (
	fireDelay   = store.Move{From: DelayPending, To: DelayFired}
	cancelDelay = store.Move{From: DelayPending, To: DelayCanceled}
)

// advanceRun marks step i of a running run done and moves the run to next;
// a run that is done has ended. False: the step was done already.
func advanceRun(ctx context.Context, tx *store.Tx, runID int64, i int, next string) (bool, error) {
	return tx.AdvanceWorkflowRun(ctx, runID, i, store.Move{From: RunRunning, To: next}, next == RunDone)
}

// run returns a run with the due time of its pending delay.
func (e *Engine) run(ctx context.Context, id int64) (store.WorkflowRun, error) {
	return e.store.WorkflowRun(ctx, id, DelayPending)
}
