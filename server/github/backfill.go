package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// The backfill (issue 16): tickets that have no issue, because they were
// filed while the sync was off or because their issue job gave up, get one
// when the sync is on again, with their customers' replies as comments in
// order and the ticket's state. One durable job per ticket does it step by
// step; github_posts is its ledger (the issue under ticket:N, each reply
// under message:M), so a job that crashed or was snoozed by a rate limit
// resumes where it stopped and nothing is posted twice. Erased tickets are
// never backfilled.

// BackfillArgs opens the issue of a ticket, then comments each message of
// MessageIDs in order (the keys it took over when it was queued), then
// brings the issue to the ticket's state. Adopt says an issue job ran
// before, which may have opened the issue before it gave up: the job looks
// for it first.
type BackfillArgs struct {
	TicketID   int64   `json:"ticket_id" river:"unique"`
	MessageIDs []int64 `json:"message_ids,omitempty"`
	Adopt      bool    `json:"adopt,omitempty"`
}

// Kind names the job for River.
func (BackfillArgs) Kind() string { return "github.backfill" }

// InsertOpts make a ticket's backfill unique while it is unfinished: two
// backfills started at once (two admins, the command and the button) queue
// one job per ticket.
func (BackfillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// errQueuedMeanwhile rolls back the queuing of a ticket that another
// backfill queued since this one looked.
var errQueuedMeanwhile = errors.New("github: the ticket's backfill was queued meanwhile")

// BackfillOptions narrow a backfill.
type BackfillOptions struct {
	// Limit is the most tickets queued, 0 to MaxBackfillLimit; 0 queues all.
	Limit int
	// DryRun says what would be queued and queues nothing.
	DryRun bool
}

// BackfillTicket is a ticket a backfill queued (or would queue).
type BackfillTicket struct {
	ID        int64
	Reference string
	// Comments is how many customer replies become comments.
	Comments int
	// Closed: the issue is closed after them, as the ticket is.
	Closed bool
}

// BackfillResult says what a backfill queued.
type BackfillResult struct {
	DryRun bool
	Queued []BackfillTicket
	// Comments is the sum of the queued tickets' comments.
	Comments int
	// InProgress counts tickets without an issue that a job is already
	// working on (a new ticket's issue job, or an earlier backfill).
	InProgress int
	// Erased counts erased tickets without an issue: never backfilled.
	Erased int64
	// Left counts the tickets beyond Limit, for the next run.
	Left int
}

// BackfillStatus says how many tickets have no issue.
type BackfillStatus struct {
	// Enabled: the sync is on, so a backfill can run.
	Enabled bool
	// Missing counts the tickets a backfill would queue now.
	Missing int
	// InProgress and Erased are as in BackfillResult.
	InProgress int
	Erased     int64
}

// ErrBackfillDesk means the desk setting sends new tickets to Discussions,
// while the backfill opens issues.
var ErrBackfillDesk error = &model.ConflictError{Reason: "the backfill opens issues, and new tickets go to GitHub Discussions: " +
	`set the desk to issues (PUT /support/admin/settings/github {"desk":"issues"}) to backfill`}

// MaxBackfillLimit bounds BackfillOptions.Limit only to refuse nonsense early.
const MaxBackfillLimit = 1_000_000

// CheckBackfillLimit is the one rule for a backfill's limit, which the
// command line also applies before it opens the database: model.FieldErrors
// on "limit" when out of range.
func CheckBackfillLimit(n int) error {
	if n < 0 || n > MaxBackfillLimit {
		return model.FieldErrors{"limit": "must be a whole number from 1 to 1,000,000, or 0 (or left out) for every ticket"}
	}
	return nil
}

// BackfillStatus counts the tickets without an issue; it works with the
// sync off too (they are what a backfill will do once it is on).
func (s *Service) BackfillStatus(ctx context.Context) (BackfillStatus, error) {
	ids, erased, err := s.store.TicketsWithoutIssue(ctx, discussionKeyPrefix) // a ticket on a discussion needs no issue
	if err != nil {
		return BackfillStatus{}, err
	}
	busy, err := s.underWay(ctx)
	if err != nil {
		return BackfillStatus{}, err
	}
	st := BackfillStatus{Enabled: s.Enabled(), Erased: erased}
	for _, id := range ids {
		if busy[id] {
			st.InProgress++
		} else {
			st.Missing++
		}
	}
	return st, nil
}

// Backfill queues a backfill job for each ticket that has no issue, is not
// erased and has no job working on it, oldest first; model.FieldErrors for
// a limit out of range, ErrSyncOff when the sync is off. Each ticket is queued in a transaction of its own: the keys
// it takes over, the jobs it replaces (cancelled) and its job commit
// together. Running it again queues nothing for a ticket queued already.
func (s *Service) Backfill(ctx context.Context, o BackfillOptions) (BackfillResult, error) {
	if err := CheckBackfillLimit(o.Limit); err != nil {
		return BackfillResult{}, err
	}
	if !s.Enabled() {
		return BackfillResult{}, ErrSyncOff
	}
	// Opening issues for old tickets while new ones go to Discussions would
	// split the desk against the admin's choice: refused, and said so.
	if d, err := s.Desk(ctx); err != nil {
		return BackfillResult{}, err
	} else if d.Mode == settings.DeskDiscussions {
		return BackfillResult{}, ErrBackfillDesk
	}
	ids, erased, err := s.store.TicketsWithoutIssue(ctx, discussionKeyPrefix) // a ticket on a discussion needs no issue
	if err != nil {
		return BackfillResult{}, err
	}
	busy, err := s.underWay(ctx)
	if err != nil {
		return BackfillResult{}, err
	}
	res := BackfillResult{DryRun: o.DryRun, Erased: erased}
	for _, id := range ids {
		if busy[id] {
			res.InProgress++
			continue
		}
		if o.Limit > 0 && len(res.Queued) >= o.Limit {
			res.Left++
			continue
		}
		bt, ok, err := s.queueBackfill(ctx, id, o.DryRun)
		if errors.Is(err, errQueuedMeanwhile) {
			res.InProgress++
			continue
		}
		if err != nil {
			return res, fmt.Errorf("github: backfill %s: %w", model.Reference(id), err)
		}
		if ok {
			res.Queued = append(res.Queued, bt)
			res.Comments += bt.Comments
		}
	}
	s.log.InfoContext(ctx, "github backfill", "queued", len(res.Queued), "comments", res.Comments, "in_progress", res.InProgress,
		"erased", res.Erased, "left", res.Left, "dry_run", o.DryRun)
	return res, nil
}

// Backfilling returns the tickets whose backfill job has not finished.
func (s *Service) Backfilling(ctx context.Context) (map[int64]bool, error) {
	list, err := s.jobs.Unfinished(ctx, BackfillArgs{}.Kind())
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, j := range list {
		var a BackfillArgs
		if json.Unmarshal(j.Args, &a) == nil {
			out[a.TicketID] = true
		}
	}
	return out, nil
}

// underWay returns the tickets whose issue (or discussion) is on its way: a
// ticket.created still to be published, an issue or discussion job or a
// backfill not finished.
func (s *Service) underWay(ctx context.Context) (map[int64]bool, error) {
	publish := events.PublishArgs{}.Kind()
	list, err := s.jobs.Unfinished(ctx, publish, CreateIssueArgs{}.Kind(), CreateDiscussionArgs{}.Kind(), BackfillArgs{}.Kind())
	if err != nil {
		return nil, err
	}
	busy := map[int64]bool{}
	for _, j := range list {
		if j.Kind == publish {
			// With the sync off nothing subscribes: the event opens no issue.
			var p events.PublishArgs
			if s.Enabled() && json.Unmarshal(j.Args, &p) == nil && p.Event.Kind == events.TicketCreated {
				busy[p.Event.TicketID] = true
			}
			continue
		}
		var a struct {
			TicketID int64 `json:"ticket_id"`
		}
		if json.Unmarshal(j.Args, &a) == nil {
			busy[a.TicketID] = true
		}
	}
	return busy, nil
}

// mirrored are the messages of a timeline that GitHub shows as comments: the
// customers' replies by portal or mail after the first message (the issue's
// body), not erased ones (emptied).
func mirrored(msgs []model.Message) []model.Message {
	var out []model.Message
	for i, m := range msgs {
		if i > 0 && m.Direction == model.DirectionInbound && (m.Source == model.SourcePortal || m.Source == model.SourceEmail) &&
			strings.TrimSpace(m.Body) != "" {
			out = append(out, m)
		}
	}
	return out
}

// queueBackfill queues the backfill of one ticket; false when it got its
// issue meanwhile. The job takes over the keys of replies not posted yet:
// their own jobs, which wait for an issue, are cancelled in the same
// transaction so that nothing posts twice. Other keys left unposted (a
// reopen notice, a state change: the backfill sets the state itself) are
// released, their jobs cancelled too. A key is queued with its job in one
// transaction, so every job waiting on a key seen here is listed after it.
func (s *Service) queueBackfill(ctx context.Context, ticketID int64, dryRun bool) (BackfillTicket, bool, error) {
	msgs, err := s.store.Messages(ctx, ticketID)
	if err != nil {
		return BackfillTicket{}, false, err
	}
	if dryRun {
		t, err := s.store.Ticket(ctx, ticketID)
		if err != nil || t.GitHubIssueNumber != nil {
			return BackfillTicket{}, false, err
		}
		posts, err := s.store.GitHubPosts(ctx, ticketID)
		if err != nil {
			return BackfillTicket{}, false, err
		}
		posted := map[string]bool{}
		for _, p := range posts {
			posted[p.Key] = p.PostedAt != nil
		}
		bt := BackfillTicket{ID: t.ID, Reference: t.Reference, Closed: t.Status == model.StatusClosed}
		for _, m := range mirrored(msgs) {
			if !posted[messageKey(m.ID)] {
				bt.Comments++
			}
		}
		return bt, true, nil
	}
	var bt BackfillTicket
	queued := false
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.TicketTx(ctx, ticketID)
		if err != nil || t.GitHubIssueNumber != nil {
			return err
		}
		posts, err := tx.GitHubPostsOfTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		unposted := map[string]bool{}
		posted := map[string]bool{}
		for _, p := range posts {
			if p.Key == discussionKey(ticketID) {
				return nil // on a discussion: no issue needed
			}
			unposted[p.Key] = p.PostedAt == nil
			posted[p.Key] = p.PostedAt != nil
		}
		if err := s.cancelWaiting(ctx, tx, ticketID, unposted); err != nil {
			return err
		}
		_, hadIssueKey := unposted[issueKey(ticketID)]
		args := BackfillArgs{TicketID: ticketID, Adopt: hadIssueKey}
		taken := map[string]bool{}
		for _, m := range mirrored(msgs) {
			key := messageKey(m.ID)
			switch {
			case posted[key]:
				continue
			case !unposted[key]:
				// Not seen: queue it now, unless a reply's own job queued it
				// meanwhile (that job posts it).
				first, err := tx.QueueGitHubPost(ctx, key, ticketID)
				if err != nil {
					return err
				}
				if !first {
					continue
				}
			}
			args.MessageIDs = append(args.MessageIDs, m.ID)
			taken[key] = true
		}
		for key, waiting := range unposted {
			if waiting && key != issueKey(ticketID) && !taken[key] {
				if _, err := tx.DeleteGitHubPost(ctx, key); err != nil {
					return err
				}
			}
		}
		if _, err := tx.QueueGitHubPost(ctx, issueKey(ticketID), ticketID); err != nil {
			return err
		}
		inserted, err := s.jobs.InsertUnique(ctx, tx.SQL(), args)
		if err != nil {
			return err
		}
		if !inserted {
			return errQueuedMeanwhile
		}
		bt = BackfillTicket{ID: t.ID, Reference: t.Reference, Comments: len(args.MessageIDs), Closed: t.Status == model.StatusClosed}
		queued = true
		return nil
	})
	if errors.Is(err, errQueuedMeanwhile) {
		return BackfillTicket{}, false, err
	}
	return bt, queued, err
}

// cancelWaiting cancels, in tx, the unfinished jobs of the ticket that wait
// for its issue to post under one of the keys seen unposted.
func (s *Service) cancelWaiting(ctx context.Context, tx *store.Tx, ticketID int64, unposted map[string]bool) error {
	list, err := s.jobs.UnfinishedTx(ctx, tx.SQL(), PostCommentArgs{}.Kind(), IssueStateArgs{}.Kind())
	if err != nil {
		return err
	}
	for _, j := range list {
		var a struct {
			TicketID int64  `json:"ticket_id"`
			Key      string `json:"key"`
		}
		if json.Unmarshal(j.Args, &a) != nil || a.TicketID != ticketID || !unposted[a.Key] {
			continue
		}
		if err := s.jobs.CancelTx(ctx, tx.SQL(), j.ID); err != nil {
			return err
		}
	}
	return nil
}

func keysOf(messageIDs []int64) []string {
	keys := make([]string, len(messageIDs))
	for i, id := range messageIDs {
		keys[i] = messageKey(id)
	}
	return keys
}

// backfill runs BackfillArgs: the issue, each comment in order, the state.
// Every step is recorded as it is done, so a retry (a crash, a GitHub error,
// a rate limit that snoozed the job) starts at the first step not done.
func (s *Service) backfill(ctx context.Context, job *river.Job[BackfillArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	t, err := s.store.Ticket(ctx, a.TicketID)
	if err != nil {
		return gone(err)
	}
	erased, err := s.store.TicketErased(ctx, t.ID)
	if err != nil {
		return gone(err)
	}
	if erased {
		// Erased after it was queued: nothing of it goes to GitHub. The keys
		// are released so that the redaction does not wait for them.
		s.log.InfoContext(ctx, "github backfill skipped: the ticket was erased", "ticket", t.Reference)
		return s.release(ctx, append([]string{issueKey(t.ID)}, keysOf(a.MessageIDs)...))
	}
	issue, fresh, err := s.backfillIssue(ctx, t, a.Adopt || job.Attempt > 1)
	if err != nil {
		return err
	}
	// Comments an earlier try made, by marker; read once, and only if the
	// issue is not brand new.
	var earlier map[string]int64
	posted := 0
	for _, id := range a.MessageIDs {
		key := messageKey(id)
		post, err := s.store.GitHubPost(ctx, key)
		if errors.Is(err, model.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if post.PostedAt != nil {
			continue
		}
		m, err := s.store.Message(ctx, id)
		if err != nil {
			return err
		}
		if strings.TrimSpace(m.Body) == "" {
			// Erased meanwhile (a participant's data): no comment.
			if err := s.release(ctx, []string{key}); err != nil {
				return err
			}
			continue
		}
		if earlier == nil && !fresh {
			if earlier, err = s.client.OwnComments(ctx, issue); err != nil {
				return s.retry(ctx, err)
			}
		}
		cid := earlier[marker(key)]
		if cid == 0 {
			files, err := s.fileLinks(ctx, m.ID)
			if err != nil {
				return err
			}
			if cid, err = s.client.CreateComment(ctx, issue, replyComment(m, files)); err != nil {
				return s.retry(ctx, err)
			}
		}
		if err := s.store.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.FinishGitHubPost(ctx, key, cid)
			return err
		}); err != nil {
			return err
		}
		posted++
	}
	if err := s.queueStragglers(ctx, t.ID); err != nil {
		return err
	}
	// The state as it is now: the ticket may have changed while the job
	// waited.
	if t, err = s.store.Ticket(ctx, t.ID); err != nil {
		return gone(err)
	}
	if err := s.syncIssueState(ctx, t); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "github backfill done", "ticket", t.Reference, "issue", issue, "comments", posted, "status", t.Status)
	return nil
}

// queueStragglers gives a customer's reply that has no key yet its own
// comment job, as onReplyCreated does: one that came in while the backfill
// was queued may have found no issue key then.
func (s *Service) queueStragglers(ctx context.Context, ticketID int64) error {
	msgs, err := s.store.Messages(ctx, ticketID)
	if err != nil {
		return err
	}
	posts, err := s.store.GitHubPosts(ctx, ticketID)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, p := range posts {
		known[p.Key] = true
	}
	for _, m := range mirrored(msgs) {
		if key := messageKey(m.ID); !known[key] {
			if err := s.queuePost(ctx, key, ticketID, PostCommentArgs{TicketID: ticketID, Key: key, MessageID: m.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// backfillIssue opens the ticket's issue unless it has one; look asks to
// look first for one an earlier job opened. fresh: opened now, so it has no
// comments yet.
func (s *Service) backfillIssue(ctx context.Context, t model.Ticket, look bool) (issue int64, fresh bool, err error) {
	if t.GitHubIssueNumber != nil {
		return *t.GitHubIssueNumber, false, nil
	}
	key := issueKey(t.ID)
	if look {
		if issue, err = s.client.FindIssue(ctx, marker(key), t.CreatedAt.Add(-lookBack)); err != nil {
			return 0, false, s.retry(ctx, err)
		}
	}
	if issue == 0 {
		src, err := s.issueSource(ctx, t.ID, 0)
		if err != nil {
			return 0, false, gone(err)
		}
		if issue, err = s.client.CreateIssue(ctx, issueTitle(src.Ticket), issueBody(src), issueLabels(src.Ticket)); err != nil {
			return 0, false, s.retry(ctx, err)
		}
		fresh = true
		s.log.InfoContext(ctx, "github issue opened by the backfill", "ticket", t.Reference, "issue", issue)
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		// The key is queued again if something released it meanwhile.
		if _, err := tx.QueueGitHubPost(ctx, key, t.ID); err != nil {
			return err
		}
		if _, err := tx.SetGitHubIssueNumber(ctx, t.ID, issue); err != nil {
			return err
		}
		_, err := tx.FinishGitHubPost(ctx, key, issue)
		return err
	})
	return issue, fresh, err
}

// release forgets keys that will not be posted.
func (s *Service) release(ctx context.Context, keys []string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		for _, key := range keys {
			if _, err := tx.DeleteGitHubPost(ctx, key); err != nil {
				return err
			}
		}
		return nil
	})
}

// OwnComments returns the ids of portico's own comments on an issue by
// their marker line (the first 1,000 comments).
func (c *Client) OwnComments(ctx context.Context, issue int64) (map[string]int64, error) {
	out := map[string]int64{}
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxListPages; page++ {
		comments, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, int(issue), opts)
		if err != nil {
			return nil, fmt.Errorf("github: list comments of #%d: %w", issue, err)
		}
		for _, cm := range comments {
			body := strings.TrimLeft(cm.GetBody(), " \t\r\n")
			if isOwnPost(body) {
				line, _, _ := strings.Cut(body, "\n")
				out[strings.TrimSpace(line)] = cm.GetID()
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}
