package workflows

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// The runs an event starts are carried out in the event's own job: no
// workflows.execute job in the common case, one when a step cannot be done
// now, and a retried event job finishes the runs an earlier try left.
func TestEventRunsInItsOwnJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := dbtest.Open(t, d, clock)
		rec := &recorder{st: s}
		e := New(Options{Store: s, Tickets: rec, Jobs: rec, Now: clock, Log: slog.New(slog.DiscardHandler)})
		rule, err := e.Create(ctx, RuleInput{Name: []byte(`"Tag it"`), Trigger: []byte(`"ticket.created"`),
			Conditions: []byte(`{"all":[{"field":"channel","operator":"equals","value":"widget"}]}`), Actions: []byte(`[{"type":"add_tag","value":"seen"}]`)})
		if err != nil {
			t.Fatal(err)
		}
		newTicket := func() int64 {
			t.Helper()
			var id int64
			err := s.InTx(ctx, func(tx *store.Tx) error {
				tk, err := tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget})
				id = tk.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		tagged := func(id int64) bool {
			tags, err := s.TicketTags(ctx, id)
			return err == nil && len(tags) == 1 && tags[0] == "seen"
		}
		jobs := func() int { rec.mu.Lock(); defer rec.mu.Unlock(); return len(rec.jobs) }

		// Common case: the tag is added by the event's job itself.
		a := newTicket()
		ev := events.Job(events.TicketCreated, a, 0, now).Event
		if err := e.handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if !tagged(a) || jobs() != 0 {
			t.Fatalf("tagged %v, %d jobs queued; want the tag and no job", tagged(a), jobs())
		}
		if err := e.handle(ctx, ev); err != nil || jobs() != 0 { // published twice: acts once
			t.Fatalf("second publication: %v, %d jobs", err, jobs())
		}

		// A step that cannot be done now goes to a job of its own.
		b := newTicket()
		rec.mu.Lock()
		rec.tagsFail = errors.New("database is locked")
		rec.mu.Unlock()
		if err := e.handle(ctx, events.Job(events.TicketCreated, b, 0, now).Event); err != nil {
			t.Fatalf("a failing step failed the event's job: %v", err)
		}
		rec.mu.Lock()
		job, ok := rec.jobs[len(rec.jobs)-1].(ExecuteArgs)
		rec.mu.Unlock()
		if !ok || len(job.RunIDs) != 1 || tagged(b) {
			t.Fatalf("queued %+v, tagged %v; want one ExecuteArgs and no tag yet", job, tagged(b))
		}
		if err := e.execute(ctx, jobOf(job, 1)); err != nil || !tagged(b) {
			t.Fatalf("the job: %v, tagged %v", err, tagged(b))
		}

		// An earlier try recorded the event and its run, then stopped: the
		// retried event's job carries the run out.
		c := newTicket()
		ev = events.Job(events.TicketCreated, c, 0, now).Event
		key := eventKey(ev)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.RecordWorkflowEvent(ctx, key, c); err != nil {
				return err
			}
			_, err := tx.InsertWorkflowRun(ctx, store.NewWorkflowRun{RuleID: rule.ID, RuleName: rule.Name, TicketID: c, Event: ev.Kind, EventKey: key,
				Actions: `[{"type":"add_tag","value":"seen"}]`, Status: RunRunning})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.handle(ctx, ev); err != nil || !tagged(c) {
			t.Fatalf("retried event: %v, tagged %v", err, tagged(c))
		}
	})
}
