package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/server/model"
)

// Privacy: what an export reads, what erasure and the retention purge
// overwrite, and the audit of both.
//
// Erasure overwrites in place instead of deleting rows, so that tickets,
// messages and mails still count: bodies become empty, authors and
// recipients anonymous, portal links revoked (their token hashes deleted)
// and renamed, attachments and participants deleted. What takes the place
// of a subject or an address is server/privacy's to choose (Pseudonyms).

// Pseudonyms are what erasure writes in place of personal data.
type Pseudonyms struct {
	// Subject replaces the subject of an erased ticket.
	Subject string
	// Mail replaces the recipient of an erased mail.
	Mail string
	// A portal link keeps its row under LinkPrefix + its id + LinkSuffix:
	// unique per ticket, and no address.
	LinkPrefix, LinkSuffix string
}

// PrivacyContact is a contact with its erasure mark.
type PrivacyContact struct {
	model.Contact
	ErasedAt *time.Time `db:"erased_at"`
}

// PrivacyTicket is a ticket with its erasure mark.
type PrivacyTicket struct {
	model.Ticket
	ErasedAt *time.Time `db:"erased_at"`
}

// PrivacyMessage is a timeline message with the text as it arrived (inbound
// mail before quote stripping).
type PrivacyMessage struct {
	model.Message
	Original string `db:"original"`
}

// AuditEntry records an export or an erasure: what (Action), who (an
// admin's email, "api token" or "retention"), when, about which contact or
// ticket, and counts (Detail, JSON).
type AuditEntry struct {
	ID        int64     `db:"id"`
	Action    string    `db:"action"`
	ContactID *int64    `db:"contact_id"`
	TicketID  *int64    `db:"ticket_id"`
	Actor     string    `db:"actor"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

// Erased counts what an erasure overwrote: messages emptied, attachments
// deleted, portal links revoked, mails emptied.
type Erased struct {
	Messages    int64
	Attachments int64
	PortalLinks int64
	Mails       int64
}

// AuthoredMessage is an inbound message someone wrote, by ticket.
type AuthoredMessage struct {
	ID       int64 `db:"id"`
	TicketID int64 `db:"ticket_id"`
}

// PrivacyContact returns a contact with its erasure mark.
func (s *Store) PrivacyContact(ctx context.Context, id int64) (PrivacyContact, error) {
	var c PrivacyContact
	if err := s.q.PrivacyContact.GetContext(ctx, &c, id); err != nil {
		return PrivacyContact{}, notFound(err, fmt.Sprintf("contact %d", id))
	}
	return c, nil
}

// TicketsOfPerson returns, oldest first, the tickets of a contact and those
// its (normalized) email took part in.
func (s *Store) TicketsOfPerson(ctx context.Context, contactID int64, email string) ([]PrivacyTicket, error) {
	ts := []PrivacyTicket{}
	if err := s.q.TicketsOfPerson.SelectContext(ctx, &ts, contactID, email, email, email, email); err != nil {
		return nil, fmt.Errorf("store: tickets of contact %d: %w", contactID, err)
	}
	return ts, nil
}

// PrivacyMessages returns a ticket's whole timeline with the original text
// of each message.
func (s *Store) PrivacyMessages(ctx context.Context, ticketID int64) ([]PrivacyMessage, error) {
	ms := []PrivacyMessage{}
	if err := s.q.PrivacyMessages.SelectContext(ctx, &ms, ticketID); err != nil {
		return nil, fmt.Errorf("store: messages of %d: %w", ticketID, err)
	}
	return ms, nil
}

// PrivacyAudit returns the audit entries about a contact, oldest first.
func (s *Store) PrivacyAudit(ctx context.Context, contactID int64) ([]AuditEntry, error) {
	es := []AuditEntry{}
	if err := s.q.PrivacyAuditOfContact.SelectContext(ctx, &es, contactID); err != nil {
		return nil, fmt.Errorf("store: privacy audit of %d: %w", contactID, err)
	}
	return es, nil
}

// AddPrivacyAudit records an export or an erasure (ID and CreatedAt are set
// by the store).
func (tx *Tx) AddPrivacyAudit(ctx context.Context, e AuditEntry) error {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	if _, err := tx.stmt(ctx, tx.s.q.InsertPrivacyAudit).ExecContext(ctx, e.Action, e.ContactID, e.TicketID, e.Actor, e.Detail, tx.now); err != nil {
		return fmt.Errorf("store: privacy audit: %w", err)
	}
	return nil
}

// MarkContactErased marks a contact erased and returns it as it was (with its
// address, which the caller replaces with PseudonymizeContact in the same
// transaction). false means it was erased before: the contact comes back as
// it is now and nothing changed. model.ErrNotFound if there is no such
// contact. Of two concurrent erasures exactly one gets true.
func (tx *Tx) MarkContactErased(ctx context.Context, id int64) (model.Contact, bool, error) {
	var c model.Contact
	err := tx.stmt(ctx, tx.s.q.MarkContactErased).GetContext(ctx, &c, tx.now, tx.now, id)
	if err == nil {
		return c, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return model.Contact{}, false, fmt.Errorf("store: mark contact %d erased: %w", id, err)
	}
	var pc PrivacyContact
	if err := tx.stmt(ctx, tx.s.q.PrivacyContactTx).GetContext(ctx, &pc, id); err != nil {
		return model.Contact{}, false, notFound(err, fmt.Sprintf("contact %d", id))
	}
	return pc.Contact, false, nil
}

// PseudonymizeContact replaces a contact's address with pseudonym and
// empties its name and user link; tickets filed under that user lose the
// user id too (requester_id 0).
func (tx *Tx) PseudonymizeContact(ctx context.Context, c model.Contact, pseudonym string) (model.Contact, error) {
	if c.UserID != nil {
		if _, err := tx.stmt(ctx, tx.s.q.ClearRequester).ExecContext(ctx, tx.now, c.ID, *c.UserID); err != nil {
			return model.Contact{}, fmt.Errorf("store: clear requester of contact %d: %w", c.ID, err)
		}
	}
	var out model.Contact
	if err := tx.stmt(ctx, tx.s.q.PseudonymizeContact).GetContext(ctx, &out, pseudonym, tx.now, c.ID); err != nil {
		return model.Contact{}, notFound(err, fmt.Sprintf("contact %d", c.ID))
	}
	return out, nil
}

// LiveTicketIDs returns the tickets of a contact that are not erased.
func (tx *Tx) LiveTicketIDs(ctx context.Context, contactID int64) ([]int64, error) {
	ids := []int64{}
	if err := tx.stmt(ctx, tx.s.q.LiveTicketIDs).SelectContext(ctx, &ids, contactID); err != nil {
		return nil, fmt.Errorf("store: tickets of contact %d: %w", contactID, err)
	}
	return ids, nil
}

// CountLiveTickets counts the tickets of a contact that are not erased.
func (tx *Tx) CountLiveTickets(ctx context.Context, contactID int64) (int64, error) {
	var n int64
	if err := tx.stmt(ctx, tx.s.q.CountLiveTickets).GetContext(ctx, &n, contactID); err != nil {
		return 0, fmt.Errorf("store: count tickets of contact %d: %w", contactID, err)
	}
	return n, nil
}

// AuthoredMessages returns the inbound messages written from an address.
func (tx *Tx) AuthoredMessages(ctx context.Context, email string) ([]AuthoredMessage, error) {
	ms := []AuthoredMessage{}
	if err := tx.stmt(ctx, tx.s.q.AuthoredMessages).SelectContext(ctx, &ms, email); err != nil {
		return nil, fmt.Errorf("store: authored messages: %w", err)
	}
	return ms, nil
}

// ErasePerson overwrites what one address left on any ticket: the messages
// it wrote (and their attachments), its participant records, its portal
// links (revoked, token hashes deleted, renamed after p), the mails sent to
// it (to p.Mail) and the mails from it held for an agent (unauthenticated
// senders). Messages others wrote stay as they are.
func (tx *Tx) ErasePerson(ctx context.Context, email string, p Pseudonyms) (Erased, error) {
	var e Erased
	err := tx.eraseSteps(ctx, "", []eraseStep{
		{"attachments", tx.s.q.EraseAuthoredFiles, []any{email}, &e.Attachments},
		{"messages", tx.s.q.EraseAuthoredMessages, []any{email}, &e.Messages},
		{"participants", tx.s.q.EraseParticipant, []any{email}, nil},
		{"message recipients", tx.s.q.EraseRecipientOf, []any{email}, nil},
		{"portal tokens", tx.s.q.ErasePortalTokensOf, []any{email}, nil},
		{"portal links", tx.s.q.RevokePortalLinksOf, []any{tx.now, email}, &e.PortalLinks},
		{"portal link addresses", tx.s.q.RenamePortalLinksOf, []any{p.LinkPrefix, p.LinkSuffix, email}, nil},
		{"mails", tx.s.q.EraseMailsTo, []any{p.Mail, email}, &e.Mails},
		{"held mails", tx.s.q.EraseHeldMailsFrom, []any{email}, nil},
	})
	if err != nil {
		return Erased{}, err
	}
	return e, nil
}

// EraseTicket overwrites a whole ticket: subject (with p.Subject), every
// message body (the customer's, the agents' replies and internal notes),
// the customer's names and addresses, attachments, participants, portal
// links (revoked, token hashes deleted, renamed after p) and mails (to
// p.Mail). The row, its status, dates and message count stay. With
// closedBefore set it erases only a ticket still closed since before then
// (the retention purge). false: nothing to do (erased before, reopened, or
// no such ticket).
func (tx *Tx) EraseTicket(ctx context.Context, ticketID int64, closedBefore *time.Time, p Pseudonyms) (model.Ticket, Erased, bool, error) {
	var t model.Ticket
	var err error
	if closedBefore != nil {
		err = tx.stmt(ctx, tx.s.q.MarkClosedTicketErased).GetContext(ctx, &t, p.Subject, tx.now, tx.now, ticketID, closedBefore.UTC())
	} else {
		err = tx.stmt(ctx, tx.s.q.MarkTicketErased).GetContext(ctx, &t, p.Subject, tx.now, tx.now, ticketID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return model.Ticket{}, Erased{}, false, nil
	}
	if err != nil {
		return model.Ticket{}, Erased{}, false, fmt.Errorf("store: mark %s erased: %w", model.Reference(ticketID), err)
	}
	var e Erased
	err = tx.eraseSteps(ctx, " of "+t.Reference, []eraseStep{
		{"timeline", tx.s.q.EraseTimeline, []any{ticketID}, &e.Messages},
		{"attachments", tx.s.q.EraseTicketFiles, []any{ticketID}, &e.Attachments},
		{"participants", tx.s.q.EraseTicketParticipants, []any{ticketID}, nil},
		{"message recipients", tx.s.q.EraseTicketRecipients, []any{ticketID}, nil},
		{"portal tokens", tx.s.q.EraseTicketPortalTokens, []any{ticketID}, nil},
		{"portal links", tx.s.q.RevokePortalLinks, []any{tx.now, ticketID}, &e.PortalLinks},
		{"portal link addresses", tx.s.q.RenameTicketPortalLinks, []any{p.LinkPrefix, p.LinkSuffix, ticketID}, nil},
		{"mails", tx.s.q.EraseTicketMails, []any{p.Mail, ticketID}, &e.Mails},
		{"held mails", tx.s.q.EraseTicketHeldMails, []any{ticketID}, nil},
	})
	if err != nil {
		return model.Ticket{}, Erased{}, false, err
	}
	return t, e, true, nil
}

// eraseStep is one statement of an erasure; count, when set, receives the
// number of rows it changed.
type eraseStep struct {
	what  string
	st    *sqlx.Stmt
	args  []any
	count *int64
}

// eraseSteps runs the steps in order in the transaction; of names what they
// erase in errors.
func (tx *Tx) eraseSteps(ctx context.Context, of string, steps []eraseStep) error {
	for _, step := range steps {
		res, err := tx.stmt(ctx, step.st).ExecContext(ctx, step.args...)
		if err != nil {
			return fmt.Errorf("store: erase %s%s: %w", step.what, of, err)
		}
		if step.count != nil {
			if *step.count, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("store: erase %s%s: %w", step.what, of, err)
			}
		}
	}
	return nil
}

// PurgeCandidates returns up to limit tickets closed before closedBefore and
// not erased yet, longest closed first.
func (s *Store) PurgeCandidates(ctx context.Context, closedBefore time.Time, limit int) ([]int64, error) {
	ids := []int64{}
	if err := s.q.PurgeCandidates.SelectContext(ctx, &ids, closedBefore.UTC(), limit); err != nil {
		return nil, fmt.Errorf("store: purge candidates: %w", err)
	}
	return ids, nil
}

// RedactionTargets returns what portico posted on a ticket's GitHub issue
// (the issue, mirrored replies, notices; GitHubID nil while a post is still
// on its way) and the agents' comments it acted on (replies sent, internal
// notes), for the redaction that follows an erasure. It reads from the write
// pool: the job runs right after the erasure committed.
func (s *Store) RedactionTargets(ctx context.Context, ticketID int64) ([]model.GitHubPost, []int64, error) {
	posts := []model.GitHubPost{}
	if err := s.q.GitHubPostsOfTicket.SelectContext(ctx, &posts, ticketID); err != nil {
		return nil, nil, fmt.Errorf("store: github posts of %d: %w", ticketID, err)
	}
	comments := []int64{}
	if err := s.q.GitHubCommentsOfTicket.SelectContext(ctx, &comments, ticketID); err != nil {
		return nil, nil, fmt.Errorf("store: github comments of %d: %w", ticketID, err)
	}
	return posts, comments, nil
}

// MailPendingTo reports whether a mail to email about the ticket still waits
// to be delivered. Erasure marks waiting mails failed, so a delivery that
// was already under way when the erasure committed finds none and mints no
// portal link for the erased address.
func (s *Store) MailPendingTo(ctx context.Context, ticketID int64, email string) (bool, error) {
	var n int
	if err := s.q.CountPendingMailsTo.GetContext(ctx, &n, ticketID, email); err != nil {
		return false, fmt.Errorf("store: pending mail: %w", err)
	}
	return n > 0, nil
}
