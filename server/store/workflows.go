package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/server/model"
)

// Workflows' bookkeeping: rules, tags on tickets, the events evaluated, the
// runs of matching rules and their delayed chains. Its queries are prepared
// at start-up like the others, in a set of their own.

const (
	workflowRuleCols  = `id, name, event, conditions, actions, stop_processing, enabled, position, webhook_secret, version, created_at, updated_at`
	workflowRunCols   = `id, rule_id, rule_name, ticket_id, event, event_key, depth, actions, next_step, status, error, created_at, updated_at, finished_at`
	workflowDelayCols = `id, run_id, rule_id, ticket_id, due_at, after_message_id, state, reason, created_at, updated_at`
)

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

// Workflow run statuses.
const (
	RunRunning  = "running"
	RunWaiting  = "waiting"
	RunDone     = "done"
	RunFailed   = "failed"
	RunCanceled = "canceled"
)

// WorkflowRun is one rule that matched one event, with how far its actions
// got. DueAt is set while the run waits on a delay.
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
}

// Delay states.
const (
	DelayPending  = "pending"
	DelayFired    = "fired"
	DelayCanceled = "canceled"
)

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

type workflowStatements struct {
	rules            *sqlx.Stmt
	ruleByID         *sqlx.Stmt
	insertRule       *sqlx.Stmt
	updateRule       *sqlx.Stmt
	setRuleEnabled   *sqlx.Stmt
	setRulePosition  *sqlx.Stmt
	deleteRule       *sqlx.Stmt
	addMarker        *sqlx.Stmt
	ticketByIDTx     *sqlx.Stmt
	setPriority      *sqlx.Stmt
	addTag           *sqlx.Stmt
	removeTag        *sqlx.Stmt
	tagsOf           *sqlx.Stmt
	tagsOfTx         *sqlx.Stmt
	firstInbound     *sqlx.Stmt
	lastInboundTx    *sqlx.Stmt
	issuePending     *sqlx.Stmt
	recordEvent      *sqlx.Stmt
	pruneEvents      *sqlx.Stmt
	pruneRuns        *sqlx.Stmt
	insertRun        *sqlx.Stmt
	runByID          *sqlx.Stmt
	runByIDTx        *sqlx.Stmt
	advanceRun       *sqlx.Stmt
	finishRun        *sqlx.Stmt
	resumeRun        *sqlx.Stmt
	setRunError      *sqlx.Stmt
	failRun          *sqlx.Stmt
	listRuns         *sqlx.Stmt
	insertDelay      *sqlx.Stmt
	delayByIDTx      *sqlx.Stmt
	setDelayState    *sqlx.Stmt
	cancelForTicket  *sqlx.Stmt
	cancelForRule    *sqlx.Stmt
	cancelForRuleTkt *sqlx.Stmt
}

func prepareWorkflows(ctx context.Context, s *Store) (*workflowStatements, error) {
	q := &workflowStatements{}
	w, r := s.write, s.read
	list := []struct {
		dst   **sqlx.Stmt
		db    *sqlx.DB
		query string
	}{
		{&q.rules, r, `SELECT ` + workflowRuleCols + ` FROM workflow_rules ORDER BY position, id`},
		{&q.ruleByID, w, `SELECT ` + workflowRuleCols + ` FROM workflow_rules WHERE id = ?`},
		{&q.insertRule, w, `INSERT INTO workflow_rules (name, event, conditions, actions, stop_processing, enabled, position, webhook_secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM workflow_rules), ?, ?, ?) RETURNING ` + workflowRuleCols},
		{&q.updateRule, w, `UPDATE workflow_rules SET name = ?, event = ?, conditions = ?, actions = ?, stop_processing = ?, enabled = ?,
			webhook_secret = ?, version = version + 1, updated_at = ? WHERE id = ? RETURNING ` + workflowRuleCols},
		{&q.setRuleEnabled, w, `UPDATE workflow_rules SET enabled = ?, updated_at = ? WHERE id = ? RETURNING ` + workflowRuleCols},
		{&q.setRulePosition, w, `UPDATE workflow_rules SET position = ?, updated_at = ? WHERE id = ?`},
		{&q.deleteRule, w, `DELETE FROM workflow_rules WHERE id = ?`},
		{&q.addMarker, w, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`},

		{&q.ticketByIDTx, w, `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`},
		{&q.setPriority, w, `UPDATE tickets SET priority = ?, updated_at = ? WHERE id = ? RETURNING ` + ticketCols},
		{&q.addTag, w, `INSERT INTO ticket_tags (ticket_id, tag, created_at) VALUES (?, ?, ?) ON CONFLICT (ticket_id, tag) DO NOTHING`},
		{&q.removeTag, w, `DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?`},
		{&q.tagsOf, r, `SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag`},
		{&q.tagsOfTx, w, `SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag`},
		{&q.firstInbound, r, `SELECT body FROM messages WHERE ticket_id = ? AND direction = 'inbound' ORDER BY id LIMIT 1`},
		{&q.lastInboundTx, w, `SELECT COALESCE(MAX(id), 0) FROM messages WHERE ticket_id = ? AND direction = 'inbound'`},
		{&q.issuePending, r, `SELECT count(*) FROM github_posts WHERE key = ? AND github_id IS NULL`},

		{&q.recordEvent, w, `INSERT INTO workflow_events (event_key, ticket_id, handled_at) VALUES (?, ?, ?) ON CONFLICT (event_key) DO NOTHING`},
		{&q.pruneEvents, w, `DELETE FROM workflow_events WHERE handled_at < ?`},
		{&q.pruneRuns, w, `DELETE FROM workflow_runs WHERE finished_at < ?`},

		{&q.insertRun, w, `INSERT INTO workflow_runs (rule_id, rule_name, ticket_id, event, event_key, depth, actions, next_step, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'running', ?, ?) RETURNING ` + workflowRunCols},
		{&q.runByID, r, `SELECT ` + prefixed("r.", workflowRunCols) + `, d.due_at FROM workflow_runs r
			LEFT JOIN workflow_delays d ON d.run_id = r.id AND d.state = 'pending' WHERE r.id = ?`},
		{&q.runByIDTx, w, `SELECT ` + workflowRunCols + ` FROM workflow_runs WHERE id = ?`},
		// A step moves a running run forward exactly once: a second try
		// finds next_step moved on and changes nothing.
		{&q.advanceRun, w, `UPDATE workflow_runs SET next_step = ?, status = ?, finished_at = ?, updated_at = ?
			WHERE id = ? AND next_step = ? AND status = 'running'`},
		{&q.finishRun, w, `UPDATE workflow_runs SET status = ?, error = ?, finished_at = ?, updated_at = ?
			WHERE id = ? AND status IN ('running', 'waiting')`},
		{&q.resumeRun, w, `UPDATE workflow_runs SET status = 'running', updated_at = ? WHERE id = ? AND status = 'waiting'`},
		{&q.setRunError, w, `UPDATE workflow_runs SET error = ?, updated_at = ? WHERE id = ?`},
		{&q.failRun, w, `UPDATE workflow_runs SET status = 'failed', error = ?, finished_at = COALESCE(finished_at, ?), updated_at = ? WHERE id = ?`},
		// Optional filters are written as (? = 0 OR ...) so that the query
		// stays static and can be prepared.
		{&q.listRuns, r, `SELECT ` + prefixed("r.", workflowRunCols) + `, d.due_at FROM workflow_runs r
			LEFT JOIN workflow_delays d ON d.run_id = r.id AND d.state = 'pending'
			WHERE (? = 0 OR r.rule_id = ?) AND (? = 0 OR r.ticket_id = ?) AND (? = 0 OR r.id < ?)
			ORDER BY r.id DESC LIMIT ?`},

		{&q.insertDelay, w, `INSERT INTO workflow_delays (run_id, rule_id, ticket_id, due_at, after_message_id, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING ` + workflowDelayCols},
		{&q.delayByIDTx, w, `SELECT ` + workflowDelayCols + ` FROM workflow_delays WHERE id = ?`},
		{&q.setDelayState, w, `UPDATE workflow_delays SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'`},
		{&q.cancelForTicket, w, `UPDATE workflow_delays SET state = 'canceled', reason = ?, updated_at = ?
			WHERE ticket_id = ? AND state = 'pending' RETURNING run_id`},
		{&q.cancelForRule, w, `UPDATE workflow_delays SET state = 'canceled', reason = ?, updated_at = ?
			WHERE rule_id = ? AND state = 'pending' RETURNING run_id`},
		{&q.cancelForRuleTkt, w, `UPDATE workflow_delays SET state = 'canceled', reason = ?, updated_at = ?
			WHERE rule_id = ? AND ticket_id = ? AND state = 'pending' RETURNING run_id`},
	}
	for _, p := range list {
		st, err := p.db.PreparexContext(ctx, p.db.Rebind(p.query))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("store: prepare %q: %w", firstLine(p.query), err), q.close())
		}
		*p.dst = st
	}
	return q, nil
}

func (q *workflowStatements) close() error {
	var errs []error
	for _, st := range []*sqlx.Stmt{q.rules, q.ruleByID, q.insertRule, q.updateRule, q.setRuleEnabled, q.setRulePosition,
		q.deleteRule, q.addMarker, q.ticketByIDTx, q.setPriority, q.addTag, q.removeTag, q.tagsOf, q.tagsOfTx,
		q.firstInbound, q.lastInboundTx, q.issuePending, q.recordEvent, q.pruneEvents, q.pruneRuns, q.insertRun, q.runByID,
		q.runByIDTx, q.advanceRun, q.finishRun, q.resumeRun, q.setRunError, q.failRun, q.listRuns, q.insertDelay,
		q.delayByIDTx, q.setDelayState, q.cancelForTicket, q.cancelForRule, q.cancelForRuleTkt} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Rules.

// WorkflowRules returns every rule in evaluation order.
func (s *Store) WorkflowRules(ctx context.Context) ([]WorkflowRule, error) {
	rules := []WorkflowRule{}
	if err := s.wf.rules.SelectContext(ctx, &rules); err != nil {
		return nil, fmt.Errorf("store: workflow rules: %w", err)
	}
	return rules, nil
}

// WorkflowRule returns one rule (read on the write pool: an admin who just
// saved it sees what was saved).
func (s *Store) WorkflowRule(ctx context.Context, id int64) (WorkflowRule, error) {
	var r WorkflowRule
	if err := s.wf.ruleByID.GetContext(ctx, &r, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// InsertWorkflowRule stores a new rule after the last one.
func (tx *Tx) InsertWorkflowRule(ctx context.Context, in WorkflowRuleInput) (WorkflowRule, error) {
	var r WorkflowRule
	err := tx.stmt(ctx, tx.s.wf.insertRule).GetContext(ctx, &r, in.Name, in.Event, in.Conditions, in.Actions,
		in.StopProcessing, in.Enabled, in.WebhookSecret, tx.now, tx.now)
	if err != nil {
		return WorkflowRule{}, fmt.Errorf("store: insert workflow rule: %w", err)
	}
	return r, nil
}

// WorkflowRuleTx returns one rule inside the transaction.
func (tx *Tx) WorkflowRuleTx(ctx context.Context, id int64) (WorkflowRule, error) {
	var r WorkflowRule
	if err := tx.stmt(ctx, tx.s.wf.ruleByID).GetContext(ctx, &r, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// UpdateWorkflowRule replaces a rule's definition and bumps its version.
func (tx *Tx) UpdateWorkflowRule(ctx context.Context, id int64, in WorkflowRuleInput) (WorkflowRule, error) {
	var r WorkflowRule
	err := tx.stmt(ctx, tx.s.wf.updateRule).GetContext(ctx, &r, in.Name, in.Event, in.Conditions, in.Actions,
		in.StopProcessing, in.Enabled, in.WebhookSecret, tx.now, id)
	if err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// SetWorkflowRuleEnabled switches a rule on or off.
func (tx *Tx) SetWorkflowRuleEnabled(ctx context.Context, id int64, enabled bool) (WorkflowRule, error) {
	var r WorkflowRule
	if err := tx.stmt(ctx, tx.s.wf.setRuleEnabled).GetContext(ctx, &r, enabled, tx.now, id); err != nil {
		return WorkflowRule{}, notFound(err, fmt.Sprintf("workflow rule %d", id))
	}
	return r, nil
}

// SetWorkflowRulePosition moves a rule; the caller renumbers every rule in
// one transaction.
func (tx *Tx) SetWorkflowRulePosition(ctx context.Context, id, position int64) error {
	if _, err := tx.stmt(ctx, tx.s.wf.setRulePosition).ExecContext(ctx, position, tx.now, id); err != nil {
		return fmt.Errorf("store: move workflow rule %d: %w", id, err)
	}
	return nil
}

// DeleteWorkflowRule deletes a rule; its runs stay in the log (rule_id
// becomes NULL). False means there was no such rule.
func (tx *Tx) DeleteWorkflowRule(ctx context.Context, id int64) (bool, error) {
	return affected("delete workflow rule")(tx.stmt(ctx, tx.s.wf.deleteRule).ExecContext(ctx, id))
}

// AddSettingOnce stores a setting unless the key exists and reports whether
// it did; used as a marker that something happened once (the default
// workflow rules), with what it marks in the same transaction.
func (tx *Tx) AddSettingOnce(ctx context.Context, key, value string) (bool, error) {
	added, err := affected("add setting " + key)(tx.stmt(ctx, tx.s.wf.addMarker).ExecContext(ctx, key, value, tx.now))
	if err != nil || !added {
		return added, err
	}
	return true, tx.announceSetting(ctx, key)
}

// Ticket changes made by workflows.

// TicketTx returns a ticket inside the transaction.
func (tx *Tx) TicketTx(ctx context.Context, id int64) (model.Ticket, error) {
	var t model.Ticket
	if err := tx.stmt(ctx, tx.s.wf.ticketByIDTx).GetContext(ctx, &t, id); err != nil {
		return model.Ticket{}, notFound(err, model.Reference(id))
	}
	return t, nil
}

// SetTicketPriority sets a ticket's priority.
func (tx *Tx) SetTicketPriority(ctx context.Context, id int64, priority string) (model.Ticket, error) {
	var t model.Ticket
	if err := tx.stmt(ctx, tx.s.wf.setPriority).GetContext(ctx, &t, priority, tx.now, id); err != nil {
		return model.Ticket{}, notFound(err, model.Reference(id))
	}
	return t, nil
}

// AddTicketTag tags a ticket; false means it had the tag already.
func (tx *Tx) AddTicketTag(ctx context.Context, ticketID int64, tag string) (bool, error) {
	return affected("add ticket tag")(tx.stmt(ctx, tx.s.wf.addTag).ExecContext(ctx, ticketID, tag, tx.now))
}

// RemoveTicketTag untags a ticket; false means it did not have the tag.
func (tx *Tx) RemoveTicketTag(ctx context.Context, ticketID int64, tag string) (bool, error) {
	return affected("remove ticket tag")(tx.stmt(ctx, tx.s.wf.removeTag).ExecContext(ctx, ticketID, tag))
}

// TicketTags returns a ticket's tags in alphabetical order.
func (s *Store) TicketTags(ctx context.Context, ticketID int64) ([]string, error) {
	tags := []string{}
	if err := s.wf.tagsOf.SelectContext(ctx, &tags, ticketID); err != nil {
		return nil, fmt.Errorf("store: tags of %d: %w", ticketID, err)
	}
	return tags, nil
}

// TicketTagsTx returns a ticket's tags inside the transaction.
func (tx *Tx) TicketTagsTx(ctx context.Context, ticketID int64) ([]string, error) {
	tags := []string{}
	if err := tx.stmt(ctx, tx.s.wf.tagsOfTx).SelectContext(ctx, &tags, ticketID); err != nil {
		return nil, fmt.Errorf("store: tags of %d: %w", ticketID, err)
	}
	return tags, nil
}

// FirstInboundBody returns the text of a ticket's first customer message
// (its description), "" if it has none.
func (s *Store) FirstInboundBody(ctx context.Context, ticketID int64) (string, error) {
	var body string
	err := s.wf.firstInbound.GetContext(ctx, &body, ticketID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: first message of %d: %w", ticketID, err)
	}
	return body, nil
}

// LastInboundMessageID returns the id of the ticket's newest customer
// message (0: none), read inside the transaction.
func (tx *Tx) LastInboundMessageID(ctx context.Context, ticketID int64) (int64, error) {
	var id int64
	if err := tx.stmt(ctx, tx.s.wf.lastInboundTx).GetContext(ctx, &id, ticketID); err != nil {
		return 0, fmt.Errorf("store: last customer message of %d: %w", ticketID, err)
	}
	return id, nil
}

// GitHubIssuePending reports whether the GitHub sync queued an issue for the
// ticket that GitHub has not accepted yet (github_posts "ticket:<id>").
func (s *Store) GitHubIssuePending(ctx context.Context, ticketID int64) (bool, error) {
	var n int64
	if err := s.wf.issuePending.GetContext(ctx, &n, "ticket:"+strconv.FormatInt(ticketID, 10)); err != nil {
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
	return affected("record workflow event")(tx.stmt(ctx, tx.s.wf.recordEvent).ExecContext(ctx, key, ticketID, tx.now))
}

// PruneWorkflows forgets events evaluated and runs finished before
// WorkflowEventRetention.
func (tx *Tx) PruneWorkflows(ctx context.Context) error {
	before := tx.now.Add(-WorkflowEventRetention)
	if _, err := tx.stmt(ctx, tx.s.wf.pruneEvents).ExecContext(ctx, before); err != nil {
		return fmt.Errorf("store: prune workflow events: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.wf.pruneRuns).ExecContext(ctx, before); err != nil {
		return fmt.Errorf("store: prune workflow runs: %w", err)
	}
	return nil
}

// InsertWorkflowRun records a rule that matched an event; it starts running
// at step 0.
func (tx *Tx) InsertWorkflowRun(ctx context.Context, in NewWorkflowRun) (WorkflowRun, error) {
	var r WorkflowRun
	err := tx.stmt(ctx, tx.s.wf.insertRun).GetContext(ctx, &r, in.RuleID, in.RuleName, in.TicketID, in.Event, in.EventKey,
		in.Depth, in.Actions, tx.now, tx.now)
	if err != nil {
		return WorkflowRun{}, fmt.Errorf("store: insert workflow run: %w", err)
	}
	return r, nil
}

// WorkflowRun returns one run (with DueAt while it waits).
func (s *Store) WorkflowRun(ctx context.Context, id int64) (WorkflowRun, error) {
	var r WorkflowRun
	if err := s.wf.runByID.GetContext(ctx, &r, id); err != nil {
		return WorkflowRun{}, notFound(err, fmt.Sprintf("workflow run %d", id))
	}
	return r, nil
}

// WorkflowRunTx returns one run inside the transaction (without DueAt).
func (tx *Tx) WorkflowRunTx(ctx context.Context, id int64) (WorkflowRun, error) {
	var r WorkflowRun
	if err := tx.stmt(ctx, tx.s.wf.runByIDTx).GetContext(ctx, &r, id); err != nil {
		return WorkflowRun{}, notFound(err, fmt.Sprintf("workflow run %d", id))
	}
	return r, nil
}

// AdvanceWorkflowRun marks step from of a running run done, moving it to
// step from+1 with status (running, waiting or done). False means that step
// was done already (or the run stopped): the caller must roll back.
func (tx *Tx) AdvanceWorkflowRun(ctx context.Context, id int64, from int, status string) (bool, error) {
	var finished *time.Time
	if status == RunDone {
		finished = &tx.now
	}
	return affected("advance workflow run")(tx.stmt(ctx, tx.s.wf.advanceRun).ExecContext(ctx, from+1, status, finished, tx.now, id, from))
}

// FinishWorkflowRun ends a running or waiting run as done, failed or
// canceled, with why; false means it had ended already.
func (tx *Tx) FinishWorkflowRun(ctx context.Context, id int64, status, reason string) (bool, error) {
	return affected("finish workflow run")(tx.stmt(ctx, tx.s.wf.finishRun).ExecContext(ctx, status, reason, tx.now, tx.now, id))
}

// ResumeWorkflowRun moves a waiting run back to running (its delay fell
// due); false means it was not waiting.
func (tx *Tx) ResumeWorkflowRun(ctx context.Context, id int64) (bool, error) {
	return affected("resume workflow run")(tx.stmt(ctx, tx.s.wf.resumeRun).ExecContext(ctx, tx.now, id))
}

// SetWorkflowRunError records the latest error of a run's side job (a
// webhook or GitHub call being retried); final marks the run failed.
func (s *Store) SetWorkflowRunError(ctx context.Context, id int64, msg string, final bool) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var err error
		if final {
			_, err = tx.stmt(ctx, s.wf.failRun).ExecContext(ctx, msg, tx.now, tx.now, id)
		} else {
			_, err = tx.stmt(ctx, s.wf.setRunError).ExecContext(ctx, msg, tx.now, id)
		}
		if err != nil {
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

// WorkflowRuns returns runs, newest first.
func (s *Store) WorkflowRuns(ctx context.Context, f WorkflowRunFilter) ([]WorkflowRun, error) {
	runs := []WorkflowRun{}
	err := s.wf.listRuns.SelectContext(ctx, &runs, f.RuleID, f.RuleID, f.TicketID, f.TicketID, f.BeforeID, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: workflow runs: %w", err)
	}
	return runs, nil
}

// Delays.

// InsertWorkflowDelay records that the rest of a run waits until dueAt;
// a customer message with an id above afterMessageID cancels it.
func (tx *Tx) InsertWorkflowDelay(ctx context.Context, run WorkflowRun, dueAt time.Time, afterMessageID int64) (WorkflowDelay, error) {
	var d WorkflowDelay
	err := tx.stmt(ctx, tx.s.wf.insertDelay).GetContext(ctx, &d, run.ID, run.RuleID, run.TicketID, dueAt.UTC(), afterMessageID, tx.now, tx.now)
	if err != nil {
		return WorkflowDelay{}, fmt.Errorf("store: insert workflow delay: %w", err)
	}
	return d, nil
}

// WorkflowDelayTx returns a delay inside the transaction.
func (tx *Tx) WorkflowDelayTx(ctx context.Context, id int64) (WorkflowDelay, error) {
	var d WorkflowDelay
	if err := tx.stmt(ctx, tx.s.wf.delayByIDTx).GetContext(ctx, &d, id); err != nil {
		return WorkflowDelay{}, notFound(err, fmt.Sprintf("workflow delay %d", id))
	}
	return d, nil
}

// SetWorkflowDelayState moves a pending delay to fired or canceled; false
// means it was not pending any more.
func (tx *Tx) SetWorkflowDelayState(ctx context.Context, id int64, state, reason string) (bool, error) {
	return affected("set workflow delay state")(tx.stmt(ctx, tx.s.wf.setDelayState).ExecContext(ctx, state, reason, tx.now, id))
}

// CancelWorkflowDelays cancels pending delays, of a ticket (ruleID 0), of a
// rule (ticketID 0), or of a rule on a ticket, and returns their runs.
func (tx *Tx) CancelWorkflowDelays(ctx context.Context, ruleID, ticketID int64, reason string) ([]int64, error) {
	runs := []int64{}
	var err error
	switch {
	case ruleID == 0:
		err = tx.stmt(ctx, tx.s.wf.cancelForTicket).SelectContext(ctx, &runs, reason, tx.now, ticketID)
	case ticketID == 0:
		err = tx.stmt(ctx, tx.s.wf.cancelForRule).SelectContext(ctx, &runs, reason, tx.now, ruleID)
	default:
		err = tx.stmt(ctx, tx.s.wf.cancelForRuleTkt).SelectContext(ctx, &runs, reason, tx.now, ruleID, ticketID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: cancel workflow delays: %w", err)
	}
	return runs, nil
}
