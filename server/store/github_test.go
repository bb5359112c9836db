package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// clock is a test clock that can be moved.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestGitHubBookkeeping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
		s := dbtest.Open(t, d, clk.now)
		inTx := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := s.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		want := func(what string, got bool, err error, expect bool) {
			t.Helper()
			if err != nil || got != expect {
				t.Errorf("%s = %v, %v; want %v", what, got, err, expect)
			}
		}

		var ticket model.Ticket
		var msg model.Message
		inTx(func(tx *store.Tx) error {
			var err error
			if ticket, err = tx.CreateTicket(ctx, store.NewTicket{Subject: "s", Priority: "low", Channel: model.ChannelWidget}); err != nil {
				return err
			}
			msg, err = tx.AddMessage(ctx, store.NewMessage{TicketID: ticket.ID, Direction: model.DirectionInbound, Source: model.SourcePortal, Body: "b"})
			return err
		})

		// Deliveries: once, and forgotten after the retention.
		inTx(func(tx *store.Tx) error {
			ok, err := tx.RecordGitHubDelivery(ctx, "d-1", "issues")
			want("first delivery", ok, err, true)
			ok, err = tx.RecordGitHubDelivery(ctx, "d-1", "issues")
			want("same delivery", ok, err, false)
			return nil
		})
		clk.add(store.DeliveryRetention + time.Hour)
		inTx(func(tx *store.Tx) error {
			ok, err := tx.RecordGitHubDelivery(ctx, "d-1", "issues")
			want("delivery after retention", ok, err, true)
			return nil
		})

		// Posts: queued once, finished once.
		inTx(func(tx *store.Tx) error {
			ok, err := tx.QueueGitHubPost(ctx, "ticket:1", ticket.ID)
			want("queue post", ok, err, true)
			ok, err = tx.QueueGitHubPost(ctx, "ticket:1", ticket.ID)
			want("queue post again", ok, err, false)
			return nil
		})
		p, err := s.GitHubPost(ctx, "ticket:1")
		if err != nil || p.PostedAt != nil || p.GitHubID != nil || p.TicketID != ticket.ID || !p.CreatedAt.Equal(clk.now()) {
			t.Errorf("post = %+v, %v", p, err)
		}
		if _, err := s.GitHubPost(ctx, "ticket:2"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("missing post: %v", err)
		}
		inTx(func(tx *store.Tx) error {
			ok, err := tx.FinishGitHubPost(ctx, "ticket:1", 17)
			want("finish post", ok, err, true)
			ok, err = tx.FinishGitHubPost(ctx, "ticket:1", 18)
			want("finish post again", ok, err, false)
			ok, err = tx.SetGitHubIssueNumber(ctx, ticket.ID, 17)
			want("set issue", ok, err, true)
			ok, err = tx.SetGitHubIssueNumber(ctx, ticket.ID, 18)
			want("replace issue", ok, err, false)
			return nil
		})
		if p, _ := s.GitHubPost(ctx, "ticket:1"); p.GitHubID == nil || *p.GitHubID != 17 || p.PostedAt == nil {
			t.Errorf("finished post = %+v", p)
		}
		if got, err := s.TicketByGitHubIssue(ctx, 17); err != nil || got.ID != ticket.ID || *got.GitHubIssueNumber != 17 {
			t.Errorf("ticket by issue = %+v, %v", got, err)
		}
		if _, err := s.TicketByGitHubIssue(ctx, 18); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unlinked issue: %v", err)
		}
		if got, err := s.Message(ctx, msg.ID); err != nil || got.Body != "b" || got.Source != model.SourcePortal {
			t.Errorf("message = %+v, %v", got, err)
		}

		// Comments act once.
		inTx(func(tx *store.Tx) error {
			c := model.GitHubComment{CommentID: 3_000_000_001, TicketID: ticket.ID, Outcome: model.GitHubCommentSent, MessageID: &msg.ID}
			ok, err := tx.RecordGitHubComment(ctx, c)
			want("record comment", ok, err, true)
			c.Outcome = model.GitHubCommentNote
			ok, err = tx.RecordGitHubComment(ctx, c)
			want("record comment again", ok, err, false)
			return nil
		})
		if c, err := s.GitHubComment(ctx, 3_000_000_001); err != nil || c.Outcome != model.GitHubCommentSent || *c.MessageID != msg.ID {
			t.Errorf("comment = %+v, %v", c, err)
		}

		// Issue states move forward only.
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		inTx(func(tx *store.Tx) error {
			ok, err := tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusClosed, t0.Add(time.Minute))
			want("first state", ok, err, true)
			ok, err = tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusOpen, t0)
			want("older state", ok, err, false)
			ok, err = tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusOpen, t0.Add(time.Minute))
			want("same second", ok, err, true)
			// The same change again (a redelivery, or the webhook echoing a
			// change portico made and recorded) is no change.
			ok, err = tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusOpen, t0.Add(time.Minute))
			want("same state, same second", ok, err, false)
			ok, err = tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusOpen, t0.Add(2*time.Minute))
			want("same state, later", ok, err, true)
			return nil
		})
	})
}
