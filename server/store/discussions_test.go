package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// TestGitHubDiscussionBookkeeping: a ticket's discussion is linked once,
// found by number; posts keep their node id; an agent's discussion comment
// is recorded once; the redaction targets are the discussion's posts only.
func TestGitHubDiscussionBookkeeping(t *testing.T) {
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

		if _, err := s.TicketByGitHubDiscussion(ctx, 7); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unlinked discussion: %v", err)
		}
		if _, err := s.GitHubDiscussionOfTicket(ctx, ticket.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("ticket without discussion: %v", err)
		}
		key := "discussion:" + ticket.Reference
		inTx(func(tx *store.Tx) error {
			ok, err := tx.QueueGitHubPost(ctx, key, ticket.ID)
			want("queue", ok, err, true)
			ok, err = tx.LinkGitHubDiscussion(ctx, ticket.ID, 7, "D_1")
			want("link", ok, err, true)
			ok, err = tx.LinkGitHubDiscussion(ctx, ticket.ID, 8, "D_2")
			want("link again", ok, err, false)
			ok, err = tx.FinishGitHubNodePost(ctx, key, 7, "D_1")
			want("finish", ok, err, true)
			ok, err = tx.FinishGitHubNodePost(ctx, key, 8, "D_2")
			want("finish again", ok, err, false)
			_, err = tx.QueueGitHubPost(ctx, "discussion-message:1", ticket.ID)
			if err != nil {
				return err
			}
			_, err = tx.QueueGitHubPost(ctx, "message:1", ticket.ID)
			return err
		})
		if got, err := s.TicketByGitHubDiscussion(ctx, 7); err != nil || got.ID != ticket.ID {
			t.Errorf("ticket of discussion #7 = %+v, %v", got, err)
		}
		if got, err := s.GitHubDiscussionOfTicket(ctx, ticket.ID); err != nil || got.Number != 7 || got.NodeID != "D_1" || !got.CreatedAt.Equal(clk.now()) {
			t.Errorf("discussion of the ticket = %+v, %v", got, err)
		}
		if p, err := s.GitHubNodePost(ctx, key); err != nil || p.NodeID == nil || *p.NodeID != "D_1" || *p.GitHubID != 7 || p.PostedAt == nil {
			t.Errorf("node post = %+v, %v", p, err)
		}

		c := model.GitHubDiscussionComment{CommentID: 550062, NodeID: "DC_1", TicketID: ticket.ID, Outcome: model.GitHubCommentNote, MessageID: &msg.ID}
		inTx(func(tx *store.Tx) error {
			ok, err := tx.RecordGitHubDiscussionComment(ctx, c)
			want("record comment", ok, err, true)
			ok, err = tx.RecordGitHubDiscussionComment(ctx, c)
			want("record comment again", ok, err, false)
			return nil
		})
		if got, err := s.GitHubDiscussionComment(ctx, 550062); err != nil || got.NodeID != "DC_1" || got.Outcome != "note" || *got.MessageID != msg.ID {
			t.Errorf("comment = %+v, %v", got, err)
		}
		// An issue comment with the same id is another thing.
		if _, err := s.GitHubComment(ctx, 550062); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the discussion comment was found as an issue comment: %v", err)
		}

		posts, agents, err := s.DiscussionRedactionTargets(ctx, ticket.ID)
		if err != nil || len(posts) != 2 || posts[0].Key != "discussion-message:1" && posts[1].Key != "discussion-message:1" ||
			len(agents) != 1 || agents[0] != "DC_1" {
			t.Errorf("redaction targets = %+v %v, %v", posts, agents, err)
		}

		if _, _, err := s.GitHubIssueState(ctx, ticket.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("no state yet: %v", err)
		}
		at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		inTx(func(tx *store.Tx) error {
			_, err := tx.AdvanceGitHubIssueState(ctx, ticket.ID, model.StatusClosed, at)
			return err
		})
		if state, changed, err := s.GitHubIssueState(ctx, ticket.ID); err != nil || state != "closed" || changed != at.Unix() {
			t.Errorf("state = %s %d, %v", state, changed, err)
		}
	})
}
