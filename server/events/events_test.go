package events_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/portico/portico/server/events"
)

func TestBusFansOutAndJoinsErrors(t *testing.T) {
	bus := events.NewBus(slog.New(slog.DiscardHandler))
	var got []string
	bus.Subscribe(events.TicketCreated, func(ctx context.Context, e events.Event) error {
		got = append(got, "a")
		return errors.New("a failed")
	})
	bus.Subscribe(events.TicketCreated, func(ctx context.Context, e events.Event) error {
		got = append(got, "b")
		return nil
	})
	bus.Subscribe(events.ReplyCreated, func(ctx context.Context, e events.Event) error {
		t.Error("reply handler called for ticket.created")
		return nil
	})
	err := bus.Publish(context.Background(), events.Job(events.TicketCreated, 7, 0, time.Now()).Event)
	if err == nil || len(got) != 2 {
		t.Fatalf("Publish = %v, handlers run %v; want both run and the error returned", err, got)
	}
}
