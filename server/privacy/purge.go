package privacy

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// PurgeBatch is how many tickets the purge looks up at a time. Each ticket is
// erased in a transaction of its own, so no lock is held for longer than one
// ticket takes.
const PurgeBatch = 100

// Purged is what one purge run did.
type Purged struct {
	Tickets  int
	Contacts int
}

// Purge erases every ticket closed for longer than purge_closed_after (off:
// nothing happens), in batches, one short transaction per ticket. A contact
// left with only erased tickets is erased too (its address and name become
// the pseudonym); what it wrote on others' tickets goes with those tickets'
// own purge. A ticket reopened meanwhile is skipped. Stopping half-way loses
// nothing: the next run carries on.
func (s *Service) Purge(ctx context.Context) (Purged, error) {
	var done Purged
	p, err := s.settings.Privacy(ctx)
	if err != nil {
		return done, err
	}
	after := p.PurgeAfter
	if after <= 0 {
		return done, nil
	}
	period := validate.FormatRetention(after)
	cutoff := s.now().Add(-after)
	actor := ActorRetention
	for {
		ids, err := s.store.PurgeCandidates(ctx, cutoff, PurgeBatch)
		if err != nil {
			return done, err
		}
		if len(ids) == 0 {
			break
		}
		erased := 0
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return done, err
			}
			var ticketErased, contactErased bool
			err := s.store.InTx(ctx, func(tx *store.Tx) error {
				t, e, ok, err := s.eraseTicket(ctx, tx, id, &cutoff)
				if err != nil || !ok {
					return err
				}
				ticketErased = true
				if err := tx.AddPrivacyAudit(ctx, store.AuditEntry{Action: AuditPurge, ContactID: t.ContactID, TicketID: &t.ID,
					Actor: actor, Detail: detail(map[string]any{"purge_closed_after": period, "erased": Erased(e)})}); err != nil {
					return err
				}
				if t.ContactID == nil {
					return nil
				}
				if n, err := tx.CountLiveTickets(ctx, *t.ContactID); err != nil || n > 0 {
					return err
				}
				c, first, err := tx.MarkContactErased(ctx, *t.ContactID)
				if err != nil || !first {
					return err
				}
				if _, err := tx.PseudonymizeContact(ctx, c, ContactPseudonym(c.ID)); err != nil {
					return err
				}
				contactErased = true
				return tx.AddPrivacyAudit(ctx, store.AuditEntry{Action: AuditErase, ContactID: &c.ID, Actor: actor,
					Detail: detail(map[string]any{"reason": "every ticket of the contact was purged"})})
			})
			if err != nil {
				return done, wrap("purge "+model.Reference(id), err)
			}
			if ticketErased {
				done.Tickets++
				erased++
			}
			if contactErased {
				done.Contacts++
			}
		}
		// Candidates that could not be erased (reopened meanwhile) no longer
		// match; a batch that erased nothing means none are left.
		if erased == 0 {
			break
		}
	}
	if done.Tickets > 0 {
		s.log.InfoContext(ctx, "retention purge", "tickets", done.Tickets, "contacts", done.Contacts,
			"purge_closed_after", period)
	}
	return done, nil
}

// PurgeArgs is the daily purge job.
type PurgeArgs struct{}

// Kind names the job for River.
func (PurgeArgs) Kind() string { return "privacy.purge" }

// PurgeWorker runs the purge.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	svc *Service
}

// NewPurgeWorker returns the worker of PurgeArgs jobs.
func NewPurgeWorker(s *Service) *PurgeWorker { return &PurgeWorker{svc: s} }

// Work runs one purge.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	_, err := w.svc.Purge(ctx)
	return err
}

// Timeout lets a purge with a large backlog run longer than ordinary jobs;
// one cut short carries on at its next run.
func (w *PurgeWorker) Timeout(*river.Job[PurgeArgs]) time.Duration { return 30 * time.Minute }

// PurgeEvery is how often the purge runs.
const PurgeEvery = 24 * time.Hour

// PeriodicPurge is the periodic job that runs the purge every interval
// (PurgeEvery when zero) and once at start-up. River runs periodic jobs on
// one instance only (its elected leader).
func PeriodicPurge(interval time.Duration) *river.PeriodicJob {
	if interval <= 0 {
		interval = PurgeEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
