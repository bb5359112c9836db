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
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// Inbound outcomes.
const (
	OutcomeCreated  = "created"
	OutcomeAppended = "appended"
	OutcomeIgnored  = "ignored"
	// OutcomeHeld: the sender was not authenticated and the mail named an
	// existing ticket; it waits for an agent (settings.UnauthenticatedHold).
	OutcomeHeld = "held"
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
	// Trusted marks a mail an agent released from hold: it is routed as if
	// its sender were authenticated.
	Trusted bool `json:"-"`
}

// authenticated reports whether the mail may thread by headers or subject.
func (in InboundMessage) authenticated() bool { return in.Trusted || in.Mail.Authenticated() }

// notAuthenticated explains why an unauthenticated mail did not join the
// ticket it named.
const notAuthenticated = "sender not authenticated (no passing DMARC-aligned SPF or DKIM verdict)"

var subjectRef = regexp.MustCompile(`(?i)\[tk-0*[1-9][0-9]{0,18}\]`)

// ReceiveMail threads an inbound mail into its ticket or files a new one.
// Routing, first match wins: In-Reply-To, then References (newest first),
// matching a Message-ID we sent or stored; the signed Reply-To address in
// To, Cc or the envelope recipients; "[TK-n]" in the subject. A header or
// subject match counts only when the sender took part in that ticket and the
// provider authenticated the sender (model.InboundMail.Authenticated); the
// signed address needs neither (only someone who got our mail knows it).
// An unauthenticated mail that a header or subject would have threaded
// opens a new ticket, or is held for an agent when the inbound setting says
// "hold". Anything else becomes a new ticket under the guest policy.
func (s *Service) ReceiveMail(ctx context.Context, in InboundMessage) (InboundResult, error) {
	// Names and the subject go back out in mail headers, which refuse
	// control characters: a sender's "Eve\r\nBcc: x" would make every mail
	// of the ticket fail for good.
	in.Mail.From.Name = oneLine(in.Mail.From.Name)
	in.Mail.Subject = oneLine(in.Mail.Subject)
	in.Mail.From.Email = contacts.Normalize(in.Mail.From.Email)
	m := in.Mail
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
	r, err := s.route(ctx, m, in.authenticated())
	if err != nil {
		return InboundResult{}, err
	}
	if r.ticketID != 0 {
		return s.appendMail(ctx, r.ticketID, r.how, in)
	}
	if r.blocked != 0 {
		cfg, err := s.settings.Inbound(ctx)
		if err != nil {
			return InboundResult{}, err
		}
		if cfg.Unauthenticated == settings.UnauthenticatedHold {
			return s.holdMail(ctx, r.blocked, r.blockedHow, in)
		}
		res, err := s.createFromMail(ctx, in)
		if err == nil && res.Outcome == OutcomeCreated {
			res.Reason = notAuthenticated + ": a new ticket, not matched by " + r.blockedHow
		}
		return res, err
	}
	return s.createFromMail(ctx, in)
}

// routing is where a mail goes: ticketID (0: a new ticket) matched by how,
// or, for an unauthenticated sender, the ticket a header or subject match
// would have threaded it into (blocked).
type routing struct {
	ticketID   int64
	how        string
	blocked    int64
	blockedHow string
}

// How a mail matched its ticket.
const (
	howInReplyTo  = "in-reply-to"
	howReferences = "references"
	howSigned     = "signed reply address"
	howSubject    = "subject reference"
)

func (s *Service) route(ctx context.Context, m model.InboundMail, authenticated bool) (routing, error) {
	var r routing
	byMailID := func(mid string) (int64, error) {
		id, err := s.store.TicketByMailID(ctx, strings.TrimSpace(mid))
		if errors.Is(err, model.ErrNotFound) {
			return 0, nil
		}
		return id, err
	}
	// try reports whether a header or subject match stands: the sender
	// must be a participant, and authenticated; an unauthenticated one's
	// match is remembered as blocked.
	try := func(id int64, how string, err error) (bool, error) {
		if err != nil || id == 0 {
			return false, err
		}
		ok, err := s.store.IsParticipant(ctx, id, m.From.Email)
		if err != nil || !ok {
			return false, err
		}
		if !authenticated {
			if r.blocked == 0 {
				r.blocked, r.blockedHow = id, how
			}
			return false, nil
		}
		r.ticketID, r.how = id, how
		return true, nil
	}

	if m.InReplyTo != "" {
		id, err := byMailID(m.InReplyTo)
		if ok, err := try(id, howInReplyTo, err); err != nil || ok {
			return r, err
		}
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		id, err := byMailID(m.References[i])
		if ok, err := try(id, howReferences, err); err != nil || ok {
			return r, err
		}
	}
	addrs := make([]string, 0, len(m.To)+len(m.Cc)+len(m.Recipients))
	for _, a := range append(append([]model.Address{}, m.To...), m.Cc...) {
		addrs = append(addrs, a.Email)
	}
	addrs = append(addrs, m.Recipients...)
	for _, a := range addrs {
		if id, err := s.signedReplyTicket(ctx, a); err != nil {
			return routing{}, err
		} else if id != 0 {
			return routing{ticketID: id, how: howSigned}, nil
		}
	}
	if ref := subjectRef.FindString(m.Subject); ref != "" {
		id, _ := model.ParseReference(ref)
		if _, err := s.store.Ticket(ctx, id); err == nil {
			if ok, err := try(id, howSubject, nil); err != nil || ok {
				return r, err
			}
		} else if !errors.Is(err, model.ErrNotFound) {
			return routing{}, err
		}
	}
	return r, nil
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
			if _, err := s.reopenTx(ctx, tx, ticketID, StateChange{MessageID: msg.ID}); err != nil {
				return err
			}
			if t, err = tx.TicketTx(ctx, ticketID); err != nil {
				return err
			}
		}
		// The sender joins only when authenticated; the others on the mail
		// only when, besides, it matched by the signed address or by
		// headers (a subject reference proves less).
		authenticated := in.authenticated()
		if err := s.recordParticipants(ctx, tx, ticketID, msg.ID, requester, m, authenticated, authenticated && how != howSubject); err != nil {
			return err
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.ReplyCreated, ticketID, msg.ID, tx.Now()).By(events.AuthorCustomer))
	})
	if errors.Is(err, store.ErrDuplicate) {
		t, terr := s.store.Ticket(ctx, ticketID)
		if terr != nil {
			return InboundResult{}, terr
		}
		return InboundResult{Outcome: OutcomeIgnored, Reason: duplicateReason(m), Ticket: &t}, nil
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
	if m.MessageID == "" && m.DedupKey != "" {
		if err := tx.RecordDedupKey(ctx, m.DedupKey, ticketID); err != nil {
			return model.Message{}, err
		}
	}
	for _, a := range m.Attachments {
		if err := tx.AddAttachment(ctx, ticketID, msg.ID, a); err != nil {
			return model.Message{}, err
		}
	}
	return msg, nil
}

// duplicateReason says why a second delivery filed nothing.
func duplicateReason(m model.InboundMail) string {
	if m.MessageID == "" {
		return "duplicate delivery (same provider id or content)"
	}
	return "duplicate delivery (Message-ID already stored)"
}

// recordParticipants remembers, for /sendall, the sender (when sender is
// set) and everyone on To/Cc (when others is set), except our own addresses
// and the requester. A Cc line is the sender's word only, so it counts only
// from an authenticated sender. When others is set, it also records who the
// message (messageID) was addressed to, the requester included: their
// portal pages show the messages they were copied on.
func (s *Service) recordParticipants(ctx context.Context, tx *store.Tx, ticketID, messageID int64, requester string, m model.InboundMail, sender, others bool) error {
	var list []model.Address
	if sender {
		list = append(list, m.From)
	}
	if others {
		list = append(append(list, m.To...), m.Cc...)
	}
	from := contacts.Normalize(m.From.Email)
	for _, a := range list {
		email := contacts.Normalize(a.Email)
		if email == "" || s.isOurAddress(email) || validate.Email(email) != "" {
			continue
		}
		if others && email != from {
			if err := tx.AddMessageRecipient(ctx, messageID, email); err != nil {
				return err
			}
		}
		if email == requester {
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
	// The sender's language when their mail declares it (Content-Language;
	// never guessed from the text), and only a language portico speaks. An
	// unauthenticated sender's is ignored: a forged From must not change
	// what a real customer reads.
	var locale string
	if in.authenticated() {
		locale = s.catalog.Match(m.Header("Content-Language"))
	}
	var t model.Ticket
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		c, err := contacts.FindOrCreateInTx(ctx, tx, m.From.Email, m.From.Name, locale)
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
		// An authenticated sender is the first participant of its own
		// ticket, so its Cc joins; an unauthenticated one's Cc does not,
		// and it gets no confirmation: a forged From must not make portico
		// mail a stranger.
		authenticated := in.authenticated()
		if err := s.recordParticipants(ctx, tx, t.ID, msg.ID, c.Email, m, false, authenticated); err != nil {
			return err
		}
		created := events.Job(events.TicketCreated, t.ID, msg.ID, tx.Now())
		if authenticated {
			id, err := s.recordConfirmation(ctx, tx, t, c, policy, m.MessageID)
			if err != nil {
				return err
			}
			created = created.WithMails(id)
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), created)
	})
	if errors.Is(err, store.ErrDuplicate) {
		// The same mail arrived again (a provider retry, or two copies at
		// once and the other won).
		return InboundResult{Outcome: OutcomeIgnored, Reason: duplicateReason(m)}, nil
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
