package workflows

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/egress"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// Side effects outside portico, each a job of its own queued with the step
// that asked for it.

// WebhookArgs posts the webhook of step Step of run RunID.
type WebhookArgs struct {
	RunID int64 `json:"run_id"`
	Step  int   `json:"step"`
}

// Kind names the job for River.
func (WebhookArgs) Kind() string { return "workflows.webhook" }

// WebhookAttempts is how often a webhook is tried (River's backoff,
// attempt⁴ seconds apart: about four hours in all).
const WebhookAttempts = 10

// InsertOpts bounds the attempts.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: WebhookAttempts}
}

// WebhookTimeout bounds one webhook request, connection to last byte.
const WebhookTimeout = 10 * time.Second

// Webhook headers.
const (
	HeaderSignature = "X-Portico-Signature-256"
	HeaderDelivery  = "X-Portico-Delivery"
	HeaderEvent     = "X-Portico-Event"
)

// WebhookPayload is the JSON a send_webhook action posts.
type WebhookPayload struct {
	// ID names the delivery; it is the same on every retry
	// ("run-12-step-1"), so a receiver can drop repeats.
	ID     string        `json:"id"`
	Event  string        `json:"event"`
	RunID  int64         `json:"run_id"`
	Rule   WebhookRule   `json:"rule"`
	Ticket WebhookTicket `json:"ticket"`
	SentAt time.Time     `json:"sent_at"`
}

// WebhookRule names the rule that sent a webhook.
type WebhookRule struct {
	ID   *int64 `json:"id"`
	Name string `json:"name"`
}

// WebhookTicket is the ticket as it is when the webhook is sent.
type WebhookTicket struct {
	ID                int64      `json:"id"`
	Reference         string     `json:"reference"`
	Subject           string     `json:"subject"`
	Status            string     `json:"status"`
	Priority          string     `json:"priority"`
	Channel           string     `json:"channel"`
	Tags              []string   `json:"tags"`
	Email             string     `json:"email"`
	Name              string     `json:"name"`
	RequesterID       int64      `json:"requester_id"`
	GitHubIssueNumber *int64     `json:"github_issue_number"`
	CreatedAt         time.Time  `json:"created_at"`
	ClosedAt          *time.Time `json:"closed_at"`
	AdminURL          string     `json:"admin_url"`
}

// Sign is the signature header's value for body: "sha256=" and the hex
// HMAC-SHA256 of the body with the rule's webhook secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhook posts a send_webhook action. 2xx is done; 408, 425, 429, 5xx and
// network errors are retried with backoff; any other answer (a 4xx: the
// receiver refuses it; a redirect, which is not followed) fails the run at
// once, as does a destination the egress guard blocks (an internal
// address), before anything is sent.
func (e *Engine) webhook(ctx context.Context, job *river.Job[WebhookArgs]) error {
	a := job.Args
	run, err := e.run(ctx, a.RunID)
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	actions, err := decodeActions(run.Actions)
	if err != nil || a.Step >= len(actions) || actions[a.Step].Type != ActSendWebhook {
		return river.JobCancel(fmt.Errorf("workflows: run %d has no webhook at step %d", a.RunID, a.Step))
	}
	target := actions[a.Step].Value
	fail := func(err error) error {
		final := job.Attempt >= job.MaxAttempts
		e.recordError(ctx, run.ID, fmt.Sprintf("send_webhook (attempt %d of %d): %v", job.Attempt, job.MaxAttempts, err), final)
		return err
	}
	giveUp := func(err error) error {
		e.recordError(ctx, run.ID, "send_webhook: "+err.Error(), true)
		return river.JobCancel(err)
	}
	if run.RuleID == nil {
		return giveUp(errors.New("the rule was deleted, so there is no secret to sign with"))
	}
	rule, err := e.store.WorkflowRule(ctx, *run.RuleID)
	if errors.Is(err, model.ErrNotFound) {
		return giveUp(errors.New("the rule was deleted, so there is no secret to sign with"))
	}
	if err != nil {
		return err
	}
	payload, err := e.payload(ctx, run, a.Step)
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return giveUp(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return giveUp(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "portico-workflows")
	req.Header.Set(HeaderSignature, Sign(rule.WebhookSecret, body))
	req.Header.Set(HeaderDelivery, payload.ID)
	req.Header.Set(HeaderEvent, run.Event)
	res, err := e.http.Do(req)
	switch {
	case errors.Is(err, egress.ErrBlocked):
		// The run log is for admins: it says what happened, not which
		// internal address the name resolved to (the server log does).
		e.log.WarnContext(ctx, "workflow webhook blocked", "run", run.ID, "err", err)
		return giveUp(fmt.Errorf("%w (internal addresses are reached only when PORTICO_OUTBOUND_ALLOW names them)", egress.ErrBlocked))
	case errors.Is(err, egress.ErrRedirect) && res != nil:
		return giveUp(fmt.Errorf("the webhook answered a redirect (%s), which is not followed: use the URL it redirects to", res.Status))
	case err != nil:
		return fail(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch s := res.StatusCode; {
	case s >= 200 && s < 300:
		e.log.InfoContext(ctx, "workflow webhook delivered", "run", run.ID, "status", s)
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooEarly || s == http.StatusTooManyRequests || s >= 500:
		return fail(fmt.Errorf("%s answered %s", target, res.Status))
	default:
		return giveUp(fmt.Errorf("%s answered %s", target, res.Status))
	}
}

func (e *Engine) recordError(ctx context.Context, runID int64, msg string, final bool) {
	var err error
	if final {
		err = e.store.FailWorkflowRun(ctx, runID, RunFailed, msg)
	} else {
		err = e.store.SetWorkflowRunError(ctx, runID, msg)
	}
	if err != nil {
		e.log.ErrorContext(ctx, "workflow run error not recorded", "run", runID, "err", err)
	}
	e.log.WarnContext(ctx, "workflow action failed", "run", runID, "error", msg, "final", final)
}

func (e *Engine) payload(ctx context.Context, run store.WorkflowRun, step int) (WebhookPayload, error) {
	t, err := e.store.Ticket(ctx, run.TicketID)
	if err != nil {
		return WebhookPayload{}, err
	}
	tags, err := e.store.TicketTags(ctx, t.ID)
	if err != nil {
		return WebhookPayload{}, err
	}
	wt := WebhookTicket{ID: t.ID, Reference: t.Reference, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
		Channel: t.Channel, Tags: tags, RequesterID: t.RequesterID, GitHubIssueNumber: t.GitHubIssueNumber,
		CreatedAt: t.CreatedAt, ClosedAt: t.ClosedAt, AdminURL: e.baseURL + "/admin/tickets/" + t.Reference}
	if t.ContactID != nil {
		c, err := e.store.Contact(ctx, *t.ContactID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return WebhookPayload{}, err
		}
		wt.Email, wt.Name = c.Email, c.Name
	}
	return WebhookPayload{
		ID:    "run-" + strconv.FormatInt(run.ID, 10) + "-step-" + strconv.Itoa(step),
		Event: run.Event, RunID: run.ID, Rule: WebhookRule{ID: run.RuleID, Name: run.RuleName},
		Ticket: wt, SentAt: e.now().UTC(),
	}, nil
}

// GitHubArgs mirrors a tag, department or assignment on the ticket's issue.
type GitHubArgs struct {
	RunID    int64    `json:"run_id"`
	TicketID int64    `json:"ticket_id"`
	Add      []string `json:"add,omitempty"`
	Remove   []string `json:"remove,omitempty"`
	Assign   []string `json:"assign,omitempty"`
}

// Kind names the job for River.
func (GitHubArgs) Kind() string { return "workflows.github" }

// issueWaitAttempts is how many tries a GitHub job gives a ticket whose
// issue is not even queued before it concludes there will be none.
const issueWaitAttempts = 5

// github works a GitHubArgs job. With the sync off, or for a ticket that
// has no issue and will get none (filed while the sync was off), it does
// nothing. While the ticket's issue is still being opened it retries with
// backoff, so it gives up when the issue does. Rate limits snooze it.
func (e *Engine) github(ctx context.Context, job *river.Job[GitHubArgs]) error {
	if e.labeler == nil {
		return nil
	}
	a := job.Args
	t, err := e.store.Ticket(ctx, a.TicketID)
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if t.GitHubIssueNumber == nil {
		pending, err := e.store.GitHubIssuePending(ctx, t.ID)
		if err != nil {
			return err
		}
		// The sync's own ticket.created handler may not have queued the
		// issue yet (both react to the same event): give it a few tries
		// before deciding the ticket has no issue and never will.
		if !pending && job.Attempt >= issueWaitAttempts {
			return nil
		}
		err = fmt.Errorf("the issue of %s is not opened yet", t.Reference)
		if job.Attempt >= job.MaxAttempts {
			e.recordError(ctx, a.RunID, "github: "+err.Error(), true)
		}
		return err
	}
	issue := *t.GitHubIssueNumber
	// Jobs of one ticket may run in any order (each retries on its own):
	// a label is added only while the ticket still has the tag and removed
	// only while it does not, so the issue ends up as the tags are.
	tags, err := e.store.TicketTags(ctx, t.ID)
	if err != nil {
		return err
	}
	var add, remove []string
	for _, l := range a.Add {
		if slices.Contains(tags, l) {
			add = append(add, l)
		}
	}
	for _, l := range a.Remove {
		if !slices.Contains(tags, l) {
			remove = append(remove, l)
		}
	}
	call := func(what string, fn func() error) error {
		err := fn()
		if err == nil {
			return nil
		}
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			e.log.WarnContext(ctx, "github rate limit; workflow job snoozed", "wait", ra.RetryAfter(), "err", err)
			return river.JobSnooze(ra.RetryAfter())
		}
		e.recordError(ctx, a.RunID, fmt.Sprintf("github %s on #%d (attempt %d of %d): %v", what, issue, job.Attempt, job.MaxAttempts, err),
			job.Attempt >= job.MaxAttempts)
		return err
	}
	for _, label := range remove {
		if err := call("remove label", func() error { return e.labeler.RemoveLabel(ctx, issue, label) }); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if err := call("add labels", func() error { return e.labeler.AddLabels(ctx, issue, add) }); err != nil {
			return err
		}
	}
	if len(a.Assign) > 0 {
		if err := call("add assignees", func() error { return e.labeler.AddAssignees(ctx, issue, a.Assign) }); err != nil {
			return err
		}
	}
	return nil
}
