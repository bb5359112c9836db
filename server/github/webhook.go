package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/tickets"
)

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
	if isDiscussionEvent(d.Event) {
		return s.acceptDiscussion(ctx, d)
	}
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
	return s.queueDelivery(ctx, d, job)
}

// queueDelivery records a delivery and queues its job in one transaction:
// OutcomeDuplicate, and nothing queued, when GitHub sent it before.
func (s *Service) queueDelivery(ctx context.Context, d Delivery, job river.JobArgs) (string, error) {
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
		return river.JobCancel(ErrSyncOff)
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
