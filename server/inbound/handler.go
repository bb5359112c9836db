// Package inbound receives inbound email from Postmark, Mailgun and SES
// (through SNS): it authenticates each provider, parses its payload into a
// model.InboundMail, drops automatic mail, and hands the rest to the tickets
// service, which decides where it belongs.
package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/logmask"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/tickets"
)

// MaxBody is the largest webhook accepted: 25 MB of attachments grow by a
// third in base64, plus bodies and headers.
const MaxBody = 40 << 20

// Receiver threads a mail into a ticket.
type Receiver interface {
	ReceiveMail(ctx context.Context, in tickets.InboundMessage) (tickets.InboundResult, error)
}

// Options configures the handler; empty secrets turn that provider's own
// authentication off (the shared secret still works).
type Options struct {
	SharedSecret      string
	PostmarkBasicAuth string
	MailgunSigningKey string
	ReplayGuard       ReplayGuard
	SNS               *SNSVerifier
	ReplyDomain       string
	Now               func() time.Time
	Log               *slog.Logger
}

// Handler serves /support/inbound/*.
type Handler struct {
	svc Receiver
	o   Options
}

// New returns the inbound handler.
func New(svc Receiver, o Options) *Handler { return &Handler{svc: svc, o: o} }

type result struct {
	Outcome         string `json:"outcome"`
	Reason          string `json:"reason,omitempty"`
	TicketReference string `json:"ticket_reference,omitempty"`
}

func (h *Handler) sharedSecretOK(c *fiber.Ctx) bool {
	return CheckSharedSecret(c.Get("X-Portico-Inbound-Secret"), h.o.SharedSecret)
}

func refuse() error {
	return fiber.NewError(fiber.StatusUnauthorized, "inbound webhook not authenticated")
}

func tooLarge(c *fiber.Ctx) bool { return len(c.Body()) > MaxBody }

// Postmark answers POST /support/inbound/postmark.
func (h *Handler) Postmark(c *fiber.Ctx) error {
	if !h.sharedSecretOK(c) && (h.o.PostmarkBasicAuth == "" || !CheckBasicAuth(c.Get(fiber.HeaderAuthorization), h.o.PostmarkBasicAuth)) {
		return refuse()
	}
	if tooLarge(c) {
		return fiber.ErrRequestEntityTooLarge
	}
	m, err := ParsePostmark(c.Body())
	if err != nil {
		return h.unparsable(c, err)
	}
	return h.process(c, m)
}

// Mailgun answers POST /support/inbound/mailgun. The signature travels in
// the body, so the payload is parsed before it is authenticated; nothing is
// stored before both pass.
func (h *Handler) Mailgun(c *fiber.Ctx) error {
	if tooLarge(c) {
		return fiber.ErrRequestEntityTooLarge
	}
	m, sig, err := ParseMailgun(string(c.Request().Header.ContentType()), c.Body())
	if !h.sharedSecretOK(c) {
		if h.o.MailgunSigningKey == "" {
			return refuse()
		}
		if verr := VerifyMailgun(h.o.MailgunSigningKey, sig, h.o.Now(), h.o.ReplayGuard); verr != nil {
			return h.authFailed(c, "mailgun", verr)
		}
	}
	if err != nil {
		return h.unparsable(c, err)
	}
	return h.process(c, m)
}

// SES answers POST /support/inbound/ses: an SNS message whose signature and
// topic are checked; subscription confirmations are confirmed.
func (h *Handler) SES(c *fiber.Ctx) error {
	if tooLarge(c) {
		return fiber.ErrRequestEntityTooLarge
	}
	msg, err := ParseSNS(c.Body())
	if err != nil {
		if !h.sharedSecretOK(c) {
			return refuse()
		}
		return h.unparsable(c, err)
	}
	if !h.sharedSecretOK(c) {
		if h.o.SNS == nil {
			return refuse()
		}
		if err := h.o.SNS.Verify(c.UserContext(), msg); err != nil {
			return h.authFailed(c, "sns", err)
		}
	}
	switch msg.Type {
	case "SubscriptionConfirmation":
		if h.o.SNS == nil {
			return fiber.NewError(fiber.StatusBadRequest, "SNS subscriptions need PORTICO_SNS_TOPIC_ARNS")
		}
		if err := h.fresh(c, msg); err != nil {
			return err
		}
		if err := h.o.SNS.Confirm(c.UserContext(), msg); err != nil {
			return fiber.NewError(fiber.StatusBadGateway, "could not confirm the SNS subscription: "+err.Error())
		}
		h.o.Log.InfoContext(c.UserContext(), "sns subscription confirmed", "topic", msg.TopicArn)
		return c.JSON(result{Outcome: tickets.OutcomeIgnored, Reason: "subscription confirmed"})
	case "UnsubscribeConfirmation":
		return c.JSON(result{Outcome: tickets.OutcomeIgnored, Reason: "unsubscribe confirmation"})
	case "Notification":
	default:
		return fiber.NewError(fiber.StatusBadRequest, "unknown SNS message type "+msg.Type)
	}
	m, err := ParseSESNotification(msg.Message)
	if errors.Is(err, ErrNotReceived) {
		// Bounce, complaint and delivery feedback share the topic; they are
		// not mail to thread.
		return c.JSON(result{Outcome: tickets.OutcomeIgnored, Reason: "SES notification is not a received mail"})
	}
	if err != nil {
		return h.unparsable(c, err)
	}
	if err := h.fresh(c, msg); err != nil {
		return err
	}
	return h.process(c, m)
}

// Bounds on an SNS message's age: SNS retries for about an hour at most, so
// anything older (or dated in the future beyond clock skew) is a replay.
const (
	SNSMaxAge  = time.Hour
	SNSMaxSkew = 5 * time.Minute
)

// fresh refuses an SNS message whose signed Timestamp is older than
// SNSMaxAge or further than SNSMaxSkew in the future, with a 401 that says
// which. It runs after authentication and parsing, before anything is
// stored or confirmed.
func (h *Handler) fresh(c *fiber.Ctx, msg SNSMessage) error {
	var err error
	ts, perr := time.Parse(time.RFC3339, strings.TrimSpace(msg.Timestamp))
	now := h.o.Now()
	switch {
	case perr != nil:
		err = fiber.NewError(fiber.StatusUnauthorized, "SNS message refused: its Timestamp is missing or not RFC 3339")
	case now.Sub(ts) > SNSMaxAge:
		err = fiber.NewError(fiber.StatusUnauthorized, fmt.Sprintf("SNS message refused: sent at %s, more than %s ago (a replay?)",
			ts.UTC().Format(time.RFC3339), SNSMaxAge))
	case ts.Sub(now) > SNSMaxSkew:
		err = fiber.NewError(fiber.StatusUnauthorized, fmt.Sprintf("SNS message refused: dated %s, more than %s in the future",
			ts.UTC().Format(time.RFC3339), SNSMaxSkew))
	default:
		return nil
	}
	h.o.Log.WarnContext(c.UserContext(), "inbound webhook refused", "provider", "sns", "err", err)
	return err
}

// authFailed answers 401 for a request that failed authentication, and 503
// when the check itself could not be made (database or AWS unreachable), so
// that the provider retries instead of dropping the mail.
func (h *Handler) authFailed(c *fiber.Ctx, provider string, err error) error {
	if errors.Is(err, ErrUnauthorized) {
		h.o.Log.WarnContext(c.UserContext(), "inbound webhook refused", "provider", provider, "err", err)
		return refuse()
	}
	c.Set(fiber.HeaderRetryAfter, "60")
	return errors.Join(fiber.NewError(fiber.StatusServiceUnavailable, "could not verify the webhook right now; retry later"), err)
}

func (h *Handler) unparsable(c *fiber.Ctx, err error) error {
	h.o.Log.InfoContext(c.UserContext(), "inbound payload refused", "err", err)
	if errors.Is(err, ErrUnparsable) {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	return fiber.NewError(fiber.StatusBadRequest, "the payload could not be read: "+err.Error())
}

// process drops automatic mail and gives the rest to the tickets service.
func (h *Handler) process(c *fiber.Ctx, m model.InboundMail) error {
	ctx := c.UserContext()
	if reason := AutoReplyReason(m, h.o.ReplyDomain); reason != "" {
		h.o.Log.InfoContext(ctx, "inbound mail ignored", "reason", reason, "provider", m.Provider, "message_id", logmask.Scrub(m.MessageID))
		return c.JSON(result{Outcome: tickets.OutcomeIgnored, Reason: reason})
	}
	original := BodyText(m)
	res, err := h.svc.ReceiveMail(ctx, tickets.InboundMessage{Mail: m, Body: StripQuoted(original), Original: original})
	if err != nil {
		return err
	}
	out := result{Outcome: res.Outcome, Reason: res.Reason}
	if res.Ticket != nil {
		out.TicketReference = res.Ticket.Reference
	}
	h.o.Log.InfoContext(ctx, "inbound mail", "outcome", res.Outcome, "reason", res.Reason, "ticket", out.TicketReference,
		"provider", m.Provider, "message_id", logmask.Scrub(m.MessageID), "authenticated", m.Authenticated(),
		"spf", string(m.Auth.SPF), "dkim", string(m.Auth.DKIM), "dmarc", string(m.Auth.DMARC))
	return c.JSON(out)
}
