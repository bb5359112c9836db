package workflows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// What the admin API does with rules: list, create, edit, reorder, switch
// on and off, delete, dry-run on a ticket, and the log of recent runs.

// Rule is a stored rule as admins see it.
type Rule struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Trigger        string     `json:"trigger"`
	Conditions     Conditions `json:"conditions"`
	Actions        []Action   `json:"actions"`
	StopProcessing bool       `json:"stop_processing"`
	Enabled        bool       `json:"enabled"`
	Position       int64      `json:"position"`
	// WebhookSecret signs the rule's webhooks (generated when the rule is
	// created unless given).
	WebhookSecret string    `json:"webhook_secret"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func ruleView(row store.WorkflowRule) (Rule, error) {
	r, err := decodeRule(row)
	if err != nil {
		return Rule{}, fmt.Errorf("workflows: rule %d: %w", row.ID, err)
	}
	return Rule{ID: row.ID, Name: row.Name, Trigger: row.Event, Conditions: r.Conditions, Actions: r.Actions,
		StopProcessing: row.StopProcessing, Enabled: row.Enabled, Position: row.Position, WebhookSecret: row.WebhookSecret,
		Version: row.Version, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}, nil
}

func newSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func storeInput(d Definition, secret string) (store.WorkflowRuleInput, error) {
	conds, err := json.Marshal(d.Conditions)
	if err != nil {
		return store.WorkflowRuleInput{}, err
	}
	actions, err := json.Marshal(d.Actions)
	if err != nil {
		return store.WorkflowRuleInput{}, err
	}
	return store.WorkflowRuleInput{Name: d.Name, Event: d.Trigger, Conditions: string(conds), Actions: string(actions),
		StopProcessing: d.StopProcessing, Enabled: d.Enabled, WebhookSecret: secret}, nil
}

// Rules returns every rule in evaluation order.
func (e *Engine) Rules(ctx context.Context) ([]Rule, error) {
	rows, err := e.store.WorkflowRules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Rule, 0, len(rows))
	for _, row := range rows {
		r, err := ruleView(row)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Rule returns one rule (model.ErrNotFound if there is none).
func (e *Engine) Rule(ctx context.Context, id int64) (Rule, error) {
	row, err := e.store.WorkflowRule(ctx, id)
	if err != nil {
		return Rule{}, err
	}
	return ruleView(row)
}

func (e *Engine) parse(ctx context.Context, in RuleInput, current *Definition) (parsed, error) {
	priorities, err := e.priorities(ctx)
	if err != nil {
		return parsed{}, err
	}
	p, errs := parseRule(in, priorities, current, e.outbound.CheckURL)
	if len(errs) > 0 {
		return parsed{}, errs
	}
	return p, nil
}

// Create validates and stores a new rule after the others. Invalid rules
// come back as model.FieldErrors, with nothing stored.
func (e *Engine) Create(ctx context.Context, in RuleInput) (Rule, error) {
	p, err := e.parse(ctx, in, nil)
	if err != nil {
		return Rule{}, err
	}
	secret := newSecret()
	if p.secret != nil {
		secret = *p.secret
	}
	si, err := storeInput(p.def, secret)
	if err != nil {
		return Rule{}, err
	}
	var row store.WorkflowRule
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		row, err = tx.InsertWorkflowRule(ctx, si)
		return err
	})
	if err != nil {
		return Rule{}, fmt.Errorf("workflows: create rule: %w", err)
	}
	return ruleView(row)
}

// Update replaces a rule's definition. enabled and webhook_secret keep their
// values when left out. Runs already started keep the actions they started
// with; switching the rule off cancels its pending delayed chains.
func (e *Engine) Update(ctx context.Context, id int64, in RuleInput) (Rule, error) {
	cur, err := e.store.WorkflowRule(ctx, id)
	if err != nil {
		return Rule{}, err
	}
	p, err := e.parse(ctx, in, &Definition{Enabled: cur.Enabled})
	if err != nil {
		return Rule{}, err
	}
	secret := cur.WebhookSecret
	if p.secret != nil {
		secret = *p.secret
	}
	si, err := storeInput(p.def, secret)
	if err != nil {
		return Rule{}, err
	}
	var row store.WorkflowRule
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		if row, err = tx.UpdateWorkflowRule(ctx, id, si); err != nil {
			return err
		}
		if !row.Enabled {
			return cancelDelays(ctx, tx, id, 0, reasonRuleDisabled)
		}
		return nil
	})
	if err != nil {
		return Rule{}, fmt.Errorf("workflows: update rule %d: %w", id, err)
	}
	return ruleView(row)
}

// SetEnabled switches a rule on or off; off cancels its pending delayed
// chains.
func (e *Engine) SetEnabled(ctx context.Context, id int64, enabled bool) (Rule, error) {
	var row store.WorkflowRule
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if row, err = tx.SetWorkflowRuleEnabled(ctx, id, enabled); err != nil {
			return err
		}
		if !enabled {
			return cancelDelays(ctx, tx, id, 0, reasonRuleDisabled)
		}
		return nil
	})
	if err != nil {
		return Rule{}, fmt.Errorf("workflows: switch rule %d: %w", id, err)
	}
	return ruleView(row)
}

// Delete deletes a rule and cancels its pending delayed chains; its runs
// stay in the log.
func (e *Engine) Delete(ctx context.Context, id int64) error {
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		if err := cancelDelays(ctx, tx, id, 0, reasonRuleDeleted); err != nil {
			return err
		}
		ok, err := tx.DeleteWorkflowRule(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("workflow rule %d: %w", id, model.ErrNotFound)
		}
		return nil
	})
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("workflows: delete rule %d: %w", id, err)
	}
	return err
}

// Reorder puts the rules in the order of ids, which must name every rule
// once.
func (e *Engine) Reorder(ctx context.Context, ids []int64) ([]Rule, error) {
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		rows, err := e.store.WorkflowRules(ctx)
		if err != nil {
			return err
		}
		known := map[int64]bool{}
		for _, r := range rows {
			known[r.ID] = true
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if !known[id] || seen[id] {
				return model.FieldErrors{"ids": fmt.Sprintf("must list every rule exactly once (%d rules; %d is unknown or repeated)", len(rows), id)}
			}
			seen[id] = true
		}
		if len(seen) != len(known) {
			return model.FieldErrors{"ids": fmt.Sprintf("must list every rule exactly once (%d rules, %d listed)", len(known), len(seen))}
		}
		for i, id := range ids {
			if err := tx.SetWorkflowRulePosition(ctx, id, int64(i+1)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.Rules(ctx)
}

// DryRunInput asks which rules would act on a ticket for an event.
type DryRunInput struct {
	// Ticket is a reference (TK-42).
	Ticket string `json:"ticket"`
	// Trigger is the event to pretend (default ticket.created).
	Trigger string `json:"trigger"`
	// Author is customer or agent, for reply.created (default customer).
	Author string `json:"author"`
}

// DryRun is what would happen.
type DryRun struct {
	Ticket  string         `json:"ticket"`
	Trigger string         `json:"trigger"`
	Facts   Facts          `json:"facts"`
	Rules   []DryRunResult `json:"rules"`
}

// DryRunResult is one rule's verdict. WouldRun: enabled, for this trigger,
// matching, and not stopped by an earlier rule.
type DryRunResult struct {
	RuleID    int64    `json:"rule_id"`
	Name      string   `json:"name"`
	Trigger   string   `json:"trigger"`
	Enabled   bool     `json:"enabled"`
	Applies   bool     `json:"applies"`
	Matched   bool     `json:"matched"`
	WouldRun  bool     `json:"would_run"`
	StoppedBy *int64   `json:"stopped_by"`
	All       []Check  `json:"all"`
	Any       []Check  `json:"any"`
	Actions   []Action `json:"actions"`
}

// Check is one condition's verdict, with the value it looked at.
type Check struct {
	Condition
	Matched bool `json:"matched"`
	Actual  any  `json:"actual"`
}

// MarshalJSON flattens the condition into the check.
func (c Check) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(c.Condition)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["matched"], m["actual"] = c.Matched, c.Actual
	return json.Marshal(m)
}

// DryRun evaluates every rule against a ticket as it is now, changing
// nothing.
func (e *Engine) DryRun(ctx context.Context, in DryRunInput) (DryRun, error) {
	errs := model.FieldErrors{}
	id, ok := model.ParseReference(in.Ticket)
	if !ok {
		errs["ticket"] = "must be a ticket reference such as TK-42"
	}
	if in.Trigger == "" {
		in.Trigger = events.TicketCreated
	}
	known := false
	for _, k := range events.Kinds {
		known = known || k == in.Trigger
	}
	if !known {
		errs["trigger"] = "must be one of the triggers"
	}
	author := ""
	if in.Trigger == events.ReplyCreated {
		switch in.Author {
		case "", events.AuthorCustomer:
			author = events.AuthorCustomer
		case events.AuthorAgent:
			author = events.AuthorAgent
		default:
			errs["author"] = "must be customer or agent"
		}
	}
	if len(errs) > 0 {
		return DryRun{}, errs
	}
	t, err := e.store.Ticket(ctx, id)
	if err != nil {
		return DryRun{}, err
	}
	rules, err := e.rules(ctx)
	if err != nil {
		return DryRun{}, err
	}
	facts, err := e.facts(ctx, t, author)
	if err != nil {
		return DryRun{}, err
	}
	out := DryRun{Ticket: t.Reference, Trigger: in.Trigger, Facts: facts, Rules: []DryRunResult{}}
	var stopper *int64
	for _, r := range rules {
		res := DryRunResult{RuleID: r.ID, Name: r.Name, Trigger: r.Trigger, Enabled: r.Enabled, Applies: r.Trigger == in.Trigger,
			Matched: r.compiled.Match(facts), Actions: r.Actions, All: []Check{}, Any: []Check{}}
		for _, c := range r.compiled.all {
			res.All = append(res.All, Check{Condition: c.Condition, Matched: c.Match(facts), Actual: facts.Actual(c.Field)})
		}
		for _, c := range r.compiled.any {
			res.Any = append(res.Any, Check{Condition: c.Condition, Matched: c.Match(facts), Actual: facts.Actual(c.Field)})
		}
		if res.Enabled && res.Applies && res.Matched {
			if stopper != nil {
				res.StoppedBy = stopper
			} else {
				res.WouldRun = true
				if r.StopProcessing {
					stopper = &r.ID
				}
			}
		}
		out.Rules = append(out.Rules, res)
	}
	return out, nil
}

// RunQuery selects recent runs.
type RunQuery struct {
	RuleID int64
	// Ticket is a reference (TK-42); "" for all tickets.
	Ticket string
	// Before pages back: runs older than this run id.
	Before int64
	Limit  int
}

// MaxRuns is the most runs one page of the log holds.
const MaxRuns = 200

// RunView is one run in the log.
type RunView struct {
	ID         int64      `json:"id"`
	RuleID     *int64     `json:"rule_id"`
	RuleName   string     `json:"rule_name"`
	Ticket     string     `json:"ticket"`
	Event      string     `json:"event"`
	Status     string     `json:"status"`
	Error      string     `json:"error"`
	Step       int        `json:"step"`
	Actions    []Action   `json:"actions"`
	DueAt      *time.Time `json:"due_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// Runs returns recent runs, newest first.
func (e *Engine) Runs(ctx context.Context, q RunQuery) ([]RunView, error) {
	f := store.WorkflowRunFilter{RuleID: q.RuleID, BeforeID: q.Before, Limit: q.Limit}
	if q.Ticket != "" {
		id, ok := model.ParseReference(q.Ticket)
		if !ok {
			return nil, model.FieldErrors{"ticket": "must be a ticket reference such as TK-42"}
		}
		f.TicketID = id
	}
	if f.Limit <= 0 || f.Limit > MaxRuns {
		f.Limit = 50
	}
	runs, err := e.store.WorkflowRuns(ctx, f, DelayPending)
	if err != nil {
		return nil, err
	}
	out := make([]RunView, 0, len(runs))
	for _, r := range runs {
		actions, err := decodeActions(r.Actions)
		if err != nil {
			return nil, err
		}
		out = append(out, RunView{ID: r.ID, RuleID: r.RuleID, RuleName: r.RuleName, Ticket: model.Reference(r.TicketID),
			Event: r.Event, Status: r.Status, Error: r.Error, Step: r.NextStep, Actions: actions, DueAt: r.DueAt,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt})
	}
	return out, nil
}
