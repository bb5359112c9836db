package attachments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// SweepArgs is the job that removes files on disk whose rows are gone.
type SweepArgs struct{}

// Kind names the job for River.
func (SweepArgs) Kind() string { return "attachments.sweep" }

// SweepWorker runs the sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	svc *Service
}

// NewSweepWorker returns the worker of SweepArgs jobs.
func NewSweepWorker(s *Service) *SweepWorker { return &SweepWorker{svc: s} }

// Work runs one sweep; a file that cannot be removed fails the job, which
// River retries, and its removal stays queued.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.svc.Sweep(ctx)
	return err
}

// SweepEvery is how often the sweep runs besides after each erasure: it
// catches removals whose job gave up, and uploads left half-read by a crash.
const SweepEvery = time.Hour

// PeriodicSweep is the periodic sweep job (every interval, SweepEvery when
// zero, and at start-up), run by one instance.
func PeriodicSweep(interval time.Duration) *river.PeriodicJob {
	if interval <= 0 {
		interval = SweepEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// staleUpload is how old a staged upload must be to count as left behind
// (no request reads for that long).
const staleUpload = time.Hour

// Sweep removes the files of queued removals and forgets each once it is
// gone (a file already missing counts as gone), then staged uploads older
// than an hour. It returns how many files it removed.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	removed := 0
	for {
		keys, err := s.store.AttachmentRemovals(ctx, 100)
		if err != nil {
			return removed, err
		}
		if len(keys) == 0 {
			break
		}
		for _, key := range keys {
			p, err := s.path(key)
			if err == nil {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					return removed, fmt.Errorf("attachments: remove %s: %w", key, err)
				}
				removed++
			}
			if err := s.store.AttachmentRemoved(ctx, key); err != nil {
				return removed, err
			}
		}
	}
	if removed > 0 {
		s.log.InfoContext(ctx, "attachments: removed erased files", "files", removed)
	}
	s.sweepStaged(ctx)
	return removed, nil
}

// sweepStaged removes uploads a crash left half-read in the staging folder
// (disk mode only: elsewhere the folder is the system's).
func (s *Service) sweepStaged(ctx context.Context) {
	if s.stagingDir() == os.TempDir() {
		return
	}
	entries, err := os.ReadDir(s.stagingDir())
	if err != nil {
		s.log.WarnContext(ctx, "attachments: cannot list staged uploads", "err", err)
		return
	}
	cutoff := s.now().Add(-staleUpload)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "upload-") {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(s.stagingDir(), e.Name()))
		}
	}
}
