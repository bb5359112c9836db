package mail

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/i18n"
	"github.com/portico/portico/server/logmask"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/ratelimit"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// LinkMinter creates a fresh portal link for (ticket, email); "" means the
// mail carries none (the ticket's portal is stopped, or the address may
// never get one again), and it then says that replies go by email only.
type LinkMinter interface {
	MintPortalURL(ctx context.Context, ticketID int64, email string) (string, error)
}

// SignupMinter creates a signup token for a contact.
type SignupMinter interface {
	Mint(contactID int64) (string, error)
}

// PortalSettings gives the admin's default language (Settings → Portal),
// which mails speak to a recipient who has none of their own.
type PortalSettings interface {
	Portal(ctx context.Context) (settings.Portal, error)
}

// Enqueuer inserts a job in a transaction.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// WorkerDeps are what the delivery worker needs.
type WorkerDeps struct {
	Store *store.Store
	// Jobs queues the mail.deliver job of a mail that its event's job could
	// not send at once.
	Jobs    Enqueuer
	Sender  Sender
	Links   LinkMinter
	Signups SignupMinter
	// Signins mints the links of "My tickets" sign-in mails, valid for
	// SigninValidFor (which the mail says).
	Signins        SigninMinter
	SigninValidFor time.Duration
	From           Address
	// ReplyKey signs the reply+<id>.<sig>@ addresses (the reply-address
	// key of server/keys, never the secret key itself).
	ReplyKey    []byte
	ReplyDomain string
	// Limiter and PerRecipient bound the automatic mails (confirmations)
	// one address receives, whatever channel caused them
	// (PORTICO_MAIL_LIMIT_PER_RECIPIENT); agent replies are not counted.
	// A nil Limiter: no bound.
	Limiter      ratelimit.Limiter
	PerRecipient ratelimit.Limit
	// Catalog holds the mails' sentences in every language; Settings the
	// default language. Both are required.
	Catalog  *i18n.Catalog
	Settings PortalSettings
	Log      *slog.Logger
	Now      func() time.Time
}

// Worker sends queued mails. It composes each mail when it runs, with a
// portal link minted for that mail, so no usable link is ever stored. A mail
// marked sent is never sent again; a permanent failure (5xx, bad address) is
// recorded and not retried; anything else is retried with River's backoff.
// A crash between the SMTP server's acceptance and the "sent" mark can send a
// mail twice: it then carries the same Message-ID, which mail clients fold.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	d WorkerDeps
}

// NewWorker returns the delivery worker. A missing catalog or settings is a
// programming error, caught at start-up rather than at the first mail.
func NewWorker(d WorkerDeps) *Worker {
	if d.Catalog == nil || d.Settings == nil {
		panic("mail: WorkerDeps.Catalog and WorkerDeps.Settings are required")
	}
	return &Worker{d: d}
}

// Work delivers one queued mail.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	m, err := w.d.Store.OutboundMail(ctx, job.Args.OutboundID)
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err) // the ticket was deleted meanwhile
	}
	if err != nil {
		return err
	}
	if m.Status != model.MailPending {
		return nil
	}
	// Counted once per mail (on its first attempt), so retries after an
	// SMTP outage do not eat into the budget.
	charge := job.Attempt <= 1 && !job.Args.Charged
	err = w.deliver(ctx, m, charge, false)
	var final *finalError
	switch {
	case errors.Is(err, errDropped):
		return nil // recorded; the job did what it could
	case errors.As(err, &final):
		return river.JobCancel(final.err)
	}
	return err
}

// DeliverQueued sends a mail queued with an event, from the event's own job
// (events.PublishArgs.Mails), so that the common case costs one job, not
// two. It never fails the event's job for the mail's sake: a mail that
// cannot be sent now is handed to a mail.deliver job of its own (attempts
// counted, so that this path never touches it again) with River's backoff,
// and a mail refused for good is recorded as failed. Only an error of the
// database comes back.
func (w *Worker) DeliverQueued(ctx context.Context, outboundID int64) error {
	m, err := w.d.Store.OutboundMail(ctx, outboundID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Sent, failed, or tried already (and then owned by its own job).
	if m.Status != model.MailPending || m.Attempts > 0 {
		return nil
	}
	err = w.deliver(ctx, m, true, true)
	var final *finalError
	if err == nil || errors.As(err, &final) {
		return nil
	}
	if isDatabaseError(err) {
		return err
	}
	// Handed to its own job (deliver recorded the try and queued it).
	w.d.Log.InfoContext(ctx, "mail not sent yet; retried by its own job", "outbound_id", m.ID, "err", err)
	return nil
}

// errDropped: the recipient had too many automatic mails (recorded).
var errDropped = errors.New("dropped: over the per-recipient limit")

// finalError is a mail that will never be sent (refused for good, cannot be
// composed, over its recipient's limit): recorded, not retried.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// storeError marks an error of the database or the limiter (as opposed to
// SMTP or composing), which the event's job retries itself.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func isDatabaseError(err error) bool {
	var se *storeError
	return errors.As(err, &se)
}

// deliver composes and sends m and records the outcome. charge: count it
// against its recipient's budget of automatic mails. handOff: a send that
// may succeed later is recorded together with a mail.deliver job that will
// retry it (one transaction: the try is never recorded without its job). A
// *finalError means m is recorded as failed (or dropped); a *storeError a
// failure of the database or the limiter, with nothing recorded; any other
// error a send that may succeed later, recorded.
func (w *Worker) deliver(ctx context.Context, m model.OutboundMail, charge, handOff bool) error {
	if charge {
		dropped, err := w.dropOverLimit(ctx, m)
		switch {
		case err != nil:
			return &storeError{err}
		case dropped:
			return &finalError{errDropped}
		}
	}
	msg, err := w.compose(ctx, m)
	var bad *composeError
	var cancel *river.JobCancelError
	switch {
	case errors.As(err, &bad):
		// The mail cannot be built from what was queued (e.g. a signup
		// template that is not an http link): retrying would not help.
		if markErr := w.d.Store.MarkMailTried(ctx, m.ID, true, err.Error()); markErr != nil {
			return &storeError{errors.Join(err, markErr)}
		}
		w.d.Log.ErrorContext(ctx, "mail cannot be composed", "outbound_id", m.ID, "err", err)
		return &finalError{err}
	case errors.As(err, &cancel):
		return &finalError{err}
	case err != nil:
		return &storeError{err}
	}
	if sendErr := w.d.Sender.Send(ctx, msg); sendErr != nil {
		err := sendErr
		final := IsPermanent(err)
		markErr := w.d.Store.RunInTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			if err := w.d.Store.MarkMailTried(ctx, m.ID, final, sendErr.Error()); err != nil || final || !handOff {
				return err
			}
			return w.d.Jobs.Enqueue(ctx, tx.SQL(), DeliverArgs{OutboundID: m.ID, Charged: true})
		})
		if markErr != nil {
			return &storeError{errors.Join(err, markErr)}
		}
		if final {
			w.d.Log.WarnContext(ctx, "mail refused for good", "outbound_id", m.ID, "to", logmask.MaskEmail(m.ToEmail), "err", err)
			return &finalError{err}
		}
		return err
	}
	if _, err := w.d.Store.MarkMailSent(ctx, m.ID); err != nil {
		return &storeError{err}
	}
	w.d.Log.InfoContext(ctx, "mail sent", "outbound_id", m.ID, "ticket_id", m.TicketID, "kind", m.Kind)
	return nil
}

// DroppedPrefix starts the last_error of a mail that was never sent because
// its recipient had received too many automatic mails (status failed).
const DroppedPrefix = "dropped: "

// automatic reports the kinds that count against the per-recipient limit:
// mails nobody on the team chose to send (confirmations, sign-in mails,
// status mails). Agent replies are the product and always go out.
func automatic(kind string) bool {
	switch kind {
	case model.MailConfirmation, model.MailSignin, model.MailStatusClosed, model.MailStatusReopened:
		return true
	}
	return false
}

// dropOverLimit charges an automatic mail to its recipient's budget and,
// when the budget is spent, records the mail as dropped (failed, with the
// reason; never retried) instead of sending it. The ticket stays as it is.
func (w *Worker) dropOverLimit(ctx context.Context, m model.OutboundMail) (bool, error) {
	if w.d.Limiter == nil || !automatic(m.Kind) {
		return false, nil
	}
	sum := sha256.Sum256([]byte(strings.ToLower(m.ToEmail)))
	res, err := w.d.Limiter.Allow(ctx, "mail:to:"+hex.EncodeToString(sum[:16]), w.d.PerRecipient)
	if err != nil {
		return false, fmt.Errorf("mail %d: per-recipient limit: %w", m.ID, err)
	}
	if res.Allowed {
		return false, nil
	}
	reason := fmt.Sprintf("%smore than %d automatic mails to this address in %v (PORTICO_MAIL_LIMIT_PER_RECIPIENT)",
		DroppedPrefix, w.d.PerRecipient.Count, w.d.PerRecipient.Period)
	if err := w.d.Store.MarkMailTried(ctx, m.ID, true, reason); err != nil {
		return false, err
	}
	w.d.Log.WarnContext(ctx, "automatic mail dropped: recipient over the per-recipient limit",
		"outbound_id", m.ID, "ticket_id", m.TicketID, "kind", m.Kind, "to", logmask.MaskEmail(m.ToEmail),
		"limit", w.d.PerRecipient.Count, "period", w.d.PerRecipient.Period)
	return true, nil
}

// localizer chooses the language of a mail to email when it is composed:
// the language stored on the contact of that address (the requester, or a
// participant who is a contact too), else the admin's default, else
// English. Composing late means a language chosen after the mail was queued
// still counts.
func (w *Worker) localizer(ctx context.Context, email string) (*i18n.Localizer, error) {
	var stored string
	c, err := w.d.Store.LiveContactByEmail(ctx, contacts.Normalize(email))
	switch {
	case err == nil:
		stored = c.Locale
	case !errors.Is(err, model.ErrNotFound):
		return nil, err
	}
	p, err := w.d.Settings.Portal(ctx)
	if err != nil {
		return nil, err
	}
	return w.d.Catalog.For(w.d.Catalog.Choose(p.DefaultLanguage, stored)), nil
}

func (w *Worker) compose(ctx context.Context, m model.OutboundMail) (Message, error) {
	l, err := w.localizer(ctx, m.ToEmail)
	if err != nil {
		return Message{}, err
	}
	if m.Kind == model.MailSignin { // about no ticket: no portal link, no reply address
		return w.composeSignin(ctx, l, m)
	}
	t, err := w.d.Store.Ticket(ctx, m.TicketID)
	if err != nil {
		return Message{}, err
	}
	portalURL, err := w.d.Links.MintPortalURL(ctx, m.TicketID, m.ToEmail)
	if err != nil {
		return Message{}, err
	}
	msg := Message{
		From:      w.d.From,
		To:        Address{Name: m.ToName, Email: m.ToEmail},
		ReplyTo:   ReplyTo(t.ID, w.d.ReplyKey, w.d.ReplyDomain),
		Subject:   Subject(t.Reference, t.Subject),
		MessageID: m.EmailMessageID,
		InReplyTo: m.InReplyTo,
		Language:  l.Lang(),
	}
	if m.Refs != "" {
		msg.References = strings.Fields(m.Refs)
	}
	switch m.Kind {
	case model.MailConfirmation:
		var p ConfirmationPayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return Message{}, river.JobCancel(fmt.Errorf("mail %d: payload: %w", m.ID, err))
		}
		// Nothing the submitter typed goes to an address nobody verified:
		// not the subject, not the description, not even the name in To.
		// (Payloads queued before this change may still hold a name and a
		// body; they are ignored.)
		msg.Subject = ConfirmationSubject(l, t.Reference)
		msg.To.Name = ""
		c := Confirmation{Reference: t.Reference, PortalURL: portalURL, ProductName: w.d.From.Name}
		if p.SignupURLTemplate != "" {
			token, err := w.d.Signups.Mint(p.ContactID)
			if err != nil {
				return Message{}, err
			}
			c.SignupURL = strings.ReplaceAll(p.SignupURLTemplate, "{token}", url.QueryEscape(token))
			// The admin's template is free text; a confirmation without the
			// invitation beats no confirmation at all.
			if u, err := url.Parse(c.SignupURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				w.d.Log.WarnContext(ctx, "signup URL template is not an http(s) link; invitation left out", "outbound_id", m.ID)
				c.SignupURL = ""
			}
		}
		msg.AutoSubmitted = true
		msg.Text, msg.HTML, err = ComposeConfirmation(l, c)
	case model.MailAgentReply:
		var p AgentReplyPayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return Message{}, river.JobCancel(fmt.Errorf("mail %d: payload: %w", m.ID, err))
		}
		msg.Text, msg.HTML, err = ComposeAgentReply(l, AgentReply{Reference: t.Reference, Subject: t.Subject,
			CustomerName: p.CustomerName, AgentName: p.AgentName, BodyText: p.BodyText, BodyHTML: p.BodyHTML, PortalURL: portalURL})
	case model.MailPortalLink:
		var p PortalLinkPayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return Message{}, river.JobCancel(fmt.Errorf("mail %d: payload: %w", m.ID, err))
		}
		// Without a link (the portal was stopped or the address erased
		// since it was queued) the mail has nothing to say: composing fails
		// and it is recorded as failed, not sent.
		msg.Text, msg.HTML, err = ComposePortalLink(l, PortalLink{Reference: t.Reference, Subject: t.Subject,
			CustomerName: p.CustomerName, PortalURL: portalURL})
	case model.MailStatusClosed, model.MailStatusReopened:
		// Automatic and to an address nobody verified, like the
		// confirmation: a fixed subject, no name in To.
		closed := m.Kind == model.MailStatusClosed
		msg.Subject = StatusSubject(l, t.Reference, closed)
		msg.To.Name = ""
		msg.AutoGenerated = true
		msg.Text, msg.HTML, err = ComposeStatus(l, Status{Reference: t.Reference, Closed: closed, PortalURL: portalURL, ProductName: w.d.From.Name})
	default:
		return Message{}, river.JobCancel(fmt.Errorf("mail %d: unknown kind %q", m.ID, m.Kind))
	}
	if err != nil {
		return Message{}, &composeError{err}
	}
	return msg, nil
}

// composeError marks a mail that cannot be composed from its payload.
type composeError struct{ err error }

func (e *composeError) Error() string { return "compose: " + e.err.Error() }
func (e *composeError) Unwrap() error { return e.err }
