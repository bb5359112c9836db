package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit on SQLite.
//
// SQLite has one writer, and the store gives it one connection. Under load
// every request and job queued for that connection, and each paid for a
// whole transaction: BEGIN, its statements, COMMIT, with every page it
// touched written to the WAL again (the tickets table, its indexes, the job
// table...) and the connection handed from goroutine to goroutine. Now the
// transactions that wait are run together: one goroutine owns the batch,
// begins one transaction, runs each caller's function in a savepoint of its
// own and commits once. A caller's function that fails rolls back to its
// savepoint, and only that caller gets the error; the others commit. Each
// caller returns only after the commit that holds its writes, with that
// commit's error if it fails. With one caller at a time a batch is that one
// transaction, as before.
//
// PostgreSQL runs transactions side by side and is left alone.

// maxBatch bounds the callers in one transaction, so that one commit does
// not make the first of them wait for too many others.
const maxBatch = 64

type txRequest struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	err  error
	done chan struct{}
}

type committer struct {
	s        *Store
	requests chan *txRequest
	stop     chan struct{}
	stopOnce sync.Once
	stopped  sync.WaitGroup
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, requests: make(chan *txRequest), stop: make(chan struct{})}
	c.stopped.Add(1)
	go c.run()
	return c
}

// errStoreClosed answers a transaction asked for after Close.
var errStoreClosed = errors.New("store: closed")

// do runs fn in the next batch and returns its outcome.
func (c *committer) do(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case c.requests <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errStoreClosed
	}
	// Once taken, the request is seen through: its outcome is the commit's.
	<-req.done
	return req.err
}

func (c *committer) close() {
	c.stopOnce.Do(func() { close(c.stop) })
	c.stopped.Wait()
}

func (c *committer) run() {
	defer c.stopped.Done()
	batch := make([]*txRequest, 0, maxBatch)
	for {
		select {
		case req := <-c.requests:
			batch = append(batch[:0], req)
		case <-c.stop:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case req := <-c.requests:
				batch = append(batch, req)
			default:
				break gather
			}
		}
		c.commit(batch)
	}
}

// commit runs one batch in one transaction.
func (c *committer) commit(batch []*txRequest) {
	defer func() {
		for _, req := range batch {
			close(req.done)
		}
	}()
	// The batch's own statements must not be cut short by one caller's
	// cancellation: on SQLite an interrupted write rolls back the whole
	// transaction, the other callers' writes with it. A caller already
	// gone when its turn comes is skipped.
	sqltx, err := c.s.write.BeginTxx(context.Background(), nil)
	if err != nil {
		for _, req := range batch {
			req.err = fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	tx := &Tx{tx: sqltx, s: c.s, now: c.s.now()}
	live := 0
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.err = err
			continue
		}
		ctx := context.WithValue(context.WithoutCancel(req.ctx), txKey{}, tx)
		if req.err = tx.nested(ctx, req.fn); req.err == nil {
			live++
		} else if errors.Is(req.err, errTxLost) {
			// The error ended the transaction itself (SQLite rolls back on
			// some, such as a full disk): nobody's writes survive it.
			for _, other := range batch {
				if other.err == nil {
					other.err = fmt.Errorf("store: the transaction was rolled back: %w", req.err)
				}
			}
			_ = sqltx.Rollback()
			return
		}
	}
	if live == 0 {
		_ = sqltx.Rollback()
		return
	}
	err = sqltx.Commit()
	if tx.settingsWritten {
		c.s.settingsCommitted()
	}
	if err != nil {
		for _, req := range batch {
			if req.err == nil {
				req.err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
}
