package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/server/model"
)

// Workflows' bookkeeping: rules, tags on tickets, the events evaluated, the
// runs of matching rules and their delayed chains. The statuses of runs and
// the states of delays are server/workflows' to name and to decide; the
// store compares and stores the ones it is given.

// WorkflowRule is a stored rule; Conditions and Actions are JSON that
// server/workflows validated before storing.
type WorkflowRule struct {
	ID             int64     `db:"id"`
	Name           string    `db:"name"`
	Event          string    `db:"event"`
	Conditions     string    `db:"conditions"`
	Actions        string    `db:"actions"`
	StopProcessing bool      `db:"stop_processing"`
	Enabled        bool      `db:"enabled"`
	Position       int64     `db:"position"`
	WebhookSecret  string    `db:"webhook_secret"`
	Version        int64     `db:"version"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// WorkflowRuleInput is what InsertWorkflowRule and UpdateWorkflowRule store.
type WorkflowRuleInput struct {
	Name           string
	Event          string
	Conditions     string
	Actions        string
	StopProcessing bool
	Enabled        bool
	WebhookSecret  string
}

// WorkflowRun is one rule that matched one event, with how far its actions
// got. DueAt is set while the run waits on a delay. FinishedAt is set
// exactly when the run has ended.
type WorkflowRun struct {
	ID         int64      `db:"id"`
	RuleID     *int64     `db:"rule_id"`
	RuleName   string     `db:"rule_name"`
	TicketID   int64      `db:"ticket_id"`
	Event      string     `db:"event"`
	EventKey   string     `db:"event_key"`
	Depth      int        `db:"depth"`
	Actions    string     `db:"actions"`
	NextStep   int        `db:"next_step"`
	Status     string     `db:"status"`
	Error      string     `db:"error"`
	CreatedAt  time.Time  `db:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at"`
	FinishedAt *time.Time `db:"finished_at"`
	DueAt      *time.Time `db:"due_at"`
}

// NewWorkflowRun is what InsertWorkflowRun needs.
type NewWorkflowRun struct {
	RuleID   int64
	RuleName string
	TicketID int64
	Event    string
	EventKey string
	Depth    int
	Actions  string
	// Status is the status the run starts in.
	Status string
}

// Move is a guarded change of status, of a run or of a delay: it applies
// only to a row whose status is From, so that of two concurrent moves one
// wins.
type Move struct {
	From, To string
}

// WorkflowDelay is the rest of a run waiting until DueAt.
type WorkflowDelay struct {
	ID             int64     `db:"id"`
	RunID          int64     `db:"run_id"`
	RuleID         *int64    `db:"rule_id"`
	TicketID       int64     `db:"ticket_id"`
	DueAt          time.Time `db:"due_at"`
	AfterMessageID int64     `db:"after_message_id"`
	State          string    `db:"state"`
	Reason         string    `db:"reason"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// Rules.

// WorkflowRules returns every rule in evaluation order.
func (s *Store) WorkflowRules(ctx context.Context) ([]WorkflowRule, error) {
	rules := []WorkflowRule{}
	if err := s.q.WorkflowRules.SelectContext(ctx, &rules); err != nil {
		return nil, fmt.Errorf("store: workflow rules: %w", err)
	}
	return rules, nil
}

// WorkflowRule returns one rule (read on the write pool: an admin who just
// saved it sees what was saved).
func (s *Store) WorkflowRule(ctx context.Context, id int64) (WorkflowRule, error) {
	var r WorkflowRule
	if err := s.q.WorkflowRuleByID.GetContext(ctx, &r, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// InsertWorkflowRule stores a new rule after the last one.
func (tx *Tx) InsertWorkflowRule(ctx context.Context, in WorkflowRuleInput) (WorkflowRule, error) {
	var r WorkflowRule
	err := tx.stmt(ctx, tx.s.q.InsertWorkflowRule).GetContext(ctx, &r, in.Name, in.Event, in.Conditions, in.Actions,
		in.StopProcessing, in.Enabled, in.WebhookSecret, tx.now, tx.now)
	if err != nil {
		return WorkflowRule{}, fmt.Errorf("store: insert workflow rule: %w", err)
	}
	return r, nil
}

// WorkflowRuleTx returns one rule inside the transaction.
func (tx *Tx) WorkflowRuleTx(ctx context.Context, id int64) (WorkflowRule, error) {
	var r WorkflowRule
	if err := tx.stmt(ctx, tx.s.q.WorkflowRuleByID).GetContext(ctx, &r, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// UpdateWorkflowRule replaces a rule's definition and bumps its version.
func (tx *Tx) UpdateWorkflowRule(ctx context.Context, id int64, in WorkflowRuleInput) (WorkflowRule, error) {
	var r WorkflowRule
	err := tx.stmt(ctx, tx.s.q.UpdateWorkflowRule).GetContext(ctx, &r, in.Name, in.Event, in.Conditions, in.Actions,
		in.StopProcessing, in.Enabled, in.WebhookSecret, tx.now, id)
	if err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// SetWorkflowRuleEnabled switches a rule on or off.
func (tx *Tx) SetWorkflowRuleEnabled(ctx context.Context, id int64, enabled bool) (WorkflowRule, error) {
	var r WorkflowRule
	if err := tx.stmt(ctx, tx.s.q.SetWorkflowRuleEnabled).GetContext(ctx, &r, enabled, tx.now, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// SetWorkflowRulePosition moves a rule; the caller renumbers every rule in
// one transaction.
func (tx *Tx) SetWorkflowRulePosition(ctx context.Context, id, position int64) error {
	if _, err := tx.stmt(ctx, tx.s.q.SetWorkflowRulePosition).ExecContext(ctx, position, tx.now, id); err != nil {
		return fmt.Errorf("store: move workflow rule %d: %w", id, err)
	}
	return nil
}

// DeleteWorkflowRule deletes a rule; its runs stay in the log (rule_id
// becomes NULL). False means there was no such rule.
func (tx *Tx) DeleteWorkflowRule(ctx context.Context, id int64) (bool, error) {
	return affected("delete workflow rule")(tx.stmt(ctx, tx.s.q.DeleteWorkflowRule).ExecContext(ctx, id))
}

// AddSettingOnce stores a setting unless the key exists and reports whether
// it did; used as a marker that something happened once (the default
// workflow rules), with what it marks in the same transaction.
func (tx *Tx) AddSettingOnce(ctx context.Context, key, value string) (bool, error) {
	added, err := affected("add setting " + key)(tx.stmt(ctx, tx.s.q.AddSettingOnce).ExecContext(ctx, key, value, tx.now))
	if err != nil || !added {
		return added, err
	}
	return true, tx.announceSetting(ctx, key)
}

// Ticket changes made by workflows.

// TicketTx returns a ticket inside the transaction.
func (tx *Tx) TicketTx(ctx context.Context, id int64) (model.Ticket, error) {
	var t model.Ticket
	if err := tx.stmt(ctx, tx.s.q.TicketByIDTx).GetContext(ctx, &t, id); err != nil {
		return model.Ticket{}, notFound(err, model.Reference(id))
	}
	return t, nil
}

// SetTicketPriority sets a ticket's priority.
func (tx *Tx) SetTicketPriority(ctx context.Context, id int64, priority string) (model.Ticket, error) {
	var t model.Ticket
	if err := tx.stmt(ctx, tx.s.q.SetTicketPriority).GetContext(ctx, &t, priority, tx.now, id); err != nil {
		return model.Ticket{}, notFound(err, model.Reference(id))
	}
	return t, nil
}

// AddTicketTag tags a ticket; false means it had the tag already.
func (tx *Tx) AddTicketTag(ctx context.Context, ticketID int64, tag string) (bool, error) {
	return affected("add ticket tag")(tx.stmt(ctx, tx.s.q.AddTicketTag).ExecContext(ctx, ticketID, tag, tx.now))
}

// RemoveTicketTag untags a ticket; false means it did not have the tag.
func (tx *Tx) RemoveTicketTag(ctx context.Context, ticketID int64, tag string) (bool, error) {
	return affected("remove ticket tag")(tx.stmt(ctx, tx.s.q.RemoveTicketTag).ExecContext(ctx, ticketID, tag))
}

// TicketTags returns a ticket's tags in alphabetical order.
func (s *Store) TicketTags(ctx context.Context, ticketID int64) ([]string, error) {
	tags := []string{}
	if err := s.q.TicketTags.SelectContext(ctx, &tags, ticketID); err != nil {
		return nil, fmt.Errorf("store: tags of %d: %w", ticketID, err)
	}
	return tags, nil
}

// TicketTagsTx returns a ticket's tags inside the transaction.
func (tx *Tx) TicketTagsTx(ctx context.Context, ticketID int64) ([]string, error) {
	tags := []string{}
	if err := tx.stmt(ctx, tx.s.q.TicketTagsTx).SelectContext(ctx, &tags, ticketID); err != nil {
		return nil, fmt.Errorf("store: tags of %d: %w", ticketID, err)
	}
	return tags, nil
}

// FirstInboundBody returns the text of a ticket's first customer message
// (its description), "" if it has none.
func (s *Store) FirstInboundBody(ctx context.Context, ticketID int64) (string, error) {
	var body string
	err := s.q.FirstInboundBody.GetContext(ctx, &body, ticketID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: first message of %d: %w", ticketID, err)
	}
	return body, nil
}

// LastInboundMessageID returns the id of the ticket's newest customer
// message (0: none), read inside the transaction.
func (tx *Tx) LastInboundMessageID(ctx context.Context, ticketID int64) (int64, error) {
	var id int64
	if err := tx.stmt(ctx, tx.s.q.LastInboundMessageID).GetContext(ctx, &id, ticketID); err != nil {
		return 0, fmt.Errorf("store: last customer message of %d: %w", ticketID, err)
	}
	return id, nil
}

// GitHubIssuePending reports whether the GitHub sync queued an issue for the
// ticket that GitHub has not accepted yet (github_posts "ticket:<id>").
func (s *Store) GitHubIssuePending(ctx context.Context, ticketID int64) (bool, error) {
	var n int64
	if err := s.q.CountPendingGitHubIssue.GetContext(ctx, &n, "ticket:"+strconv.FormatInt(ticketID, 10)); err != nil {
		return false, fmt.Errorf("store: issue of %d pending: %w", ticketID, err)
	}
	return n > 0, nil
}

// Events and runs.

// WorkflowEventRetention is how long evaluated events are remembered (an
// event job is retried for about three weeks at most), and how long
// finished runs stay in the log.
const WorkflowEventRetention = 30 * 24 * time.Hour

// RecordWorkflowEvent remembers that an event was evaluated and reports
// whether it is new; false means it was evaluated before. Old events and
// runs finished long ago are forgotten on the way.
func (tx *Tx) RecordWorkflowEvent(ctx context.Context, key string, ticketID int64) (bool, error) {
	return affected("record workflow event")(tx.stmt(ctx, tx.s.q.InsertWorkflowEvent).ExecContext(ctx, key, ticketID, tx.now))
}

// PruneWorkflows forgets events evaluated and runs finished before
// WorkflowEventRetention.
func (tx *Tx) PruneWorkflows(ctx context.Context) error {
	before := tx.now.Add(-WorkflowEventRetention)
	if _, err := tx.stmt(ctx, tx.s.q.PruneWorkflowEvents).ExecContext(ctx, before); err != nil {
		return fmt.Errorf("store: prune workflow events: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.PruneWorkflowRuns).ExecContext(ctx, before); err != nil {
		return fmt.Errorf("store: prune workflow runs: %w", err)
	}
	return nil
}

// InsertWorkflowRun records a rule that matched an event, at step 0 in
// in.Status.
func (tx *Tx) InsertWorkflowRun(ctx context.Context, in NewWorkflowRun) (WorkflowRun, error) {
	var r WorkflowRun
	err := tx.stmt(ctx, tx.s.q.InsertWorkflowRun).GetContext(ctx, &r, in.RuleID, in.RuleName, in.TicketID, in.Event, in.EventKey,
		in.Depth, in.Actions, in.Status, tx.now, tx.now)
	if err != nil {
		return WorkflowRun{}, fmt.Errorf("store: insert workflow run: %w", err)
	}
	return r, nil
}

// WorkflowRun returns one run, with DueAt from its delay in state pending
// (while it waits).
func (s *Store) WorkflowRun(ctx context.Context, id int64, pending string) (WorkflowRun, error) {
	var r WorkflowRun
	if err := s.q.WorkflowRunByID.GetContext(ctx, &r, pending, id); err != nil {
		return WorkflowRun{}, notFound(err, fmt.Sprintf("workflow run %d", id))
	}
	return r, nil
}

// WorkflowRunTx returns one run inside the transaction (without DueAt).
func (tx *Tx) WorkflowRunTx(ctx context.Context, id int64) (WorkflowRun, error) {
	var r WorkflowRun
	if err := tx.stmt(ctx, tx.s.q.WorkflowRunByIDTx).GetContext(ctx, &r, id); err != nil {
		return WorkflowRun{}, notFound(err, fmt.Sprintf("workflow run %d", id))
	}
	return r, nil
}

// AdvanceWorkflowRun marks step from of a run done, moving it to step
// from+1 and from status m.From to m.To; end marks the run ended
// (FinishedAt). False means that step was done already (or the run moved
// on): the caller must roll back.
func (tx *Tx) AdvanceWorkflowRun(ctx context.Context, id int64, from int, m Move, end bool) (bool, error) {
	var finished *time.Time
	if end {
		finished = &tx.now
	}
	return affected("advance workflow run")(tx.stmt(ctx, tx.s.q.AdvanceWorkflowRun).ExecContext(ctx,
		from+1, m.To, finished, tx.now, id, from, m.From))
}

// FinishWorkflowRun ends a run that has not ended yet with status and why;
// false means it had ended already.
func (tx *Tx) FinishWorkflowRun(ctx context.Context, id int64, status, reason string) (bool, error) {
	return affected("finish workflow run")(tx.stmt(ctx, tx.s.q.FinishWorkflowRun).ExecContext(ctx, status, reason, tx.now, tx.now, id))
}

// MoveWorkflowRun changes a run's status (a waiting run whose delay fell
// due goes on); false means it was not in m.From.
func (tx *Tx) MoveWorkflowRun(ctx context.Context, id int64, m Move) (bool, error) {
	return affected("move workflow run")(tx.stmt(ctx, tx.s.q.MoveWorkflowRun).ExecContext(ctx, m.To, tx.now, id, m.From))
}

// SetWorkflowRunError records the latest error of a run's side job (a
// webhook or GitHub call being retried).
func (s *Store) SetWorkflowRunError(ctx context.Context, id int64, msg string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.stmt(ctx, s.q.SetWorkflowRunError).ExecContext(ctx, msg, tx.now, id); err != nil {
			return fmt.Errorf("store: workflow run %d error: %w", id, err)
		}
		return nil
	})
}

// FailWorkflowRun records the error that ended a run's side job for good
// and gives the run status, ended or not (it keeps the time it ended).
func (s *Store) FailWorkflowRun(ctx context.Context, id int64, status, msg string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.stmt(ctx, s.q.FailWorkflowRun).ExecContext(ctx, status, msg, tx.now, tx.now, id); err != nil {
			return fmt.Errorf("store: workflow run %d error: %w", id, err)
		}
		return nil
	})
}

// WorkflowRunFilter narrows WorkflowRuns; zero fields match everything.
type WorkflowRunFilter struct {
	RuleID   int64
	TicketID int64
	// BeforeID pages back: only runs with a smaller id.
	BeforeID int64
	Limit    int
}

// WorkflowRuns returns runs, newest first, with DueAt as WorkflowRun.
func (s *Store) WorkflowRuns(ctx context.Context, f WorkflowRunFilter, pending string) ([]WorkflowRun, error) {
	runs := []WorkflowRun{}
	err := s.q.ListWorkflowRuns.SelectContext(ctx, &runs, pending,
		f.RuleID, f.RuleID, f.TicketID, f.TicketID, f.BeforeID, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: workflow runs: %w", err)
	}
	return runs, nil
}

// Delays.

// InsertWorkflowDelay records that the rest of a run waits, in state, until
// dueAt; a customer message with an id above afterMessageID cancels it.
func (tx *Tx) InsertWorkflowDelay(ctx context.Context, run WorkflowRun, dueAt time.Time, afterMessageID int64, state string) (WorkflowDelay, error) {
	var d WorkflowDelay
	err := tx.stmt(ctx, tx.s.q.InsertWorkflowDelay).GetContext(ctx, &d, run.ID, run.RuleID, run.TicketID, dueAt.UTC(), afterMessageID,
		state, tx.now, tx.now)
	if err != nil {
		return WorkflowDelay{}, fmt.Errorf("store: insert workflow delay: %w", err)
	}
	return d, nil
}

// WorkflowDelayTx returns a delay inside the transaction.
func (tx *Tx) WorkflowDelayTx(ctx context.Context, id int64) (WorkflowDelay, error) {
	var d WorkflowDelay
	if err := tx.stmt(ctx, tx.s.q.WorkflowDelayByIDTx).GetContext(ctx, &d, id); err != nil {
		return WorkflowDelay{}, notFound(err, fmt.Sprintf("workflow delay %d", id))
	}
	return d, nil
}

// SetWorkflowDelayState moves a delay from state m.From to m.To, with why;
// false means it was not in m.From any more.
func (tx *Tx) SetWorkflowDelayState(ctx context.Context, id int64, m Move, reason string) (bool, error) {
	return affected("set workflow delay state")(tx.stmt(ctx, tx.s.q.SetWorkflowDelayState).ExecContext(ctx, m.To, reason, tx.now, id, m.From))
}

// CancelWorkflowDelays moves the delays in state m.From to m.To, with why:
// of a ticket (ruleID 0), of a rule (ticketID 0), or of a rule on a ticket.
// It returns their runs.
// WorkflowRunsOfEvent lists the ids of a ticket's runs started by one event
// (its key) that are in status, oldest first.
func (s *Store) WorkflowRunsOfEvent(ctx context.Context, ticketID int64, key, status string) ([]int64, error) {
	ids := []int64{}
	if err := s.q.WorkflowRunsOfEvent.SelectContext(ctx, &ids, ticketID, key, status); err != nil {
		return nil, fmt.Errorf("store: workflow runs of event: %w", err)
	}
	return ids, nil
}

// CountWorkflowDelays counts a ticket's delays in state (read pool).
func (s *Store) CountWorkflowDelays(ctx context.Context, ticketID int64, state string) (int, error) {
	var n int
	if err := s.q.CountWorkflowDelaysOfTicket.GetContext(ctx, &n, ticketID, state); err != nil {
		return 0, fmt.Errorf("store: count workflow delays: %w", err)
	}
	return n, nil
}

func (tx *Tx) CancelWorkflowDelays(ctx context.Context, ruleID, ticketID int64, m Move, reason string) ([]int64, error) {
	runs := []int64{}
	var err error
	switch {
	case ruleID == 0:
		err = tx.stmt(ctx, tx.s.q.CancelWorkflowDelaysOfTicket).SelectContext(ctx, &runs, m.To, reason, tx.now, ticketID, m.From)
	case ticketID == 0:
		err = tx.stmt(ctx, tx.s.q.CancelWorkflowDelaysOfRule).SelectContext(ctx, &runs, m.To, reason, tx.now, ruleID, m.From)
	default:
		err = tx.stmt(ctx, tx.s.q.CancelWorkflowDelaysOfRuleOnTkt).SelectContext(ctx, &runs, m.To, reason, tx.now, ruleID, ticketID, m.From)
	}
	if err != nil {
		return nil, fmt.Errorf("store: cancel workflow delays: %w", err)
	}
	return runs, nil
}
