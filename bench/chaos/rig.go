package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portico/portico/bench/internal/harness"
	"github.com/portico/portico/server/github/githubtest"
)

// hugeLimit keeps the rate limits out of the figures: every request comes
// from 127.0.0.1, and a 429 is not a fault.
const hugeLimit = "1000000000/1h"

// start builds the server and starts it with everything it depends on.
func (r *rig) start(ctx context.Context, rep *report) error {
	var err error
	if r.dir, err = os.MkdirTemp("", "portico-chaos-"); err != nil {
		return err
	}
	// The tools first: a machine without them skips before the build.
	if _, err := postgresBin(); err != nil {
		return err
	}
	if r.redis, err = startRedis(ctx, r.dir); err != nil {
		return err
	}
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	rep.commit = shortCommit(harness.TreeCommit(ctx, root))
	r.logf("building the server (%s)", rep.commit)
	bin, err := harness.Build(ctx, r.dir, "")
	if err != nil {
		return err
	}
	if r.pg, err = startCluster(ctx, r.logf); err != nil {
		return err
	}
	if r.db, err = sql.Open("postgres", r.pg.url("portico")); err != nil {
		return err
	}
	if r.sink, err = harness.StartMailSink(); err != nil {
		return fmt.Errorf("mail sink: %w", err)
	}
	r.github = githubtest.New("acme/support")

	addr, err := harness.FreeAddr()
	if err != nil {
		return err
	}
	r.inboundSecret = harness.RandomHex(16)
	r.log = harness.NewLogFilter(os.Stderr, "chaos: ")
	r.srvOpt = harness.ServerOptions{Bin: bin, Dir: r.dir, Addr: addr, Output: r.log, Env: []string{
		"PORTICO_BASE_URL=http://" + addr,
		"PORTICO_DATABASE_URL=" + r.pg.url("portico"),
		"PORTICO_REDIS_URL=" + r.redis.url(),
		"PORTICO_MAIL_URL=" + r.sink.URL(),
		"PORTICO_MAIL_FROM=Support <" + serverMail + ">",
		"PORTICO_SECRET_KEY=" + harness.RandomHex(32),
		"PORTICO_ADMIN_EMAIL=admin@example.com",
		"PORTICO_ADMIN_PASSWORD=" + harness.RandomHex(12),
		"PORTICO_GITHUB_REPOSITORY=" + r.github.Repository(),
		"PORTICO_GITHUB_TOKEN=" + r.github.Token,
		"PORTICO_GITHUB_API_URL=" + r.github.URL(),
		"PORTICO_WIDGET_LIMIT_PER_EMAIL=" + hugeLimit,
		"PORTICO_WIDGET_LIMIT_PER_IP=" + hugeLimit,
		"PORTICO_MAIL_LIMIT_PER_RECIPIENT=" + hugeLimit,
		"PORTICO_LOG_LEVEL=warn",
		"PORTICO_INBOUND_SECRET=" + r.inboundSecret,
	}}
	r.logf("starting the server on %s (PostgreSQL, Redis, SMTP sink, fake GitHub)", addr)
	r.srv, err = harness.StartServer(ctx, r.srvOpt)
	return err
}

// close stops whatever start started, the server first.
func (r *rig) close() error {
	var errs []error
	if r.srv != nil {
		select {
		case <-r.srv.Exited():
		default:
			errs = append(errs, r.srv.Stop())
		}
	}
	if r.log != nil {
		r.log.Close()
	}
	if r.github != nil {
		r.github.Close()
	}
	if r.sink != nil {
		r.sink.Close()
	}
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	if r.pg != nil {
		errs = append(errs, r.pg.stop())
	}
	if r.redis != nil {
		errs = append(errs, r.redis.stop())
	}
	if r.dir != "" {
		errs = append(errs, os.RemoveAll(r.dir))
	}
	return errors.Join(errs...)
}

// killed is what a kill left behind, for the window (see windowMails).
type killed struct {
	f         *fault
	pending   []string  // Message-IDs of the mails not marked sent at the kill
	restarted time.Time // when the new process was started
	rescued   int64
}

// kill sends SIGKILL to the server and starts it again. Between the two it
// does what River's rescuer would do after RescueStuckJobsAfter (5
// minutes, server/jobs): jobs the dead process was running are handed out
// again. Before that it reads which mails were not marked sent, for the
// at-least-once window (windowMails).
func (r *rig) kill(ctx context.Context, f *fault) error {
	f.start = time.Now()
	r.logf("%s", f.label)
	defer func() { f.end = time.Now() }()
	if err := r.srv.Kill(); err != nil {
		return err
	}
	k := killed{f: f}
	err := retry(ctx, func() error {
		var err error
		k.pending, err = queryStrings(ctx, r.db, `SELECT email_message_id FROM outbound_mails WHERE status = 'pending'`)
		return err
	})
	if err != nil {
		return err
	}
	err = retry(ctx, func() error {
		res, err := r.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
		if err == nil {
			k.rescued, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return err
	}
	k.restarted = time.Now()
	r.kills = append(r.kills, k)
	r.srv, err = harness.StartServer(ctx, r.srvOpt)
	return err
}

// windowMails are the mails allowed a second copy: those the SMTP server
// had accepted from a process that was then killed before it marked them
// sent. The rescued job sends them again (docs/DECISIONS.md; the crash test
// allows the same). A mail not marked sent at a kill that arrived before the
// next process started can only have come from the killed one. It also
// notes each kill's rescued jobs and window.
func (r *rig) windowMails(arrivals map[string][]time.Time) map[string]bool {
	window := map[string]bool{}
	for _, k := range r.kills {
		n := 0
		for _, id := range k.pending {
			// A mail still pending at a later kill is that kill's no more.
			if at := arrivals[id]; len(at) > 0 && at[0].Before(k.restarted) && !window[id] {
				window[id] = true
				n++
			}
		}
		k.f.notes = append(k.f.notes, fmt.Sprintf("%d jobs were running and were handed out again; %d mails in the at-least-once window", k.rescued, n))
	}
	return window
}

func (r *rig) restartPostgres(ctx context.Context, f *fault) error {
	f.start = time.Now()
	r.logf("%s", f.label)
	err := r.pg.restartFast(ctx)
	f.end = time.Now()
	return err
}

// restoreRedis starts Redis again (empty) and notes when the server wrote
// to it again: until then its limiter counts in memory.
func (r *rig) restoreRedis(ctx context.Context, f *fault) error {
	if err := r.redis.start(ctx); err != nil {
		return err
	}
	f.end = time.Now()
	r.bg.Go(func() {
		took, ok := r.redis.inUse(ctx, 30*time.Second)
		if ok {
			f.notes = append(f.notes, fmt.Sprintf("the server wrote to Redis again %.1f s after it was back", took.Seconds()))
		} else {
			f.notes = append(f.notes, fmt.Sprintf("the server had not written to Redis %.0f s after it was back", took.Seconds()))
		}
	})
	return nil
}

// countedKinds are the jobs that make what the run counts: the events that
// queue mails and GitHub posts, the mails, the issues and comments.
const countedKinds = `'events.publish', 'mail.deliver', 'github.create_issue', 'github.post_comment'`

// drain waits until every mail is sent and every GitHub post made, and no
// job that makes them is due, running or waiting for a retry. It says what
// was left when it gave up, and what else the queue still held (workflow
// actions retrying a label on GitHub, say), which the run does not count.
func (r *rig) drain(ctx context.Context, timeout time.Duration) (took time.Duration, done bool, left, others string) {
	start := time.Now()
	const unfinished = `state IN ('available', 'running', 'retryable', 'scheduled', 'pending') AND kind <> 'privacy.purge'`
	lastLog := start
	for {
		var rows []string
		err := retry(ctx, func() error {
			var err error
			rows, err = queryStrings(ctx, r.db, `SELECT kind || ' ' || state || ': ' || count(*) FROM river_job
				WHERE `+unfinished+` AND kind IN (`+countedKinds+`) GROUP BY kind, state
				UNION ALL SELECT 'mails pending: ' || count(*) FROM outbound_mails WHERE status = 'pending' HAVING count(*) > 0
				UNION ALL SELECT 'GitHub posts not made: ' || count(*) FROM github_posts WHERE posted_at IS NULL HAVING count(*) > 0`)
			return err
		})
		switch {
		case err != nil:
			left = err.Error()
		case len(rows) == 0:
			took = time.Since(start)
			// Room for a late duplicate to arrive.
			time.Sleep(time.Second)
			rest, err := queryStrings(ctx, r.db, `SELECT kind || ' ' || state || ': ' || count(*) FROM river_job
				WHERE `+unfinished+` GROUP BY kind, state ORDER BY kind, state`)
			if err != nil {
				return took, true, "", err.Error()
			}
			return took, true, "", strings.Join(rest, ", ")
		default:
			left = strings.Join(rows, ", ")
		}
		if time.Since(start) > timeout || ctx.Err() != nil {
			return time.Since(start), false, left, ""
		}
		if time.Since(lastLog) > 10*time.Second {
			r.logf("still queued: %s", left)
			lastLog = time.Now()
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// retry runs f until it succeeds, up to ten times: the first query after a
// PostgreSQL restart may meet a connection the restart closed.
func retry(ctx context.Context, f func() error) error {
	var err error
	for range 10 {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// shortCommit is `git rev-parse --short HEAD`'s length, "-dirty" kept.
func shortCommit(c string) string {
	if len(c) >= 40 {
		return c[:7] + c[40:]
	}
	return c
}
