// Package github makes GitHub Issues the agents' desk. Each ticket becomes an
// issue and each customer reply a comment on it (durable jobs, idempotent,
// patient with rate limits); the webhook turns agents' comments into mails
// (/send, /sendall, /reply <name>) or internal notes, and closing or
// reopening the issue closes or reopens the ticket, and the other way round.
// Tickets that have no issue (filed while the sync was off, or whose issue
// job gave up) get one from the backfill.
//
// Service decides and has no HTTP types in its API; Handler is the Fiber
// endpoint in front of it.
package github

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/jobs"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

// Options are what the service works with.
type Options struct {
	// Client says how to reach GitHub; an empty Repository switches the
	// sync off (the webhook then ignores every event).
	Client  ClientOptions
	Store   *store.Store
	Tickets Tickets
	Jobs    Jobs
	// Desk is the runtime desk setting: issues or discussions (nil: issues).
	Desk DeskSettings
	Log  *slog.Logger
	// Now is the clock rate-limit waits are measured with (default time.Now).
	Now func() time.Time
	// Links signs the links to attachments that posts list; nil: posts
	// name files without links.
	Links FileSigner
}

// Jobs is the durable job queue: the sync enqueues its jobs with the change
// that causes them, and the backfill asks which jobs are still under way
// (and cancels those it takes over).
type Jobs interface {
	tickets.Enqueuer
	InsertUnique(ctx context.Context, tx *sql.Tx, args jobs.UniqueArgs) (bool, error)
	Unfinished(ctx context.Context, kinds ...string) ([]jobs.Unfinished, error)
	UnfinishedTx(ctx context.Context, tx *sql.Tx, kinds ...string) ([]jobs.Unfinished, error)
	CancelTx(ctx context.Context, tx *sql.Tx, id int64) error
}

// Service syncs tickets to GitHub and acts on GitHub's webhooks.
type Service struct {
	client  *Client // nil: sync off
	repo    string
	store   *store.Store
	tickets Tickets
	jobs    Jobs
	log     *slog.Logger
	now     func() time.Time
	links   FileSigner

	perms      permissionCache
	visibility visibilityCache
	desk       DeskSettings
	categories categoryCache
}

// New builds the service; with a repository configured it also builds the
// client, and a wrong setting is an error that names it.
func New(o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{repo: o.Client.Repository, store: o.Store, tickets: o.Tickets, jobs: o.Jobs, log: o.Log, now: o.Now, links: o.Links, desk: o.Desk}
	if o.Client.Repository == "" {
		return s, nil
	}
	var err error
	if s.client, err = NewClient(o.Client); err != nil {
		return nil, err
	}
	return s, nil
}

// Enabled reports whether a repository is configured.
func (s *Service) Enabled() bool { return s.client != nil }

// Register adds the service's job workers to the registry (always, so that
// jobs queued before the sync was switched off are still worked: they are
// cancelled) and, when the sync is on, subscribes to ticket events.
func (s *Service) Register(workers *river.Workers, bus *events.Bus) {
	river.AddWorker(workers, &worker[CreateIssueArgs]{work: s.createIssue})
	river.AddWorker(workers, &worker[PostCommentArgs]{work: s.postComment})
	river.AddWorker(workers, &worker[ReactArgs]{work: s.react})
	river.AddWorker(workers, &worker[CommentEventArgs]{work: s.commentEvent})
	river.AddWorker(workers, &worker[IssueEventArgs]{work: s.issueEvent})
	river.AddWorker(workers, &worker[RedactArgs]{work: s.redact})
	river.AddWorker(workers, &worker[IssueStateArgs]{work: s.issueState})
	river.AddWorker(workers, &worker[BackfillArgs]{work: s.backfill})
	s.registerDiscussions(workers, bus)
	s.registerRatings(workers)
	if s.Enabled() {
		bus.Subscribe(events.TicketCreated, s.onTicketCreatedDesk)
		bus.Subscribe(events.ReplyCreated, s.onReplyCreated)
		bus.Subscribe(events.TicketClosed, s.onStateChanged)
		bus.Subscribe(events.TicketReopened, s.onStateChanged)
	}
}

// worker runs one kind of job with a method of the service.
type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	work func(ctx context.Context, job *river.Job[T]) error
}

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error { return w.work(ctx, job) }

// The jobs. Each is enqueued in the transaction that causes it.

// CreateIssueArgs opens the issue of a ticket.
type CreateIssueArgs struct {
	TicketID  int64 `json:"ticket_id"`
	MessageID int64 `json:"message_id"`
}

// Kind names the job for River.
func (CreateIssueArgs) Kind() string { return "github.create_issue" }

// PostCommentArgs comments on a ticket's issue: a customer's reply
// (MessageID) or a notice (Body). Key is the comment's github_posts key.
type PostCommentArgs struct {
	TicketID  int64  `json:"ticket_id"`
	Key       string `json:"key"`
	MessageID int64  `json:"message_id,omitempty"`
	Body      string `json:"body,omitempty"`
}

// Kind names the job for River.
func (PostCommentArgs) Kind() string { return "github.post_comment" }

// ReactArgs reacts to an agent's comment (🚀 once a reply went out).
type ReactArgs struct {
	CommentID int64  `json:"comment_id"`
	Content   string `json:"content"`
}

// Kind names the job for River.
func (ReactArgs) Kind() string { return "github.react" }

// CommentEventArgs is an issue_comment.created webhook, as much of it as
// acting on the comment needs.
type CommentEventArgs struct {
	Delivery    string `json:"delivery"`
	IssueNumber int64  `json:"issue_number"`
	IssueTitle  string `json:"issue_title"`
	IssueURL    string `json:"issue_url"`
	CommentID   int64  `json:"comment_id"`
	Body        string `json:"body"`
	Login       string `json:"login"`
	Association string `json:"author_association"`
	// AppID is the GitHub App the comment was made through (0: none).
	AppID int64 `json:"app_id,omitempty"`
}

// Kind names the job for River.
func (CommentEventArgs) Kind() string { return "github.comment_event" }

// IssueEventArgs is an issues.closed or issues.reopened webhook.
type IssueEventArgs struct {
	Delivery    string    `json:"delivery"`
	IssueNumber int64     `json:"issue_number"`
	Closed      bool      `json:"closed"`
	ClosedAt    time.Time `json:"closed_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Kind names the job for River.
func (IssueEventArgs) Kind() string { return "github.issue_event" }

// ErrSyncOff means the GitHub sync is off: no repository is configured.
var ErrSyncOff error = &model.ConflictError{Reason: "the GitHub sync is off: set PORTICO_GITHUB_REPOSITORY (with " +
	"PORTICO_GITHUB_TOKEN or a GitHub App) and restart portico"}

// retry turns a GitHub error into the job's answer: a rate limit snoozes the
// job until GitHub says (it is not counted as an attempt); anything else is
// retried with backoff.
func (s *Service) retry(ctx context.Context, err error) error {
	if wait, ok := rateLimitWait(err, s.now()); ok {
		s.log.WarnContext(ctx, "github rate limit; job snoozed", "wait", wait.Round(time.Second), "err", err)
		return river.JobSnooze(wait)
	}
	return err
}

// gone cancels a job whose ticket or message no longer exists.
func gone(err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// Events → jobs.

// onTicketCreated queues the ticket's issue, once however often the event
// is published.
func (s *Service) onTicketCreated(ctx context.Context, e events.Event) error {
	return s.queuePost(ctx, issueKey(e.TicketID), e.TicketID, CreateIssueArgs{TicketID: e.TicketID, MessageID: e.MessageID})
}

// onReplyCreated queues the comment that shows a customer's reply (portal
// or email) on the ticket's issue. Tickets filed while the sync was off have
// no issue and get no comments.
func (s *Service) onReplyCreated(ctx context.Context, e events.Event) error {
	t, m, ok, err := s.customerReply(ctx, e.MessageID)
	if errors.Is(err, model.ErrNotFound) || (err == nil && !ok) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.store.GitHubPost(ctx, issueKey(t.ID)); errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.queuePost(ctx, messageKey(m.ID), t.ID, PostCommentArgs{TicketID: t.ID, Key: messageKey(m.ID), MessageID: m.ID})
}

// queuePost records the post under key and enqueues its job in one
// transaction, unless the key was queued before.
func (s *Service) queuePost(ctx context.Context, key string, ticketID int64, job river.JobArgs) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return s.queuePostTx(ctx, tx, key, ticketID, job)
	})
}

func (s *Service) queuePostTx(ctx context.Context, tx *store.Tx, key string, ticketID int64, job river.JobArgs) error {
	first, err := tx.QueueGitHubPost(ctx, key, ticketID)
	if err != nil || !first {
		return err
	}
	return s.jobs.Enqueue(ctx, tx.SQL(), job)
}

// lookBack is how far before its own record a retried post looks for what
// an earlier try may have posted (GitHub's clock may differ from ours).
const lookBack = time.Hour

// createIssue opens the ticket's issue. A retry first looks for an issue
// carrying the ticket's marker, which an earlier try may have opened even
// though GitHub answered with an error (a 502 after the fact), so a ticket
// never gets two issues.
func (s *Service) createIssue(ctx context.Context, job *river.Job[CreateIssueArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	key := issueKey(a.TicketID)
	_, finished, err := s.posted(ctx, key)
	if finished || err != nil {
		return err
	}
	src, err := s.issueSource(ctx, a.TicketID, a.MessageID)
	if err != nil {
		return gone(err)
	}
	var number int64
	if src.Ticket.GitHubIssueNumber != nil {
		number = *src.Ticket.GitHubIssueNumber
	}
	if number == 0 && job.Attempt > 1 {
		if number, err = s.client.FindIssue(ctx, marker(key), src.Ticket.CreatedAt.Add(-lookBack)); err != nil {
			return s.retry(ctx, err)
		}
	}
	if number == 0 {
		if number, err = s.client.CreateIssue(ctx, issueTitle(src.Ticket), issueBody(src), issueLabels(src.Ticket)); err != nil {
			return s.retry(ctx, err)
		}
		s.log.InfoContext(ctx, "github issue opened", "ticket", src.Ticket.Reference, "issue", number)
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.SetGitHubIssueNumber(ctx, a.TicketID, number); err != nil {
			return err
		}
		_, err := tx.FinishGitHubPost(ctx, key, number)
		return err
	})
}

// postComment comments on a ticket's issue; a retry first looks for the
// comment an earlier try may have made.
func (s *Service) postComment(ctx context.Context, job *river.Job[PostCommentArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	a := job.Args
	post, finished, err := s.posted(ctx, a.Key)
	if finished || err != nil {
		return err
	}
	_, issue, err := s.issueOf(ctx, a.TicketID)
	if err != nil {
		return err
	}
	body := a.Body
	if a.MessageID != 0 {
		m, err := s.store.Message(ctx, a.MessageID)
		if err != nil {
			return gone(err)
		}
		files, err := s.fileLinks(ctx, m.ID)
		if err != nil {
			return err
		}
		body = replyComment(m, files)
	}
	var id int64
	if job.Attempt > 1 {
		if id, err = s.client.FindComment(ctx, issue, marker(a.Key), post.CreatedAt.Add(-lookBack)); err != nil {
			return s.retry(ctx, err)
		}
	}
	if id == 0 {
		if id, err = s.client.CreateComment(ctx, issue, body); err != nil {
			return s.retry(ctx, err)
		}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FinishGitHubPost(ctx, a.Key, id)
		return err
	})
}

// react adds a reaction to an agent's comment; a deleted comment gets none.
func (s *Service) react(ctx context.Context, job *river.Job[ReactArgs]) error {
	if !s.Enabled() {
		return river.JobCancel(ErrSyncOff)
	}
	err := s.client.React(ctx, job.Args.CommentID, job.Args.Content)
	if notFound(err) {
		s.log.InfoContext(ctx, "github comment gone; no reaction", "comment", job.Args.CommentID)
		return nil
	}
	if err != nil {
		return s.retry(ctx, err)
	}
	return nil
}
