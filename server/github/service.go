// Package github makes GitHub Issues the agents' desk. Each ticket becomes an
// issue and each customer reply a comment on it (durable jobs, idempotent,
// patient with rate limits); the webhook turns agents' comments into mails
// (/send, /sendall, /reply <name>) or internal notes, and closing or
// reopening the issue closes or reopens the ticket.
//
// Service decides and has no HTTP types in its API; Handler is the Fiber
// endpoint in front of it.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/events"
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
	Jobs    tickets.Enqueuer
	Log     *slog.Logger
	// Now is the clock rate-limit waits are measured with (default time.Now).
	Now func() time.Time
}

// Service syncs tickets to GitHub and acts on GitHub's webhooks.
type Service struct {
	client  *Client // nil: sync off
	repo    string
	store   *store.Store
	tickets Tickets
	jobs    tickets.Enqueuer
	log     *slog.Logger
	now     func() time.Time

	perms      permissionCache
	visibility visibilityCache
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
	s := &Service{repo: o.Client.Repository, store: o.Store, tickets: o.Tickets, jobs: o.Jobs, log: o.Log, now: o.Now}
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
	if s.Enabled() {
		bus.Subscribe(events.TicketCreated, s.onTicketCreated)
		bus.Subscribe(events.ReplyCreated, s.onReplyCreated)
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

var errSyncOff = errors.New("github: sync is off (PORTICO_GITHUB_REPOSITORY is empty)")

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
		return river.JobCancel(errSyncOff)
	}
	a := job.Args
	key := issueKey(a.TicketID)
	post, err := s.store.GitHubPost(ctx, key)
	if err != nil {
		return gone(err)
	}
	if post.PostedAt != nil {
		return nil
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
		return river.JobCancel(errSyncOff)
	}
	a := job.Args
	post, err := s.store.GitHubPost(ctx, a.Key)
	if err != nil {
		return gone(err)
	}
	if post.PostedAt != nil {
		return nil
	}
	t, err := s.store.Ticket(ctx, a.TicketID)
	if err != nil {
		return gone(err)
	}
	if t.GitHubIssueNumber == nil {
		// The issue is still being opened (perhaps waiting out a rate
		// limit): try again later, with backoff, so that a comment gives up
		// when its issue does.
		if _, err := s.store.GitHubPost(ctx, issueKey(t.ID)); err != nil {
			return gone(err)
		}
		return fmt.Errorf("github: the issue of %s is not opened yet", t.Reference)
	}
	issue := *t.GitHubIssueNumber
	body := a.Body
	if a.MessageID != 0 {
		m, err := s.store.Message(ctx, a.MessageID)
		if err != nil {
			return gone(err)
		}
		body = replyComment(m)
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
		return river.JobCancel(errSyncOff)
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

// The webhook.

// ErrBadPayload means a signed delivery's body is not a webhook event.
var ErrBadPayload = errors.New("github: the payload is not a webhook event")

// Delivery is one webhook request, its signature checked.
type Delivery struct {
	// ID is X-GitHub-Delivery, Event is X-GitHub-Event.
	ID, Event string
	Payload   []byte
}

// What Accept did with a delivery.
const (
	OutcomeQueued    = "queued"
	OutcomeDuplicate = "duplicate"
	OutcomeIgnored   = "ignored"
)

// payload holds the webhook fields portico reads.
type payload struct {
	Action string `json:"action"`
	Issue  *struct {
		Number      int64           `json:"number"`
		Title       string          `json:"title"`
		HTMLURL     string          `json:"html_url"`
		ClosedAt    *time.Time      `json:"closed_at"`
		UpdatedAt   *time.Time      `json:"updated_at"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User *struct {
			Login string `json:"login"`
		} `json:"user"`
		AuthorAssociation string `json:"author_association"`
		PerformedVia      *struct {
			ID int64 `json:"id"`
		} `json:"performed_via_github_app"`
	} `json:"comment"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// Accept records a delivery and queues the job that acts on it, in one
// transaction, and answers at once. Events that portico does not act on
// (other events and actions, pull requests, other repositories, sync off)
// are ignored; a delivery id seen before is a duplicate and does nothing.
func (s *Service) Accept(ctx context.Context, d Delivery) (string, error) {
	var p payload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if !s.Enabled() || p.Repository == nil || !strings.EqualFold(p.Repository.FullName, s.repo) ||
		p.Issue == nil || p.Issue.Number <= 0 || isPresent(p.Issue.PullRequest) {
		return OutcomeIgnored, nil
	}
	var job river.JobArgs
	switch {
	case d.Event == "issue_comment" && p.Action == "created" && p.Comment != nil && p.Comment.ID > 0:
		c := p.Comment
		args := CommentEventArgs{Delivery: d.ID, IssueNumber: p.Issue.Number, IssueTitle: p.Issue.Title, IssueURL: p.Issue.HTMLURL,
			CommentID: c.ID, Body: c.Body, Association: c.AuthorAssociation}
		if c.User != nil {
			args.Login = c.User.Login
		}
		if c.PerformedVia != nil {
			args.AppID = c.PerformedVia.ID
		}
		job = args
	case d.Event == "issues" && (p.Action == "closed" || p.Action == "reopened"):
		now := s.now().UTC()
		args := IssueEventArgs{Delivery: d.ID, IssueNumber: p.Issue.Number, Closed: p.Action == "closed", ClosedAt: now, UpdatedAt: now}
		if p.Issue.UpdatedAt != nil {
			args.UpdatedAt = p.Issue.UpdatedAt.UTC()
		}
		if p.Issue.ClosedAt != nil {
			args.ClosedAt = p.Issue.ClosedAt.UTC()
		}
		job = args
	default:
		return OutcomeIgnored, nil
	}
	outcome := OutcomeQueued
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		first, err := tx.RecordGitHubDelivery(ctx, d.ID, d.Event)
		if err != nil {
			return err
		}
		if !first {
			outcome = OutcomeDuplicate
			return nil
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), job)
	})
	if err != nil {
		return "", fmt.Errorf("github: accept delivery %s: %w", d.ID, err)
	}
	return outcome, nil
}

func isPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// ownComment reports whether portico wrote the comment: its posts start
// with a hidden marker, and with an App they are made through that App.
func (s *Service) ownComment(a CommentEventArgs) bool {
	return isOwnPost(a.Body) || (s.client != nil && s.client.appID != 0 && a.AppID == s.client.appID)
}

// commentEvent acts on an agent's comment on a ticket's issue: a command
// from a trusted author is carried out (a 🚀 reaction says it went out, a
// comment explains a failure); anything else becomes an internal note that
// never reaches the customer. Each comment acts once: the record of what it
// did commits with the action.
func (s *Service) commentEvent(ctx context.Context, job *river.Job[CommentEventArgs]) error {
	a := job.Args
	t, err := s.store.TicketByGitHubIssue(ctx, a.IssueNumber)
	if errors.Is(err, model.ErrNotFound) {
		return nil // not a ticket's issue
	}
	if err != nil {
		return err
	}
	if s.ownComment(a) {
		return nil
	}
	if _, err := s.store.GitHubComment(ctx, a.CommentID); err == nil {
		return nil // acted on already
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	cmd, isCommand := parseCommand(a.Body)
	if isCommand && s.Enabled() {
		allowed, err := s.mayCommand(ctx, a.Login)
		if err != nil {
			return s.retry(ctx, err)
		}
		if !allowed {
			s.log.InfoContext(ctx, "github command ignored: author lacks write access", "ticket", t.Reference, "comment", a.CommentID, "login", a.Login)
			isCommand = false
		}
	}
	if !isCommand {
		return handled(s.noteFromComment(ctx, t.ID, a.CommentID, a.Login, strings.TrimSpace(a.Body)))
	}
	if !s.Enabled() {
		return river.JobCancel(errSyncOff)
	}
	reply, failure, err := s.compose(ctx, t, cmd, a)
	if err != nil {
		return s.retry(ctx, err)
	}
	if failure == "" {
		err = s.sendFromComment(ctx, a.CommentID, reply)
		if !errors.Is(err, tickets.ErrNoRecipient) {
			if err == nil {
				s.log.InfoContext(ctx, "agent reply sent from github", "ticket", t.Reference, "command", cmd.Name, "comment", a.CommentID, "delivery", a.Delivery)
			}
			return handled(err)
		}
		failure = noRecipient
	}
	s.log.InfoContext(ctx, "github command not carried out", "ticket", t.Reference, "comment", a.CommentID, "why", failure)
	return handled(s.commandFailed(ctx, t.ID, a.CommentID, failure))
}

// handled treats "acted on already" as done.
func handled(err error) error {
	if errors.Is(err, errCommentHandled) {
		return nil
	}
	return err
}

const noRecipient = "Not sent: this ticket has no customer email to reply to."

// compose builds the reply a command sends, or says why there is none
// (failure). err is GitHub failing (the job retries).
func (s *Service) compose(ctx context.Context, t model.Ticket, cmd command, a CommentEventArgs) (r tickets.AgentReply, failure string, err error) {
	r = tickets.AgentReply{TicketID: t.ID, AuthorName: a.Login}
	text := cmd.Text
	switch cmd.Name {
	case cmdSend, cmdSendAll:
		if text == "" {
			return r, fmt.Sprintf("Not sent: write the reply under the `%s` line.", cmd.Name), nil
		}
		if cmd.Name == cmdSendAll {
			if r.To, err = s.tickets.Recipients(ctx, t.ID); err != nil {
				return r, "", err
			}
			if len(r.To) == 0 {
				return r, noRecipient, nil
			}
		}
	case cmdReply:
		if cmd.Arg == "" {
			return r, "Not sent: name the canned reply, e.g. `/reply welcome` sends `" + RepliesDir + "welcome.md`.", nil
		}
		path, ok := replyPath(cmd.Arg)
		if !ok {
			return r, fmt.Sprintf("Not sent: `%s` is not a canned reply name (letters, digits, `.`, `_` and `-`).", cmd.Arg), nil
		}
		customer, hasCustomer, err := s.customer(ctx, t)
		if err != nil {
			return r, "", err
		}
		if !hasCustomer {
			return r, noRecipient, nil
		}
		template, err := s.client.File(ctx, path)
		if errors.Is(err, errNoFile) {
			return r, fmt.Sprintf("Not sent: there is no canned reply `%s` (no `%s` on the default branch).", cmd.Arg, path), nil
		}
		if err != nil {
			return r, "", err
		}
		name := customer.Name
		if name == "" {
			name = customer.Email
		}
		text = strings.TrimSpace(fill(template, replyVars{
			CustomerName: name, CustomerEmail: customer.Email,
			IssueTitle: a.IssueTitle, IssueNumber: a.IssueNumber, IssueURL: a.IssueURL,
		}))
		if text == "" {
			return r, fmt.Sprintf("Not sent: `%s` is empty.", path), nil
		}
	}
	if r.BodyHTML, err = renderMarkdown(text); err != nil {
		return r, "", err
	}
	r.BodyText = text
	return r, "", nil
}

// issueEvent closes or reopens the ticket of the issue (pull requests never
// get here).
func (s *Service) issueEvent(ctx context.Context, job *river.Job[IssueEventArgs]) error {
	a := job.Args
	t, err := s.store.TicketByGitHubIssue(ctx, a.IssueNumber)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	applied, err := s.applyIssueState(ctx, t.ID, a.Closed, a.ClosedAt, a.UpdatedAt)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "github issue state", "ticket", t.Reference, "closed", a.Closed, "applied", applied, "delivery", a.Delivery)
	return nil
}
