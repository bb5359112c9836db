package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/privacy"
	"github.com/portico/portico/server/store"
)

// LinkMinter creates a fresh portal link for (ticket, email).
type LinkMinter interface {
	MintPortalURL(ctx context.Context, ticketID int64, email string) (string, error)
}

// SignupMinter creates a signup token for a contact.
type SignupMinter interface {
	Mint(contactID int64) (string, error)
}

// WorkerDeps are what the delivery worker needs.
type WorkerDeps struct {
	Store       *store.Store
	Sender      Sender
	Links       LinkMinter
	Signups     SignupMinter
	From        Address
	Secret      []byte
	ReplyDomain string
	Log         *slog.Logger
	Now         func() time.Time
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

// NewWorker returns the delivery worker.
func NewWorker(d WorkerDeps) *Worker { return &Worker{d: d} }

// Work delivers one queued mail.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	var m model.OutboundMail
	err := w.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		m, err = tx.OutboundMail(ctx, job.Args.OutboundID)
		return err
	})
	if errors.Is(err, model.ErrNotFound) {
		return river.JobCancel(err) // the ticket was deleted meanwhile
	}
	if err != nil {
		return err
	}
	if m.Status != model.MailPending {
		return nil
	}
	msg, err := w.compose(ctx, m)
	var bad *composeError
	if errors.As(err, &bad) {
		// The mail cannot be built from what was queued (e.g. a signup
		// template that is not an http link): retrying would not help.
		if markErr := w.d.Store.MarkMailTried(ctx, m.ID, true, err.Error()); markErr != nil {
			return errors.Join(err, markErr)
		}
		w.d.Log.ErrorContext(ctx, "mail cannot be composed", "outbound_id", m.ID, "err", err)
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if err := w.d.Sender.Send(ctx, msg); err != nil {
		final := IsPermanent(err)
		if markErr := w.d.Store.MarkMailTried(ctx, m.ID, final, err.Error()); markErr != nil {
			return errors.Join(err, markErr)
		}
		if final {
			w.d.Log.WarnContext(ctx, "mail refused for good", "outbound_id", m.ID, "to", privacy.MaskEmail(m.ToEmail), "err", err)
			return river.JobCancel(err)
		}
		return err
	}
	if _, err := w.d.Store.MarkMailSent(ctx, m.ID); err != nil {
		return err
	}
	w.d.Log.InfoContext(ctx, "mail sent", "outbound_id", m.ID, "ticket_id", m.TicketID, "kind", m.Kind)
	return nil
}

func (w *Worker) compose(ctx context.Context, m model.OutboundMail) (Message, error) {
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
		ReplyTo:   ReplyTo(t.ID, w.d.Secret, w.d.ReplyDomain),
		Subject:   Subject(t.Reference, t.Subject),
		MessageID: m.EmailMessageID,
		InReplyTo: m.InReplyTo,
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
		c := Confirmation{Reference: t.Reference, Subject: t.Subject, CustomerName: p.CustomerName, Body: p.Body,
			PortalURL: portalURL, ProductName: w.d.From.Name}
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
		msg.Text, msg.HTML, err = ComposeConfirmation(c)
	case model.MailAgentReply:
		var p AgentReplyPayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return Message{}, river.JobCancel(fmt.Errorf("mail %d: payload: %w", m.ID, err))
		}
		msg.Text, msg.HTML, err = ComposeAgentReply(AgentReply{Reference: t.Reference, Subject: t.Subject,
			CustomerName: p.CustomerName, AgentName: p.AgentName, BodyText: p.BodyText, BodyHTML: p.BodyHTML, PortalURL: portalURL})
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
