package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/portico/portico/server/logmask"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// Redactor replaces what GitHub shows of erased data with a redaction notice.
// Both methods run inside the erasure's transaction and only enqueue durable
// jobs there, so the edits happen if and only if the erasure commits.
type Redactor interface {
	// RedactTicket edits the ticket's issue (title and body) and every
	// comment portico posted on it.
	RedactTicket(ctx context.Context, tx *store.Tx, ticketID int64) error
	// RedactMessages edits the comments that mirrored these messages of the
	// ticket (a participant's replies on someone else's ticket).
	RedactMessages(ctx context.Context, tx *store.Tx, ticketID int64, messageIDs []int64) error
}

// FileSweeper removes files on disk whose rows an erasure deleted: it
// enqueues that job in the erasure's transaction.
type FileSweeper interface {
	QueueSweep(ctx context.Context, tx *store.Tx) error
}

// Deps are what the service works with.
type Deps struct {
	Store    *store.Store
	Settings *settings.Service
	// Redactor edits GitHub; nil: nothing is mirrored anywhere.
	Redactor Redactor
	// Files removes erased uploads from disk; nil: none are kept there.
	Files FileSweeper
	Log   *slog.Logger
	// Now is the clock of the retention purge (default time.Now).
	Now func() time.Time
}

// Service exports and erases the personal data of contacts, and purges
// tickets closed for longer than the purge_closed_after setting.
type Service struct {
	store    *store.Store
	settings *settings.Service
	redactor Redactor
	files    FileSweeper
	log      *slog.Logger
	now      func() time.Time
}

// New returns the privacy service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{store: d.Store, settings: d.Settings, redactor: d.Redactor, files: d.Files, log: d.Log, now: d.Now}
}

// Actors that are not an admin's email.
const (
	// ActorAPIToken is a host app calling with PORTICO_ADMIN_API_TOKEN.
	ActorAPIToken = "api token"
	// ActorRetention is the retention purge.
	ActorRetention = "retention"
)

func detail(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// maskActor keeps an admin's address out of the log.
func maskActor(actor string) string {
	if actor == ActorAPIToken || actor == ActorRetention {
		return actor
	}
	return logmask.MaskEmail(actor)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("privacy: %s: %w", what, err)
}
