package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/jobs"
	"github.com/portico/portico/server/store"
)

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test.ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	seen chan int
}

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	w.seen <- job.Args.N
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newQueue(t *testing.T, s *store.Store, workers *jobs.Workers) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(jobs.Options{DB: s.WriteDB(), Dialect: string(s.Dialect()), Workers: workers, Logger: quiet(), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func countJobs(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.WriteDB().QueryRow("SELECT count(*) FROM river_job").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A job enqueued in a transaction that rolls back never exists.
func TestRolledBackTransactionLeavesNoJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := dbtest.Open(t, d, nil)
		q := newQueue(t, s, nil)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := q.Enqueue(ctx, tx.SQL(), pingArgs{N: 1}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if n := countJobs(t, s); n != 0 {
			t.Fatalf("%d jobs after rollback, want 0", n)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return q.Enqueue(ctx, tx.SQL(), pingArgs{N: 2}) }); err != nil {
			t.Fatal(err)
		}
		if n := countJobs(t, s); n != 1 {
			t.Fatalf("%d jobs after commit, want 1", n)
		}
	})
}

// A job committed by a process that dies before working it runs when the
// next process starts on the same database.
func TestCommittedJobRunsAfterRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		dsn := dbtest.DSN(t, d)

		// First life: commit a job, never start workers, close everything.
		first := dbtest.OpenDSN(t, d, dsn, nil)
		q1 := newQueue(t, first, nil)
		if err := first.InTx(ctx, func(tx *store.Tx) error { return q1.Enqueue(ctx, tx.SQL(), pingArgs{N: 42}) }); err != nil {
			t.Fatal(err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}

		// Second life: the job is worked.
		second := dbtest.OpenDSN(t, d, dsn, nil)
		w := &pingWorker{seen: make(chan int, 1)}
		workers := jobs.NewWorkers()
		river.AddWorker(workers, w)
		q2 := newQueue(t, second, workers)
		if err := q2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q2.Stop(ctx)
		select {
		case n := <-w.seen:
			if n != 42 {
				t.Fatalf("worked job %d, want 42", n)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("job committed before the restart never ran")
		}
	})
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test.slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started chan struct{}
	done    atomic.Bool
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	close(w.started)
	time.Sleep(300 * time.Millisecond)
	w.done.Store(true)
	return nil
}

// Stop lets a running job finish before returning.
func TestStopWaitsForRunningJob(t *testing.T) {
	ctx := context.Background()
	s := dbtest.Open(t, store.SQLite, nil)
	w := &slowWorker{started: make(chan struct{})}
	workers := jobs.NewWorkers()
	river.AddWorker(workers, w)
	q := newQueue(t, s, workers)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return q.Enqueue(ctx, tx.SQL(), slowArgs{}) }); err != nil {
		t.Fatal(err)
	}
	<-w.started
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := q.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if !w.done.Load() {
		t.Fatal("Stop returned before the running job finished")
	}
}
