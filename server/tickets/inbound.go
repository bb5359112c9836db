package tickets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// Inbound outcomes.
const (
	OutcomeCreated  = "created"
	OutcomeAppended = "appended"
	OutcomeIgnored  = "ignored"
)

// InboundResult says what became of an inbound mail.
type InboundResult struct {
	Outcome string
	// Reason explains an ignored mail, or how an appended one was matched.
	Reason string
	Ticket *model.Ticket
}

// InboundMessage is an inbound mail with its body already reduced to the
// new text (quotes and signatures stripped) by the caller.
type InboundMessage struct {
	Mail model.InboundMail
	// Body is the text to store; Original the full text as it arrived.
	Body     string
	Original string
}

var subjectRef = regexp.MustCompile(`(?i)\[tk-0*[1-9][0-9]{0,18}\]`)

// ReceiveMail threads an inbound mail into its ticket or files a new one.
// Routing, first match wins: In-Reply-To, then References (newest first),
// matching a Message-ID we sent or stored; the signed Reply-To address in
// To, Cc or the envelope recipients; "[TK-n]" in the subject. A header or
// subject match counts only when the sender took part in that ticket; the
// signed address needs no such check (only someone who got our mail knows
// it). Anything else becomes a new ticket under the guest policy.
func (s *Service) ReceiveMail(ctx context.Context, in InboundMessage) (InboundResult, error) {
	// Names and the subject go back out in mail headers, which refuse
	// control characters: a sender's "Eve\r\nBcc: x" would make every mail
	// of the ticket fail for good.
	in.Mail.From.Name = oneLine(in.Mail.From.Name)
	in.Mail.Subject = oneLine(in.Mail.Subject)
	m := in.Mail
	m.From.Email = contacts.Normalize(m.From.Email)
	if m.From.Email == "" || validate.Email(m.From.Email) != "" {
		return InboundResult{Outcome: OutcomeIgnored, Reason: "no usable sender address"}, nil
	}
	if m.MessageID != "" {
		if own, err := s.store.IsOwnMailID(ctx, m.MessageID); err != nil {
			return InboundResult{}, err
		} else if own {
			return InboundResult{Outcome: OutcomeIgnored, Reason: "our own outgoing mail"}, nil
		}
	}
	ticketID, how, err := s.route(ctx, m)
	if err != nil {
		return InboundResult{}, err
	}
	if ticketID == 0 {
		return s.createFromMail(ctx, in)
	}
	return s.appendMail(ctx, ticketID, how, in)
}

func (s *Service) route(ctx context.Context, m model.InboundMail) (int64, string, error) {
	participant := func(id int64) (bool, error) { return s.store.IsParticipant(ctx, id, m.From.Email) }
	byMailID := func(mid string) (int64, error) {
		id, err := s.store.TicketByMailID(ctx, strings.TrimSpace(mid))
		if errors.Is(err, model.ErrNotFound) {
			return 0, nil
		}
		return id, err
	}
	try := func(id int64, err error) (int64, error) {
		if err != nil || id == 0 {
			return 0, err
		}
		ok, err := participant(id)
		if err != nil || !ok {
			return 0, err
		}
		return id, nil
	}

	if m.InReplyTo != "" {
		if id, err := try(byMailID(m.InReplyTo)); err != nil || id != 0 {
			return id, "in-reply-to", err
		}
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		if id, err := try(byMailID(m.References[i])); err != nil || id != 0 {
			return id, "references", err
		}
	}
	addrs := make([]string, 0, len(m.To)+len(m.Cc)+len(m.Recipients))
	for _, a := range append(append([]model.Address{}, m.To...), m.Cc...) {
		addrs = append(addrs, a.Email)
	}
	addrs = append(addrs, m.Recipients...)
	for _, a := range addrs {
		if id, err := s.signedReplyTicket(ctx, a); err != nil {
			return 0, "", err
		} else if id != 0 {
			return id, "signed reply address", nil
		}
	}
	if ref := subjectRef.FindString(m.Subject); ref != "" {
		id, _ := model.ParseReference(ref)
		if _, err := s.store.Ticket(ctx, id); err == nil {
			if id, err := try(id, nil); err != nil || id != 0 {
				return id, "subject reference", err
			}
		} else if !errors.Is(err, model.ErrNotFound) {
			return 0, "", err
		}
	}
	return 0, "", nil
}

// note for attachments that were not kept.
func droppedNote(m model.InboundMail) string {
	if len(m.DroppedAttachments) == 0 {
		return ""
	}
	return "\n\n[Not kept: " + strings.Join(m.DroppedAttachments, "; ") + "]"
}

func (s *Service) appendMail(ctx context.Context, ticketID int64, how string, in InboundMessage) (InboundResult, error) {
	m := in.Mail
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return InboundResult{}, err
	}
	var requester string
	if t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil {
			return InboundResult{}, err
		}
		requester = c.Email
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		msg, err := s.addMailMessage(ctx, tx, ticketID, in)
		if err != nil {
			return err
		}
		if t.Status == model.StatusClosed {
			if t, err = tx.ReopenTicket(ctx, ticketID); err != nil {
				return err
			}
			if err := s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.TicketReopened, ticketID, 0, tx.Now())); err != nil {
				return err
			}
		}
		if err := s.recordParticipants(ctx, tx, ticketID, requester, m); err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.ReplyCreated, ticketID, msg.ID, tx.Now()).By(events.AuthorCustomer))
	})
	if errors.Is(err, store.ErrDuplicate) {
		t, terr := s.store.Ticket(ctx, ticketID)
		if terr != nil {
			return InboundResult{}, terr
		}
		return InboundResult{Outcome: OutcomeIgnored, Reason: "duplicate delivery (Message-ID already stored)", Ticket: &t}, nil
	}
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: append mail: %w", err)
	}
	return InboundResult{Outcome: OutcomeAppended, Reason: "matched by " + how, Ticket: &t}, nil
}

func (s *Service) addMailMessage(ctx context.Context, tx *store.Tx, ticketID int64, in InboundMessage) (model.Message, error) {
	m := in.Mail
	var mid *string
	if m.MessageID != "" {
		mid = &m.MessageID
	}
	body := strings.TrimSpace(in.Body)
	if body == "" {
		body = "(no text)"
	}
	msg, err := tx.AddMessage(ctx, store.NewMessage{
		TicketID: ticketID, Direction: model.DirectionInbound, Source: model.SourceEmail,
		AuthorName: m.From.Name, AuthorEmail: m.From.Email, Body: body + droppedNote(m),
		EmailMessageID: mid, Original: in.Original,
	})
	if err != nil {
		return model.Message{}, err
	}
	for _, a := range m.Attachments {
		if err := tx.AddAttachment(ctx, ticketID, msg.ID, a); err != nil {
			return model.Message{}, err
		}
	}
	return msg, nil
}

// recordParticipants remembers the sender and everyone on To/Cc (except our
// own addresses and the requester) for /sendall.
func (s *Service) recordParticipants(ctx context.Context, tx *store.Tx, ticketID int64, requester string, m model.InboundMail) error {
	for _, a := range append(append([]model.Address{m.From}, m.To...), m.Cc...) {
		email := contacts.Normalize(a.Email)
		if email == "" || email == requester || s.isOurAddress(email) || validate.Email(email) != "" {
			continue
		}
		if err := tx.AddParticipant(ctx, ticketID, email, oneLine(a.Name)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) isOurAddress(email string) bool {
	_, domain, _ := strings.Cut(email, "@")
	return strings.EqualFold(domain, s.replyDomain)
}

func (s *Service) createFromMail(ctx context.Context, in InboundMessage) (InboundResult, error) {
	m := in.Mail
	policy, err := s.settings.GuestPolicy(ctx)
	if err != nil {
		return InboundResult{}, err
	}
	widget, err := s.settings.Widget(ctx)
	if err != nil {
		return InboundResult{}, err
	}
	subject := m.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	subject = truncate(subject, validate.MaxSubject)
	var t model.Ticket
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		c, err := contacts.FindOrCreateInTx(ctx, tx, m.From.Email, m.From.Name)
		if err != nil {
			return err
		}
		t, err = tx.CreateTicket(ctx, store.NewTicket{
			Subject: subject, Priority: widget.DefaultPriority(), Channel: model.ChannelEmail,
			ContactID: &c.ID, RequesterID: requesterFor(policy, &c, nil),
		})
		if err != nil {
			return err
		}
		msg, err := s.addMailMessage(ctx, tx, t.ID, in)
		if err != nil {
			return err
		}
		if err := s.recordParticipants(ctx, tx, t.ID, c.Email, m); err != nil {
			return err
		}
		confirmation, err := s.recordConfirmation(ctx, tx, t, c, policy, m.MessageID)
		if err != nil {
			return err
		}
		return s.jobs.EnqueueMany(ctx, tx.SQL(), events.Job(events.TicketCreated, t.ID, msg.ID, tx.Now()), confirmation)
	})
	if errors.Is(err, store.ErrDuplicate) {
		// The same mail arrived twice at once and the other copy won.
		return InboundResult{Outcome: OutcomeIgnored, Reason: "duplicate delivery (Message-ID already stored)"}, nil
	}
	if err != nil {
		return InboundResult{}, fmt.Errorf("tickets: create from mail: %w", err)
	}
	return InboundResult{Outcome: OutcomeCreated, Ticket: &t}, nil
}

// oneLine turns line breaks, other control characters and Unicode line
// separators into spaces and collapses runs of white space, so the text is
// fit for a mail header.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
