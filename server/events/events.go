// Package events is the in-process event bus that workflows subscribe to.
// Events are published by a durable job (PublishArgs), enqueued in the same
// transaction as the change they describe, so a crash between the commit and
// the publication loses nothing. Handlers may see an event more than once (a
// failed handler makes the job retry) and must be idempotent.
package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// Event kinds.
const (
	TicketCreated  = "ticket.created"
	ReplyCreated   = "reply.created"
	TicketClosed   = "ticket.closed"
	TicketReopened = "ticket.reopened"
	// TicketPriorityChanged is published when a ticket's priority changes.
	TicketPriorityChanged = "ticket.priority_changed"
)

// Kinds lists every event kind, in the order admins see them.
var Kinds = []string{TicketCreated, ReplyCreated, TicketClosed, TicketReopened, TicketPriorityChanged}

// Who wrote a reply (Event.Author of reply.created).
const (
	AuthorCustomer = "customer"
	AuthorAgent    = "agent"
)

// Event says what happened to which ticket.
type Event struct {
	// ID is random and set by Job: a subscriber that sees an event twice
	// (the publishing job retried) recognises it by its ID.
	ID        string    `json:"id,omitempty"`
	Kind      string    `json:"kind"`
	TicketID  int64     `json:"ticket_id"`
	MessageID int64     `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
	// Author is the side that wrote a reply.created: customer or agent.
	Author string `json:"author,omitempty"`
	// Depth counts the workflow runs that led to this event (0: a person
	// or a customer did it); workflows stop acting on deep chains so that
	// rules cannot trigger each other forever.
	Depth int `json:"depth,omitempty"`
}

// Handler reacts to an event.
type Handler func(ctx context.Context, e Event) error

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.RWMutex
	subs map[string][]Handler
	log  *slog.Logger
}

// NewBus returns a bus with no subscribers.
func NewBus(log *slog.Logger) *Bus {
	return &Bus{subs: map[string][]Handler{}, log: log}
}

// Subscribe registers h for events of kind.
func (b *Bus) Subscribe(kind string, h Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[kind] = append(b.subs[kind], h)
}

// Publish calls every subscriber of e.Kind in order and returns their errors
// joined; one failing subscriber does not stop the others.
func (b *Bus) Publish(ctx context.Context, e Event) error {
	b.mu.RLock()
	handlers := b.subs[e.Kind]
	b.mu.RUnlock()
	var errs []error
	for _, h := range handlers {
		if err := h(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events: %s for ticket %d: %w", e.Kind, e.TicketID, err)
	}
	b.log.DebugContext(ctx, "event published", "kind", e.Kind, "ticket_id", e.TicketID, "subscribers", len(handlers))
	return nil
}

// PublishArgs is the durable job that carries out one event: it sends the
// mails queued with it (Mails, ids of outbound mails), then publishes the
// event to the subscribers. One job per change, not one per effect: on
// SQLite every job costs writes on the one writer.
type PublishArgs struct {
	Event Event   `json:"event"`
	Mails []int64 `json:"mails,omitempty"`
}

// Kind names the job for River.
func (PublishArgs) Kind() string { return "events.publish" }

// MailDeliverer sends a mail queued with an event. It hands a mail that
// cannot be sent now to a job of its own and returns an error only when the
// event's job should be retried (the database failed); a mail it sent or
// handed off before is skipped when the job runs again.
type MailDeliverer interface {
	DeliverQueued(ctx context.Context, outboundID int64) error
}

// PublishWorker runs PublishArgs jobs.
type PublishWorker struct {
	river.WorkerDefaults[PublishArgs]
	bus   *Bus
	mails MailDeliverer
}

// NewPublishWorker returns the worker that feeds the bus and sends the
// mails queued with events.
func NewPublishWorker(bus *Bus, mails MailDeliverer) *PublishWorker {
	return &PublishWorker{bus: bus, mails: mails}
}

// Work sends the job's mails, then publishes its event. The mails go
// first: a confirmation should not wait for a subscriber's GitHub call.
func (w *PublishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	for _, id := range job.Args.Mails {
		if err := w.mails.DeliverQueued(ctx, id); err != nil {
			return fmt.Errorf("events: mail %d of %s: %w", id, job.Args.Event.Kind, err)
		}
	}
	return w.bus.Publish(ctx, job.Args.Event)
}

// WithMails adds queued outbound mails for the event's job to send.
func (a PublishArgs) WithMails(ids ...int64) PublishArgs {
	a.Mails = append(a.Mails, ids...)
	return a
}

// Job returns the job that publishes e; enqueue it in the transaction that
// made e happen.
func Job(kind string, ticketID, messageID int64, at time.Time) PublishArgs {
	var id [12]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return PublishArgs{Event: Event{ID: hex.EncodeToString(id[:]), Kind: kind, TicketID: ticketID, MessageID: messageID, At: at}}
}

// By sets the author side of a reply.created (AuthorCustomer, AuthorAgent).
func (a PublishArgs) By(author string) PublishArgs {
	a.Event.Author = author
	return a
}

// AtDepth sets how many workflow runs led to the event: 0 for what people
// do, one more than the run's own event for a workflow action's change.
func (a PublishArgs) AtDepth(d int) PublishArgs {
	a.Event.Depth = d
	return a
}
