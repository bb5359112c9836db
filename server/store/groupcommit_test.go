package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// On SQLite, transactions that wait for the writer run together in one
// commit: each in its own savepoint, so one caller's failure undoes only its
// own writes, and each caller returns after the commit that holds them.
func TestGroupCommit(t *testing.T) {
	s := dbtest.Open(t, store.SQLite, nil)
	ctx := context.Background()

	// The first transaction holds the writer until the others are queued,
	// so that they share the next batch.
	release := make(chan struct{})
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.InTx(ctx, func(tx *store.Tx) error {
			close(started)
			<-release
			return tx.PutSetting(ctx, "first", "1")
		})
	}()
	<-started
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.PutSetting(ctx, fmt.Sprintf("k%d", i), "v"); err != nil {
					return err
				}
				if i == 7 {
					return errors.New("caller 7 changed its mind")
				}
				return nil
			})
		})
	}
	// A caller that gives up before its turn is skipped.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.InTx(gone, func(tx *store.Tx) error { return tx.PutSetting(ctx, "gone", "1") }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		_, got := s.Setting(ctx, fmt.Sprintf("k%d", i))
		switch {
		case i == 7 && (err == nil || !errors.Is(got, model.ErrNotFound)):
			t.Errorf("failing caller: err %v, its write %v; want its error and no write", err, got)
		case i != 7 && (err != nil || got != nil):
			t.Errorf("caller %d: err %v, read back %v", i, err, got)
		}
	}
	if _, err := s.Setting(ctx, "gone"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("the cancelled caller's write: %v", err)
	}

	// Nested calls still join the caller's transaction.
	err := s.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return s.InTx(ctx, func(inner *store.Tx) error {
			if inner != tx {
				return errors.New("a nested call opened its own transaction")
			}
			return nil
		})
	})
	if err != nil {
		t.Error(err)
	}

	// After Close, no transaction starts.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(*store.Tx) error { return nil }); err == nil {
		t.Error("a transaction ran on a closed store")
	}
}
