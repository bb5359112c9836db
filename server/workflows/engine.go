// Package workflows runs rules that act on tickets as events happen: when a
// ticket is created, replied to, closed, reopened or changes priority, the
// enabled rules of that trigger are evaluated in order against the ticket
// (conditions in all/any groups), stopping after a matching rule that says
// so, and each matching rule's actions run as durable jobs: tags (GitHub
// labels), priority, assignees, department, a signed webhook, close, and
// delays after which the remaining actions run.
//
// Exactly once: an event is evaluated once (its id is recorded with the
// runs it starts); each action step is marked done in the transaction that
// carries it out (or that queues its side effect), so a retried job never
// repeats one; a delayed chain is one scheduled job whose state moves from
// pending to fired or canceled once. A customer's reply cancels the
// ticket's pending chains.
//
// The package decides and stores; it has no HTTP types in its API (the
// admin handlers are in server/admin).
package workflows

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/egress"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// Tickets changes tickets for actions (server/tickets implements it). The
// engine calls each with a context from store.RunInTx, so the change joins
// the transaction that records the step; depth is the depth of the events
// the change publishes.
type Tickets interface {
	SetPriority(ctx context.Context, ticketID int64, priority string, depth int) (bool, error)
	ChangeTags(ctx context.Context, ticketID int64, add, remove []string) ([]string, []string, error)
	Close(ctx context.Context, ticketID int64, c tickets.StateChange) (bool, error)
}

// Enqueuer inserts a durable job inside a transaction.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// IssueLabeler is what the GitHub actions need of the ticket's issue. Errors
// that carry a wait (a rate limit) implement RetryAfter() time.Duration; the
// job then sleeps that long without spending an attempt.
type IssueLabeler interface {
	AddLabels(ctx context.Context, issue int64, labels []string) error
	// RemoveLabel succeeds when the issue does not have the label.
	RemoveLabel(ctx context.Context, issue int64, label string) error
	AddAssignees(ctx context.Context, issue int64, logins []string) error
}

// MaxDepth is how many workflow runs may lead to one another: an event
// caused by actions of runs this deep is not evaluated (rules that set each
// other off, e.g. two rules flipping the priority, stop there).
const MaxDepth = 5

// Options are what the engine works with.
type Options struct {
	Store   *store.Store
	Tickets Tickets
	Jobs    Enqueuer
	// Labeler reaches GitHub issues; nil when the GitHub sync is off (tags
	// then stay local, assign does nothing).
	Labeler IssueLabeler
	// Priorities returns the configured priorities (set_priority must name
	// one).
	Priorities func(ctx context.Context) ([]string, error)
	// Outbound is where webhooks may go (nil: the public internet only);
	// it also vets webhook URLs as rules are saved.
	Outbound *egress.Guard
	// BaseURL is PORTICO_BASE_URL; webhooks link to the admin ticket page.
	BaseURL string
	Log     *slog.Logger
	// Now is the clock delays are measured with (default time.Now).
	Now func() time.Time
	// MaxSleep bounds how long a delayed chain's job sleeps before it reads
	// Now again (0: until the chain is due). The job queue schedules by the
	// wall clock; tests that move Now set it low so that a moved clock is
	// noticed at once.
	MaxSleep time.Duration
}

// Engine evaluates rules and runs their actions.
type Engine struct {
	store      *store.Store
	tickets    Tickets
	jobs       Enqueuer
	labeler    IssueLabeler
	priorities func(ctx context.Context) ([]string, error)
	http       *http.Client
	outbound   *egress.Guard
	baseURL    string
	log        *slog.Logger
	now        func() time.Time
	maxSleep   time.Duration

	mu        sync.Mutex
	cache     map[int64]cachedRule
	lastPrune time.Time
}

type cachedRule struct {
	version  int64
	compiled *compiledConditions
}

// New returns the engine.
func New(o Options) *Engine {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Outbound == nil {
		o.Outbound, _ = egress.New(nil) // an empty list cannot be wrong
	}
	if o.Priorities == nil {
		o.Priorities = func(context.Context) ([]string, error) { return []string{"low", "medium", "high", "urgent"}, nil }
	}
	return &Engine{store: o.Store, tickets: o.Tickets, jobs: o.Jobs, labeler: o.Labeler, priorities: o.Priorities,
		http: o.Outbound.Client(WebhookTimeout), outbound: o.Outbound, baseURL: strings.TrimSuffix(o.BaseURL, "/"), log: o.Log, now: o.Now, maxSleep: o.MaxSleep,
		cache: map[int64]cachedRule{}}
}

// Register adds the engine's job workers and subscribes it to every event
// kind.
func (e *Engine) Register(workers *river.Workers, bus *events.Bus) {
	river.AddWorker(workers, &worker[ExecuteArgs]{work: e.execute})
	river.AddWorker(workers, &worker[ResumeArgs]{work: e.resume})
	river.AddWorker(workers, &worker[WebhookArgs]{work: e.webhook})
	river.AddWorker(workers, &worker[GitHubArgs]{work: e.github})
	for _, kind := range events.Kinds {
		bus.Subscribe(kind, e.handle)
	}
}

type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	work func(ctx context.Context, job *river.Job[T]) error
}

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error { return w.work(ctx, job) }

// Default rules, stored on the first start only (an admin may edit or
// delete them; they do not come back).
const defaultsMarker = "workflows.defaults_created"

// Defaults are the rules a new installation starts with.
func Defaults() []Definition {
	tagChannel := func(name, channel, tag string) Definition {
		return Definition{Name: name, Trigger: events.TicketCreated, Enabled: true,
			Conditions: Conditions{All: []Condition{{Field: FieldChannel, Operator: OpEquals, Value: channel}}},
			Actions:    []Action{{Type: ActAddTag, Value: tag}}}
	}
	return []Definition{
		tagChannel("Tag widget tickets", model.ChannelWidget, "from-widget"),
		tagChannel("Tag email tickets", model.ChannelEmail, "from-email"),
	}
}

// SeedDefaults stores the default rules unless this database had them once
// (several instances starting together store them once).
func (e *Engine) SeedDefaults(ctx context.Context) error {
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		first, err := tx.AddSettingOnce(ctx, defaultsMarker, "1")
		if err != nil || !first {
			return err
		}
		for _, d := range Defaults() {
			in, err := storeInput(d, newSecret())
			if err != nil {
				return err
			}
			if _, err := tx.InsertWorkflowRule(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("workflows: default rules: %w", err)
	}
	return nil
}

// rules loads every rule in order, compiling each (id, version) once.
func (e *Engine) rules(ctx context.Context) ([]*rule, error) {
	rows, err := e.store.WorkflowRules(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*rule, 0, len(rows))
	seen := make(map[int64]bool, len(rows))
	for _, row := range rows {
		seen[row.ID] = true
		r, err := decodeRule(row)
		if err != nil {
			e.log.ErrorContext(ctx, "workflow rule cannot be read; skipped", "rule", row.ID, "err", err)
			continue
		}
		if c, ok := e.cache[row.ID]; ok && c.version == row.Version {
			r.compiled = c.compiled
		} else {
			if r.compiled, err = compileConditions(r.Conditions); err != nil {
				e.log.ErrorContext(ctx, "workflow rule cannot be compiled; skipped", "rule", row.ID, "err", err)
				continue
			}
			e.cache[row.ID] = cachedRule{version: row.Version, compiled: r.compiled}
		}
		out = append(out, r)
	}
	for id := range e.cache {
		if !seen[id] {
			delete(e.cache, id)
		}
	}
	return out, nil
}

func decodeRule(row store.WorkflowRule) (*rule, error) {
	r := &rule{ID: row.ID, Name: row.Name, Trigger: row.Event, Enabled: row.Enabled, StopProcessing: row.StopProcessing,
		Position: row.Position, Version: row.Version}
	if err := json.Unmarshal([]byte(row.Conditions), &r.Conditions); err != nil {
		return nil, fmt.Errorf("conditions: %w", err)
	}
	if err := json.Unmarshal([]byte(row.Actions), &r.Actions); err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	return r, nil
}

// facts reads what conditions look at.
func (e *Engine) facts(ctx context.Context, t model.Ticket, author string) (Facts, error) {
	f := Facts{Channel: t.Channel, Subject: t.Subject, Priority: t.Priority, Author: author}
	if t.ContactID != nil {
		c, err := e.store.Contact(ctx, *t.ContactID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return Facts{}, err
		}
		f.Email = c.Email
		if _, domain, ok := strings.Cut(c.Email, "@"); ok {
			f.EmailDomain = domain
		}
	}
	var err error
	if f.Description, err = e.store.FirstInboundBody(ctx, t.ID); err != nil {
		return Facts{}, err
	}
	if f.Tags, err = e.store.TicketTags(ctx, t.ID); err != nil {
		return Facts{}, err
	}
	return f, nil
}

// authorOf is the side of a reply.created: from the event, or (for events
// published before they carried it) from the message.
func (e *Engine) authorOf(ctx context.Context, ev events.Event) (string, error) {
	if ev.Kind != events.ReplyCreated || ev.Author != "" {
		return ev.Author, nil
	}
	if ev.MessageID == 0 {
		return "", nil
	}
	m, err := e.store.Message(ctx, ev.MessageID)
	if errors.Is(err, model.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if m.Direction == model.DirectionInbound {
		return events.AuthorCustomer, nil
	}
	return events.AuthorAgent, nil
}

func eventKey(ev events.Event) string {
	if ev.ID != "" {
		return "id:" + ev.ID
	}
	return fmt.Sprintf("%s:%d:%d:%d", ev.Kind, ev.TicketID, ev.MessageID, ev.At.UnixNano())
}

// Reasons a pending chain was canceled.
const (
	reasonCustomerReplied = "canceled: the customer replied"
	reasonRuleDisabled    = "canceled: the rule was disabled"
	reasonRuleDeleted     = "canceled: the rule was deleted"
)

// handle evaluates the rules of an event's kind and queues the runs of those
// that match, once per event however often it is published. A customer's
// reply first cancels the ticket's pending delayed chains.
func (e *Engine) handle(ctx context.Context, ev events.Event) error {
	if ev.Depth > MaxDepth {
		e.log.WarnContext(ctx, "workflow event not evaluated: rules set each other off too deep", "event", ev.Kind,
			"ticket", model.Reference(ev.TicketID), "depth", ev.Depth)
		return nil
	}
	author, err := e.authorOf(ctx, ev)
	if err != nil {
		return err
	}
	rules, err := e.rules(ctx)
	if err != nil {
		return err
	}
	// Most events meet no rule: then nothing is written (the write is what
	// costs, on SQLite's one writer), unless a customer's reply has delayed
	// chains to cancel. A chain that begins after this look is still
	// stopped: its resume checks whether the customer wrote since.
	cancelChains := false
	if ev.Kind == events.ReplyCreated && author == events.AuthorCustomer {
		n, err := e.store.CountWorkflowDelays(ctx, ev.TicketID, DelayPending)
		if err != nil {
			return err
		}
		cancelChains = n > 0
	}
	if !cancelChains && !anyEnabledFor(rules, ev.Kind) {
		return nil
	}
	t, err := e.store.Ticket(ctx, ev.TicketID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	facts, err := e.facts(ctx, t, author)
	if err != nil {
		return err
	}
	matched := selectRules(rules, ev.Kind, facts)
	if len(matched) == 0 && !cancelChains {
		return nil
	}
	key := eventKey(ev)
	var ids []int64
	first := false
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if first, err = tx.RecordWorkflowEvent(ctx, key, ev.TicketID); err != nil || !first {
			return err
		}
		if err := e.maybePrune(ctx, tx); err != nil {
			return err
		}
		if cancelChains {
			if err := cancelDelays(ctx, tx, 0, ev.TicketID, reasonCustomerReplied); err != nil {
				return err
			}
		}
		for _, r := range matched {
			actions, err := json.Marshal(r.Actions)
			if err != nil {
				return err
			}
			run, err := tx.InsertWorkflowRun(ctx, store.NewWorkflowRun{RuleID: r.ID, RuleName: r.Name, TicketID: ev.TicketID,
				Event: ev.Kind, EventKey: key, Depth: ev.Depth, Actions: string(actions), Status: RunRunning})
			if err != nil {
				return err
			}
			ids = append(ids, run.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("workflows: %s on %s: %w", ev.Kind, model.Reference(ev.TicketID), err)
	}
	if !first {
		// An earlier try recorded the event and may have stopped before its
		// runs were carried out: they are still running.
		if ids, err = e.store.WorkflowRunsOfEvent(ctx, ev.TicketID, key, RunRunning); err != nil {
			return fmt.Errorf("workflows: %s on %s: %w", ev.Kind, model.Reference(ev.TicketID), err)
		}
	}
	if err := e.executeNow(ctx, ids); err != nil {
		return fmt.Errorf("workflows: %s on %s: %w", ev.Kind, model.Reference(ev.TicketID), err)
	}
	if len(matched) > 0 {
		names := make([]string, len(matched))
		for i, r := range matched {
			names[i] = strconv.FormatInt(r.ID, 10)
		}
		e.log.DebugContext(ctx, "workflow rules matched", "event", ev.Kind, "ticket", t.Reference, "rules", strings.Join(names, ","))
	}
	return nil
}

// pruneEvery is how often one instance forgets old events and runs.
const pruneEvery = time.Hour

func (e *Engine) maybePrune(ctx context.Context, tx *store.Tx) error {
	e.mu.Lock()
	due := tx.Now().Sub(e.lastPrune) >= pruneEvery
	if due {
		e.lastPrune = tx.Now()
	}
	e.mu.Unlock()
	if !due {
		return nil
	}
	return tx.PruneWorkflows(ctx)
}

// cancelDelays cancels pending chains (of a ticket, a rule, or a rule on a
// ticket) and ends their runs as canceled, with why.
func cancelDelays(ctx context.Context, tx *store.Tx, ruleID, ticketID int64, reason string) error {
	runs, err := tx.CancelWorkflowDelays(ctx, ruleID, ticketID, cancelDelay, reason)
	if err != nil {
		return err
	}
	for _, id := range runs {
		if _, err := tx.FinishWorkflowRun(ctx, id, RunCanceled, reason); err != nil {
			return err
		}
	}
	return nil
}
