// Package jobs is the durable job queue (River on PostgreSQL or SQLite). A job
// is inserted in the same transaction as the change that causes it, so a
// rollback leaves no job and a commit leaves one that survives a crash.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Workers collects the job workers before the queue starts.
type Workers = river.Workers

// NewWorkers returns an empty worker registry.
func NewWorkers() *Workers { return river.NewWorkers() }

// Options configures a Queue.
type Options struct {
	DB *sql.DB
	// Dialect is "sqlite" or "postgres".
	Dialect string
	// Workers may be nil for an insert-only queue (tools, tests).
	Workers *Workers
	Logger  *slog.Logger
	// MaxWorkers is the number of jobs run at once (default 50: most jobs
	// wait on a network peer, SMTP or GitHub, rather than on the CPU).
	MaxWorkers int
	// PollInterval is how often idle workers look for new jobs (default 250ms;
	// database/sql drivers have no LISTEN/NOTIFY, so workers poll).
	PollInterval time.Duration
	// RetryPolicy overrides the queue's backoff (RetryPolicy: attempt⁴
	// seconds, capped at 30 s for the first six failures); tests use a fast
	// one.
	RetryPolicy river.ClientRetryPolicy
	// PeriodicJobs are inserted on a schedule by whichever instance River
	// elected leader (ignored by an insert-only queue).
	PeriodicJobs []*river.PeriodicJob
}

// Queue inserts and runs jobs.
type Queue struct {
	client  *river.Client[*sql.Tx]
	working bool
	dialect string
}

func driverFor(db *sql.DB, dialect string) (riverdriver.Driver[*sql.Tx], error) {
	switch dialect {
	case "sqlite":
		return riversqlite.New(db), nil
	case "postgres":
		return riverdatabasesql.New(db), nil
	}
	return nil, fmt.Errorf("jobs: unknown dialect %q", dialect)
}

// Migrate creates or updates River's own tables.
func Migrate(ctx context.Context, db *sql.DB, dialect string, logger *slog.Logger) error {
	driver, err := driverFor(db, dialect)
	if err != nil {
		return err
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// New builds a queue; Start begins working it.
func New(opts Options) (*Queue, error) {
	driver, err := driverFor(opts.DB, opts.Dialect)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = 50
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	cfg := &river.Config{
		Logger:            opts.Logger,
		FetchPollInterval: opts.PollInterval,
		// A busy queue fetches again this soon after a batch; with no
		// LISTEN/NOTIFY on database/sql this bounds how fast a backlog
		// drains (MaxWorkers jobs per cooldown).
		FetchCooldown: min(opts.PollInterval, 20*time.Millisecond),
		// A job's side effect may be a remote call; one stuck for longer is
		// cancelled and retried with backoff.
		JobTimeout: 2 * time.Minute,
		// A job left "running" by a crashed process is handed out again
		// after this (River's default is JobTimeout + 1 hour: a customer
		// would wait an hour for a confirmation caught in a crash).
		RescueStuckJobsAfter: 5 * time.Minute,
		RetryPolicy:          opts.RetryPolicy,
	}
	if cfg.RetryPolicy == nil {
		cfg.RetryPolicy = &RetryPolicy{}
	}
	working := opts.Workers != nil
	if working {
		cfg.Workers = opts.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}}
		cfg.PeriodicJobs = opts.PeriodicJobs
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	return &Queue{client: client, working: working, dialect: opts.Dialect}, nil
}

// Enqueue inserts a job inside tx; it runs only if tx commits.
//
// A job without insert options (nearly all of them: one per change) is
// written with one prepared INSERT of the row River would write, in the
// queue's default state. River's own insert encodes every batch as JSON
// that the database unpacks (json_each on SQLite, arrays on PostgreSQL),
// handles unique jobs and returns the row: under load that was a third of
// a widget ticket's cost. Jobs with options (a schedule, a limit of
// attempts) go through River.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	if _, custom := args.(river.JobArgsWithInsertOpts); !custom {
		if err := q.insertPlain(ctx, tx, args); err != nil {
			return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
		}
		return nil
	}
	if _, err := q.client.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// UniqueArgs are the args of a job River keeps unique (InsertOpts names
// UniqueOpts).
type UniqueArgs interface {
	river.JobArgs
	river.JobArgsWithInsertOpts
}

// InsertUnique inserts inside tx a job whose args ask River for uniqueness
// (InsertOpts with UniqueOpts) and reports whether it was inserted: false
// when an equal job is there already, in the states UniqueOpts names. River's
// unique index decides, so two transactions racing insert one job.
func (q *Queue) InsertUnique(ctx context.Context, tx *sql.Tx, args UniqueArgs) (bool, error) {
	res, err := q.client.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// The row of a job in River's table as River inserts it (state available,
// queue default, priority 1, River's default attempts, empty metadata and
// tags); timestamps on SQLite in River's text format.
const (
	plainInsertSQLite = `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
		VALUES (jsonb(?), ?, ?, ?, jsonb('{}'), 1, 'default', ?, 'available', jsonb('[]'))`
	plainInsertPostgres = `INSERT INTO river_job (args, kind, max_attempts) VALUES ($1, $2, $3)`
	// riverTimeSQLite is how River writes times on SQLite; other formats
	// store fine and then compare wrongly.
	riverTimeSQLite = "2006-01-02 15:04:05.000"
)

// insertPlain writes the row in tx. The text is constant: on SQLite the
// store's connections keep it prepared (store/stmtcache.go); on PostgreSQL
// parsing it is cheap. (Preparing it on the pool instead would wait for
// SQLite's one write connection, which tx holds.)
func (q *Queue) insertPlain(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	encoded, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode args: %w", err)
	}
	if q.dialect == "sqlite" {
		now := time.Now().UTC().Round(time.Millisecond).Format(riverTimeSQLite)
		_, err = tx.ExecContext(ctx, plainInsertSQLite, string(encoded), now, args.Kind(), river.MaxAttemptsDefault, now)
	} else {
		_, err = tx.ExecContext(ctx, plainInsertPostgres, string(encoded), args.Kind(), river.MaxAttemptsDefault)
	}
	return err
}

// Unfinished is a job that has not finished yet: waiting, scheduled
// (snoozed), retrying or running.
type Unfinished struct {
	ID   int64
	Kind string
	Args []byte
}

// Unfinished lists the jobs of these kinds that have not finished, oldest
// first. A job that gave up (discarded), was cancelled or completed is not
// listed; River deletes those after a while anyway, so whether work is
// still under way is asked this way, never by looking for a failed job.
func (q *Queue) Unfinished(ctx context.Context, kinds ...string) ([]Unfinished, error) {
	return q.unfinished(ctx, kinds, q.client.JobList)
}

// UnfinishedTx is Unfinished inside tx: it sees the jobs tx inserted, and
// those committed before each page is read.
func (q *Queue) UnfinishedTx(ctx context.Context, tx *sql.Tx, kinds ...string) ([]Unfinished, error) {
	return q.unfinished(ctx, kinds, func(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error) {
		return q.client.JobListTx(ctx, tx, p)
	})
}

func (q *Queue) unfinished(ctx context.Context, kinds []string,
	list func(context.Context, *river.JobListParams) (*river.JobListResult, error)) ([]Unfinished, error) {
	params := river.NewJobListParams().Kinds(kinds...).First(1000).States(
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled)
	var out []Unfinished
	for {
		res, err := list(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: list unfinished %v: %w", kinds, err)
		}
		for _, j := range res.Jobs {
			out = append(out, Unfinished{ID: j.ID, Kind: j.Kind, Args: j.EncodedArgs})
		}
		if len(res.Jobs) < 1000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

// CancelTx cancels a job inside tx: one that waits never runs, one running
// now is not retried. A job that is gone or finished is left as it is.
func (q *Queue) CancelTx(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := q.client.JobCancelTx(ctx, tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	return nil
}

// Start begins working jobs in the background.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return errors.New("jobs: queue has no workers")
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop waits for running jobs to finish; when ctx ends first, running jobs are
// cancelled (and retried later, since they did not complete).
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hardCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if hardErr := q.client.StopAndCancel(hardCtx); hardErr != nil {
			return fmt.Errorf("jobs: stop and cancel: %w", hardErr)
		}
		return nil
	}
	return fmt.Errorf("jobs: stop: %w", err)
}
