package tickets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/server/contacts"
	"github.com/portico/portico/server/events"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// ErrNoRecipient means an agent reply has nobody to go to (the ticket has no
// customer email).
var ErrNoRecipient = errors.New("the ticket has no customer email to reply to")

// recordConfirmation records the "we received your request" mail (with the
// signup invitation under prompt_signup) and returns its id, which the
// caller hands to the event's job (events.PublishArgs.WithMails) to send. For a
// ticket that began as a mail, inReplyTo threads the confirmation under it.
// The confirmation repeats nothing the submitter typed (see mail.Confirmation).
func (s *Service) recordConfirmation(ctx context.Context, tx *store.Tx, t model.Ticket, c model.Contact, policy settings.GuestPolicy, inReplyTo string) (int64, error) {
	payload := mail.ConfirmationPayload{ContactID: c.ID}
	if policy.Mode == settings.ModePromptSignup && policy.SignupURLTemplate != nil && c.UserID == nil {
		payload.SignupURLTemplate = *policy.SignupURLTemplate
	}
	return s.recordMail(ctx, tx, store.NewOutboundMail{
		TicketID: t.ID, Kind: model.MailConfirmation, ToEmail: c.Email, ToName: c.Name,
		EmailMessageID: mail.FirstMessageID(t.ID, s.replyDomain),
		InReplyTo:      inReplyTo, Refs: inReplyTo,
	}, payload)
}

// recordMail stores a mail to send and returns its id; the job of the
// event that caused it sends it.
func (s *Service) recordMail(ctx context.Context, tx *store.Tx, m store.NewOutboundMail, payload any) (int64, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("tickets: encode mail payload: %w", err)
	}
	m.Payload = string(raw)
	queued, err := tx.QueueMail(ctx, m)
	if err != nil {
		return 0, err
	}
	return queued.ID, nil
}

// Recipient is someone an agent reply is mailed to.
type Recipient struct {
	Email string
	Name  string
}

// AgentReply is an agent's answer to the customer(s) of a ticket.
type AgentReply struct {
	TicketID int64
	// Source is where the agent wrote it (model.SourceGitHub, ...): the
	// timeline shows it.
	Source     string
	AuthorName string
	// BodyText is the reply as plain text; BodyHTML, when set, is the same
	// reply as sanitized HTML (rendered from Markdown).
	BodyText string
	BodyHTML string
	// To lists the recipients; empty means the ticket's customer.
	To []Recipient
}

// SendAgentReply records an agent's reply on the timeline and mails it, each
// recipient with their own portal link, in one transaction (the caller's,
// when ctx comes from store.RunInTx: the GitHub sync records the comment it
// answered there).
func (s *Service) SendAgentReply(ctx context.Context, r AgentReply) (model.Message, error) {
	if r.Source == "" {
		return model.Message{}, errors.New("tickets: agent reply without a source")
	}
	r.BodyText = strings.TrimSpace(r.BodyText)
	if r.BodyText == "" {
		return model.Message{}, model.FieldErrors{"body": "is required"}
	}
	t, err := s.store.Ticket(ctx, r.TicketID)
	if err != nil {
		return model.Message{}, err
	}
	to := r.To
	if len(to) == 0 && t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil {
			return model.Message{}, err
		}
		to = []Recipient{{Email: c.Email, Name: c.Name}}
	}
	if len(to) == 0 {
		return model.Message{}, ErrNoRecipient
	}
	var msg model.Message
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		thread, err := tx.ThreadMessageIDs(ctx, t.ID)
		if err != nil {
			return err
		}
		if msg, err = tx.AddMessage(ctx, store.NewMessage{
			TicketID: t.ID, Direction: model.DirectionOutbound, Source: r.Source,
			AuthorName: r.AuthorName, Body: r.BodyText,
		}); err != nil {
			return err
		}
		mid := mail.ReplyMessageID(t.ID, msg.ID, s.replyDomain)
		if err := tx.SetMessageEmailID(ctx, msg.ID, mid); err != nil {
			return err
		}
		msg.EmailMessageID = &mid
		inReplyTo, refs := s.threadHeaders(t.ID, thread)
		var mails []int64
		for _, rc := range dedupe(to) {
			id, err := s.recordMail(ctx, tx, store.NewOutboundMail{
				TicketID: t.ID, MessageID: &msg.ID, Kind: model.MailAgentReply,
				ToEmail: rc.Email, ToName: rc.Name, EmailMessageID: mid,
				InReplyTo: inReplyTo, Refs: refs,
			}, mail.AgentReplyPayload{CustomerName: rc.Name, AgentName: r.AuthorName, BodyText: r.BodyText, BodyHTML: r.BodyHTML})
			if err != nil {
				return err
			}
			mails = append(mails, id)
		}
		return s.jobs.Enqueue(ctx, tx.SQL(), events.Job(events.ReplyCreated, t.ID, msg.ID, tx.Now()).By(events.AuthorAgent).WithMails(mails...))
	})
	if err != nil {
		return model.Message{}, fmt.Errorf("tickets: agent reply on %s: %w", t.Reference, err)
	}
	return msg, nil
}

func dedupe(to []Recipient) []Recipient {
	seen := map[string]bool{}
	out := make([]Recipient, 0, len(to))
	for _, r := range to {
		r.Email = contacts.Normalize(r.Email)
		if r.Email == "" || seen[r.Email] {
			continue
		}
		seen[r.Email] = true
		out = append(out, r)
	}
	return out
}

// MintPortalURL creates a new secret portal token for (ticket, email) and
// returns the link to put in a mail. Only the token's SHA-256 is stored. It
// returns "" (a mail without a link: replies by email only) while the
// ticket's portal is stopped, and for an erased ticket or an erased
// contact's address, which never get a link again. A token minted after a
// revoke works: the revoke ended only the tokens issued before it.
func (s *Service) MintPortalURL(ctx context.Context, ticketID int64, email string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("tickets: portal token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(token))
	email = contacts.Normalize(email)
	var minted bool
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		facts, err := tx.PortalLinkFacts(ctx, ticketID, email)
		if minted = err == nil && linkBar(facts) == ""; !minted {
			return err
		}
		_, err = tx.AddPortalToken(ctx, ticketID, email, hash[:])
		return err
	})
	if err != nil || !minted {
		return "", err
	}
	return s.baseURL + "/portal/" + token, nil
}

// Note is an agent's internal note: it stays on the admin timeline and
// never reaches a customer.
type Note struct {
	TicketID int64
	// Source is where the agent wrote it (model.SourceGitHub, ...).
	Source string
	Author string
	Body   string
}

// AddInternalNote records an agent's note (a GitHub comment that was not
// sent), in the caller's transaction when ctx comes from store.RunInTx.
func (s *Service) AddInternalNote(ctx context.Context, n Note) (model.Message, error) {
	if n.Source == "" {
		return model.Message{}, errors.New("tickets: internal note without a source")
	}
	var msg model.Message
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		msg, err = tx.AddMessage(ctx, store.NewMessage{
			TicketID: n.TicketID, Direction: model.DirectionInternal, Source: n.Source, AuthorName: n.Author, Body: n.Body,
		})
		return err
	})
	if err != nil {
		return model.Message{}, fmt.Errorf("tickets: note on %s: %w", model.Reference(n.TicketID), err)
	}
	return msg, nil
}

// Recipients returns who a /sendall reply goes to: the requester first, then
// every participant recorded from the customer's mails.
func (s *Service) Recipients(ctx context.Context, ticketID int64) ([]Recipient, error) {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	var out []Recipient
	if t.ContactID != nil {
		c, err := s.store.Contact(ctx, *t.ContactID)
		if err != nil {
			return nil, err
		}
		out = append(out, Recipient{Email: c.Email, Name: c.Name})
	}
	ps, err := s.store.Participants(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out = append(out, Recipient{Email: p.Email, Name: p.Name})
	}
	return dedupe(out), nil
}

// threadHeaders are the In-Reply-To and References of a mail that joins a
// ticket's conversation (an agent reply, a fresh link, a status mail):
// under the latest mail we know of (thread, oldest first), the chain
// starting with the ticket's first mail, the confirmation.
func (s *Service) threadHeaders(ticketID int64, thread []string) (inReplyTo, refs string) {
	chain := append([]string{mail.FirstMessageID(ticketID, s.replyDomain)}, thread...)
	return chain[len(chain)-1], strings.Join(chain, " ")
}
