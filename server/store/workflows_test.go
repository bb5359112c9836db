package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

func TestWorkflowBookkeeping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		s := dbtest.Open(t, d, func() time.Time { return t0 })
		inTx := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := s.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}

		// Rules go after the last one; edits bump the version.
		var a, b store.WorkflowRule
		inTx(func(tx *store.Tx) error {
			var err error
			if a, err = tx.InsertWorkflowRule(ctx, store.WorkflowRuleInput{Name: "a", Event: "ticket.created", Conditions: `{}`, Actions: `[]`, Enabled: true, WebhookSecret: "s1"}); err != nil {
				return err
			}
			b, err = tx.InsertWorkflowRule(ctx, store.WorkflowRuleInput{Name: "b", Event: "ticket.closed", Conditions: `{}`, Actions: `[]`, StopProcessing: true, WebhookSecret: "s2"})
			return err
		})
		if a.Position != 1 || b.Position != 2 || !a.Enabled || b.Enabled || !b.StopProcessing || a.Version != 1 {
			t.Fatalf("inserted %+v, %+v", a, b)
		}
		inTx(func(tx *store.Tx) error {
			if err := tx.SetWorkflowRulePosition(ctx, b.ID, 1); err != nil {
				return err
			}
			if err := tx.SetWorkflowRulePosition(ctx, a.ID, 2); err != nil {
				return err
			}
			up, err := tx.UpdateWorkflowRule(ctx, a.ID, store.WorkflowRuleInput{Name: "a2", Event: "ticket.created", Conditions: `{}`, Actions: `[]`, Enabled: true, WebhookSecret: "s1"})
			if err != nil || up.Version != 2 || up.Name != "a2" {
				t.Errorf("update = %+v, %v", up, err)
			}
			on, err := tx.SetWorkflowRuleEnabled(ctx, b.ID, true)
			if err != nil || !on.Enabled || on.Version != 1 {
				t.Errorf("enable = %+v, %v", on, err)
			}
			return nil
		})
		rules, err := s.WorkflowRules(ctx)
		if err != nil || len(rules) != 2 || rules[0].ID != b.ID || rules[1].ID != a.ID {
			t.Fatalf("rules = %+v, %v", rules, err)
		}
		inTx(func(tx *store.Tx) error {
			if _, err := tx.UpdateWorkflowRule(ctx, 999, store.WorkflowRuleInput{}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("update of a missing rule: %v", err)
			}
			first, err := tx.AddSettingOnce(ctx, "workflows.test_marker", "1")
			again, err2 := tx.AddSettingOnce(ctx, "workflows.test_marker", "1")
			if !first || again || err != nil || err2 != nil {
				t.Errorf("marker: %v %v %v %v", first, again, err, err2)
			}
			return nil
		})

		// A ticket with two customer messages, tags and a priority.
		var ticket model.Ticket
		var m2 model.Message
		inTx(func(tx *store.Tx) error {
			var err error
			if ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget}); err != nil {
				return err
			}
			if _, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionInbound, Source: model.SourceWidget, Body: "first"}); err != nil {
				return err
			}
			if _, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionOutbound, Source: model.SourceGitHub, Body: "agent"}); err != nil {
				return err
			}
			m2, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionInbound, Source: model.SourcePortal, Body: "second"})
			return err
		})
		if body, err := s.FirstInboundBody(ctx, ticket.ID); err != nil || body != "first" {
			t.Errorf("first body = %q, %v", body, err)
		}
		if body, err := s.FirstInboundBody(ctx, 999); err != nil || body != "" {
			t.Errorf("first body of nothing = %q, %v", body, err)
		}
		inTx(func(tx *store.Tx) error {
			if id, err := tx.LastInboundMessageID(ctx, ticket.ID); err != nil || id != m2.ID {
				t.Errorf("last inbound = %d, %v; want %d", id, err, m2.ID)
			}
			for _, tag := range []string{"vip", "dept:billing", "vip"} {
				if _, err := tx.AddTicketTag(ctx, ticket.ID, tag); err != nil {
					return err
				}
			}
			if ok, err := tx.RemoveTicketTag(ctx, ticket.ID, "nope"); ok || err != nil {
				t.Errorf("removing a missing tag = %v, %v", ok, err)
			}
			if _, err := tx.SetTicketPriority(ctx, ticket.ID, "urgent"); err != nil {
				return err
			}
			closed, err := tx.CloseTicket(ctx, ticket.ID, t0, time.Hour)
			again, err2 := tx.CloseTicket(ctx, ticket.ID, t0, time.Hour)
			if !closed || again || err != nil || err2 != nil {
				t.Errorf("close if open: %v %v %v %v", closed, again, err, err2)
			}
			return nil
		})
		if tags, err := s.TicketTags(ctx, ticket.ID); err != nil || len(tags) != 2 || tags[0] != "dept:billing" || tags[1] != "vip" {
			t.Errorf("tags = %v, %v", tags, err)
		}
		if got, _ := s.Ticket(ctx, ticket.ID); got.Priority != "urgent" || got.Status != model.StatusClosed {
			t.Errorf("ticket = %+v", got)
		}

		// GitHub issue pending: only while the sync's post is unfinished.
		if p, err := s.GitHubIssuePending(ctx, ticket.ID); p || err != nil {
			t.Errorf("pending without a post = %v, %v", p, err)
		}
		inTx(func(tx *store.Tx) error {
			_, err := tx.QueueGitHubPost(ctx, "ticket:"+strconv.FormatInt(ticket.ID, 10), ticket.ID)
			return err
		})
		if p, _ := s.GitHubIssuePending(ctx, ticket.ID); !p {
			t.Error("queued issue not pending")
		}
		inTx(func(tx *store.Tx) error {
			_, err := tx.FinishGitHubPost(ctx, "ticket:"+strconv.FormatInt(ticket.ID, 10), 7)
			return err
		})
		if p, _ := s.GitHubIssuePending(ctx, ticket.ID); p {
			t.Error("posted issue still pending")
		}

		// The statuses are server/workflows'; the store stores what it is
		// given.
		running := store.Move{From: "running", To: "waiting"}
		cancel := store.Move{From: "pending", To: "canceled"}

		// An event is recorded once; a step advances once.
		var run store.WorkflowRun
		inTx(func(tx *store.Tx) error {
			first, err := tx.RecordWorkflowEvent(ctx, "id:e1", ticket.ID)
			again, err2 := tx.RecordWorkflowEvent(ctx, "id:e1", ticket.ID)
			if !first || again || err != nil || err2 != nil {
				t.Errorf("event: %v %v %v %v", first, again, err, err2)
			}
			if err := tx.PruneWorkflows(ctx); err != nil {
				return err
			}
			run, err = tx.InsertWorkflowRun(ctx, store.NewWorkflowRun{RuleID: a.ID, RuleName: "a2", TicketID: ticket.ID, Event: "ticket.created", EventKey: "id:e1", Actions: `[]`, Status: "running"})
			return err
		})
		if run.Status != "running" || run.NextStep != 0 || *run.RuleID != a.ID {
			t.Fatalf("run = %+v", run)
		}
		inTx(func(tx *store.Tx) error {
			ok, err := tx.AdvanceWorkflowRun(ctx, run.ID, 0, running, false)
			again, err2 := tx.AdvanceWorkflowRun(ctx, run.ID, 0, running, false)
			if !ok || again || err != nil || err2 != nil {
				t.Errorf("advance: %v %v %v %v", ok, again, err, err2)
			}
			return nil
		})

		// Delays: a pending one shows on its run; canceling ends it once.
		due := t0.Add(7 * 24 * time.Hour)
		var delay store.WorkflowDelay
		inTx(func(tx *store.Tx) error {
			var err error
			delay, err = tx.InsertWorkflowDelay(ctx, run, due, m2.ID, "pending")
			return err
		})
		if delay.State != "pending" || !delay.DueAt.Equal(due) || delay.AfterMessageID != m2.ID {
			t.Fatalf("delay = %+v", delay)
		}
		got, err := s.WorkflowRun(ctx, run.ID, "pending")
		if err != nil || got.Status != "waiting" || got.NextStep != 1 || got.DueAt == nil || !got.DueAt.Equal(due) {
			t.Fatalf("waiting run = %+v, %v", got, err)
		}
		inTx(func(tx *store.Tx) error {
			runs, err := tx.CancelWorkflowDelays(ctx, a.ID, ticket.ID, cancel, "replaced")
			if err != nil || len(runs) != 1 || runs[0] != run.ID {
				t.Errorf("cancel = %v, %v", runs, err)
			}
			if runs, _ := tx.CancelWorkflowDelays(ctx, 0, ticket.ID, cancel, "again"); len(runs) != 0 {
				t.Errorf("canceled twice: %v", runs)
			}
			if ok, _ := tx.SetWorkflowDelayState(ctx, delay.ID, store.Move{From: "pending", To: "fired"}, ""); ok {
				t.Error("a canceled delay fired")
			}
			if ok, _ := tx.FinishWorkflowRun(ctx, run.ID, "canceled", "replaced"); !ok {
				t.Error("waiting run not finished")
			}
			if ok, _ := tx.FinishWorkflowRun(ctx, run.ID, "done", ""); ok {
				t.Error("ended run finished again")
			}
			d, err := tx.WorkflowDelayTx(ctx, delay.ID)
			if err != nil || d.State != "canceled" || d.Reason != "replaced" {
				t.Errorf("delay = %+v, %v", d, err)
			}
			return nil
		})
		if err := s.FailWorkflowRun(ctx, run.ID, "failed", "boom"); err != nil {
			t.Fatal(err)
		}
		list, err := s.WorkflowRuns(ctx, store.WorkflowRunFilter{TicketID: ticket.ID, Limit: 10}, "pending")
		if err != nil || len(list) != 1 || list[0].Status != "failed" || list[0].Error != "boom" || list[0].DueAt != nil || list[0].FinishedAt == nil {
			t.Fatalf("runs = %+v, %v", list, err)
		}
		if list, _ := s.WorkflowRuns(ctx, store.WorkflowRunFilter{RuleID: b.ID, Limit: 10}, "pending"); len(list) != 0 {
			t.Errorf("runs of rule b = %+v", list)
		}

		// Deleting the rule keeps its runs, without the rule.
		inTx(func(tx *store.Tx) error {
			ok, err := tx.DeleteWorkflowRule(ctx, a.ID)
			if !ok || err != nil {
				t.Errorf("delete = %v, %v", ok, err)
			}
			return nil
		})
		if got, err := s.WorkflowRun(ctx, run.ID, "pending"); err != nil || got.RuleID != nil || got.RuleName != "a2" {
			t.Errorf("run after its rule was deleted = %+v, %v", got, err)
		}
	})
}
