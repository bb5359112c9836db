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
// overwrite, and the audit of both. Its queries are prepared at start-up like
// the others, in a set of their own.
//
// Erasure overwrites in place instead of deleting rows, so that tickets,
// messages and mails still count: bodies become empty, authors and
// recipients anonymous, portal links revoked (their token hashes deleted)
// and renamed, attachments and participants deleted.

// Addresses that replace erased ones. Contacts get ContactPseudonym (the
// contact id keeps them unique and stable); portal links keep their row under
// erased-link-<id>@invalid (unique per ticket); mails go to ErasedAddress.
const ErasedAddress = "erased@invalid"

// ContactPseudonym is the address an erased contact is kept under.
func ContactPseudonym(contactID int64) string { return fmt.Sprintf("erased-%d@invalid", contactID) }

// ErasedSubject replaces the subject of an erased ticket.
const ErasedSubject = "(erased)"

// Audit actions.
const (
	AuditExport = "export"
	AuditErase  = "erase"
	AuditPurge  = "purge"
)

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

// AuditEntry records an export or an erasure: who (an admin's email, "api
// token" or "retention"), when, about which contact or ticket, and counts.
type AuditEntry struct {
	ID        int64     `db:"id"`
	Action    string    `db:"action"`
	ContactID *int64    `db:"contact_id"`
	TicketID  *int64    `db:"ticket_id"`
	Actor     string    `db:"actor"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

// Erased counts what an erasure overwrote.
type Erased struct {
	Messages    int64 `json:"messages"`
	Attachments int64 `json:"attachments"`
	PortalLinks int64 `json:"portal_links_revoked"`
	Mails       int64 `json:"mails"`
}

// Add sums two counts.
func (e Erased) Add(o Erased) Erased {
	return Erased{e.Messages + o.Messages, e.Attachments + o.Attachments, e.PortalLinks + o.PortalLinks, e.Mails + o.Mails}
}

// AuthoredMessage is an inbound message someone wrote, by ticket.
type AuthoredMessage struct {
	ID       int64 `db:"id"`
	TicketID int64 `db:"ticket_id"`
}

const auditCols = `id, action, contact_id, ticket_id, actor, detail, created_at`

type privacyStatements struct {
	// export
	contact        *sqlx.Stmt
	ticketsOf      *sqlx.Stmt
	messages       *sqlx.Stmt
	auditOfContact *sqlx.Stmt
	insertAudit    *sqlx.Stmt
	// contact erasure
	markContact    *sqlx.Stmt
	contactInTx    *sqlx.Stmt
	pseudonymize   *sqlx.Stmt
	clearRequester *sqlx.Stmt
	requesterOf    *sqlx.Stmt
	liveTicketsOf  *sqlx.Stmt
	authored       *sqlx.Stmt
	// what one person left on tickets, by email
	dropAuthoredFiles *sqlx.Stmt
	eraseAuthored     *sqlx.Stmt
	dropParticipant   *sqlx.Stmt
	dropTokensOf      *sqlx.Stmt
	revokeLinksOf     *sqlx.Stmt
	renameLinksOf     *sqlx.Stmt
	eraseMailsTo      *sqlx.Stmt
	dropHeldFrom      *sqlx.Stmt
	// a whole ticket
	markTicket        *sqlx.Stmt
	markClosedTicket  *sqlx.Stmt
	eraseTimeline     *sqlx.Stmt
	dropTicketFiles   *sqlx.Stmt
	dropParticipants  *sqlx.Stmt
	dropTicketTokens  *sqlx.Stmt
	renameTicketLinks *sqlx.Stmt
	eraseTicketMails  *sqlx.Stmt
	dropTicketHeld    *sqlx.Stmt
	// retention
	purgeCandidates *sqlx.Stmt
	// GitHub redaction
	postsOfTicket    *sqlx.Stmt
	commentsOfTicket *sqlx.Stmt
	// mail delivery
	mailPendingTo *sqlx.Stmt
}

// erasedMails overwrites mails: recipient and content go; a mail still
// waiting is marked failed so that its delivery job drops it. last_error can
// quote the address (an SMTP refusal), so it goes too.
const erasedMails = `UPDATE outbound_mails SET to_email = '` + ErasedAddress + `', to_name = '', payload = '{}',
	last_error = CASE WHEN status = 'pending' THEN 'erased' ELSE '' END,
	status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END`

// erasedLink renames a portal link: unique per ticket, and no address.
const erasedLink = `'erased-link-' || CAST(id AS TEXT) || '@invalid'`

func preparePrivacy(ctx context.Context, s *Store) (*privacyStatements, error) {
	q := &privacyStatements{}
	w, r := s.write, s.read
	list := []struct {
		dst   **sqlx.Stmt
		db    *sqlx.DB
		query string
	}{
		{&q.contact, r, `SELECT ` + contactCols + `, erased_at FROM contacts WHERE id = ?`},
		// The tickets a person filed, and those they took part in: as a
		// participant, as the author of a message, through a portal link or
		// as the recipient of a mail.
		{&q.ticketsOf, r, `SELECT ` + ticketCols + `, erased_at FROM tickets WHERE contact_id = ?
			OR id IN (SELECT ticket_id FROM ticket_participants WHERE email = ?)
			OR id IN (SELECT ticket_id FROM messages WHERE direction = 'inbound' AND author_email = ?)
			OR id IN (SELECT ticket_id FROM portal_links WHERE email = ?)
			OR id IN (SELECT ticket_id FROM outbound_mails WHERE to_email = ?)
			ORDER BY id`},
		{&q.messages, r, `SELECT ` + messageCols + `, original FROM messages WHERE ticket_id = ? ORDER BY id`},
		{&q.auditOfContact, r, `SELECT ` + auditCols + ` FROM privacy_audit WHERE contact_id = ? ORDER BY id`},
		{&q.insertAudit, w, `INSERT INTO privacy_audit (action, contact_id, ticket_id, actor, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`},

		// The gate of an erasure: only one caller gets the row back, with the
		// address it had (it is replaced later in the same transaction).
		{&q.markContact, w, `UPDATE contacts SET erased_at = ?, updated_at = ? WHERE id = ? AND erased_at IS NULL RETURNING ` + contactCols},
		{&q.contactInTx, w, `SELECT ` + contactCols + `, erased_at FROM contacts WHERE id = ?`},
		{&q.pseudonymize, w, `UPDATE contacts SET email = ?, name = '', user_id = NULL, updated_at = ? WHERE id = ? RETURNING ` + contactCols},
		{&q.clearRequester, w, `UPDATE tickets SET requester_id = 0, updated_at = ? WHERE contact_id = ? AND requester_id = ?`},
		{&q.requesterOf, w, `SELECT id FROM tickets WHERE contact_id = ? AND erased_at IS NULL ORDER BY id`},
		{&q.liveTicketsOf, w, `SELECT count(*) FROM tickets WHERE contact_id = ? AND erased_at IS NULL`},
		{&q.authored, w, `SELECT id, ticket_id FROM messages WHERE direction = 'inbound' AND author_email = ? ORDER BY id`},

		{&q.dropAuthoredFiles, w, `DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE direction = 'inbound' AND author_email = ?)`},
		{&q.eraseAuthored, w, `UPDATE messages SET body = '', original = '', author_name = '', author_email = '', email_message_id = NULL
			WHERE direction = 'inbound' AND author_email = ?`},
		{&q.dropParticipant, w, `DELETE FROM ticket_participants WHERE email = ?`},
		{&q.dropTokensOf, w, `DELETE FROM portal_tokens WHERE link_id IN (SELECT id FROM portal_links WHERE email = ?)`},
		{&q.revokeLinksOf, w, `UPDATE portal_links SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL`},
		{&q.renameLinksOf, w, `UPDATE portal_links SET email = ` + erasedLink + ` WHERE email = ?`},
		{&q.eraseMailsTo, w, erasedMails + ` WHERE to_email = ?`},
		{&q.dropHeldFrom, w, `DELETE FROM held_mails WHERE lower(from_email) = lower(?)`},

		{&q.markTicket, w, `UPDATE tickets SET subject = '` + ErasedSubject + `', erased_at = ?, updated_at = ?
			WHERE id = ? AND erased_at IS NULL RETURNING ` + ticketCols},
		// The purge's gate also checks that the ticket is still closed since
		// before the cutoff: one reopened meanwhile is left alone.
		{&q.markClosedTicket, w, `UPDATE tickets SET subject = '` + ErasedSubject + `', erased_at = ?, updated_at = ?
			WHERE id = ? AND erased_at IS NULL AND status = 'closed' AND closed_at < ? RETURNING ` + ticketCols},
		// The whole timeline: the customer's messages and everything said to
		// or about them (agent replies, internal notes). Agents' names and
		// our own Message-IDs stay; the customer's Message-IDs go.
		{&q.eraseTimeline, w, `UPDATE messages SET body = '', original = '',
			author_name = CASE WHEN direction = 'inbound' THEN '' ELSE author_name END, author_email = '',
			email_message_id = CASE WHEN direction = 'inbound' THEN NULL ELSE email_message_id END
			WHERE ticket_id = ?`},
		{&q.dropTicketFiles, w, `DELETE FROM attachments WHERE ticket_id = ?`},
		{&q.dropParticipants, w, `DELETE FROM ticket_participants WHERE ticket_id = ?`},
		{&q.dropTicketTokens, w, `DELETE FROM portal_tokens WHERE link_id IN (SELECT id FROM portal_links WHERE ticket_id = ?)`},
		{&q.renameTicketLinks, w, `UPDATE portal_links SET email = ` + erasedLink + ` WHERE ticket_id = ?`},
		{&q.eraseTicketMails, w, erasedMails + ` WHERE ticket_id = ?`},
		{&q.dropTicketHeld, w, `DELETE FROM held_mails WHERE ticket_id = ?`},

		{&q.purgeCandidates, r, `SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ? AND erased_at IS NULL ORDER BY closed_at, id LIMIT ?`},

		{&q.postsOfTicket, w, `SELECT ` + githubPostCols + ` FROM github_posts WHERE ticket_id = ? ORDER BY created_at, key`},
		{&q.commentsOfTicket, w, `SELECT comment_id FROM github_comments WHERE ticket_id = ? AND outcome IN ('sent', 'note') ORDER BY comment_id`},
		{&q.mailPendingTo, w, `SELECT count(*) FROM outbound_mails WHERE ticket_id = ? AND to_email = ? AND status = 'pending'`},
	}
	for _, p := range list {
		st, err := p.db.PreparexContext(ctx, p.db.Rebind(p.query))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("store: prepare %q: %w", firstLine(p.query), err), q.close())
		}
		*p.dst = st
	}
	return q, nil
}

func (q *privacyStatements) close() error {
	var errs []error
	for _, st := range []*sqlx.Stmt{q.contact, q.ticketsOf, q.messages, q.auditOfContact, q.insertAudit,
		q.markContact, q.contactInTx, q.pseudonymize, q.clearRequester, q.requesterOf, q.liveTicketsOf, q.authored,
		q.dropAuthoredFiles, q.eraseAuthored, q.dropParticipant, q.dropTokensOf, q.revokeLinksOf, q.renameLinksOf, q.eraseMailsTo, q.dropHeldFrom,
		q.markTicket, q.markClosedTicket, q.eraseTimeline, q.dropTicketFiles, q.dropParticipants, q.dropTicketTokens,
		q.renameTicketLinks, q.eraseTicketMails, q.dropTicketHeld, q.purgeCandidates, q.postsOfTicket, q.commentsOfTicket, q.mailPendingTo} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// PrivacyContact returns a contact with its erasure mark.
func (s *Store) PrivacyContact(ctx context.Context, id int64) (PrivacyContact, error) {
	var c PrivacyContact
	if err := s.pv.contact.GetContext(ctx, &c, id); err != nil {
		return PrivacyContact{}, notFound(err, fmt.Sprintf("contact %d", id))
	}
	return c, nil
}

// TicketsOfPerson returns, oldest first, the tickets of a contact and those
// its (normalized) email took part in.
func (s *Store) TicketsOfPerson(ctx context.Context, contactID int64, email string) ([]PrivacyTicket, error) {
	ts := []PrivacyTicket{}
	if err := s.pv.ticketsOf.SelectContext(ctx, &ts, contactID, email, email, email, email); err != nil {
		return nil, fmt.Errorf("store: tickets of contact %d: %w", contactID, err)
	}
	return ts, nil
}

// PrivacyMessages returns a ticket's whole timeline with the original text
// of each message.
func (s *Store) PrivacyMessages(ctx context.Context, ticketID int64) ([]PrivacyMessage, error) {
	ms := []PrivacyMessage{}
	if err := s.pv.messages.SelectContext(ctx, &ms, ticketID); err != nil {
		return nil, fmt.Errorf("store: messages of %d: %w", ticketID, err)
	}
	return ms, nil
}

// PrivacyAudit returns the audit entries about a contact, oldest first.
func (s *Store) PrivacyAudit(ctx context.Context, contactID int64) ([]AuditEntry, error) {
	es := []AuditEntry{}
	if err := s.pv.auditOfContact.SelectContext(ctx, &es, contactID); err != nil {
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
	if _, err := tx.stmt(ctx, tx.s.pv.insertAudit).ExecContext(ctx, e.Action, e.ContactID, e.TicketID, e.Actor, e.Detail, tx.now); err != nil {
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
	err := tx.stmt(ctx, tx.s.pv.markContact).GetContext(ctx, &c, tx.now, tx.now, id)
	if err == nil {
		return c, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return model.Contact{}, false, fmt.Errorf("store: mark contact %d erased: %w", id, err)
	}
	var pc PrivacyContact
	if err := tx.stmt(ctx, tx.s.pv.contactInTx).GetContext(ctx, &pc, id); err != nil {
		return model.Contact{}, false, notFound(err, fmt.Sprintf("contact %d", id))
	}
	return pc.Contact, false, nil
}

// PseudonymizeContact replaces a contact's address with its pseudonym and
// empties its name and user link; tickets filed under that user lose the
// user id too (requester_id 0).
func (tx *Tx) PseudonymizeContact(ctx context.Context, c model.Contact) (model.Contact, error) {
	if c.UserID != nil {
		if _, err := tx.stmt(ctx, tx.s.pv.clearRequester).ExecContext(ctx, tx.now, c.ID, *c.UserID); err != nil {
			return model.Contact{}, fmt.Errorf("store: clear requester of contact %d: %w", c.ID, err)
		}
	}
	var out model.Contact
	if err := tx.stmt(ctx, tx.s.pv.pseudonymize).GetContext(ctx, &out, ContactPseudonym(c.ID), tx.now, c.ID); err != nil {
		return model.Contact{}, notFound(err, fmt.Sprintf("contact %d", c.ID))
	}
	return out, nil
}

// LiveTicketIDs returns the tickets of a contact that are not erased.
func (tx *Tx) LiveTicketIDs(ctx context.Context, contactID int64) ([]int64, error) {
	ids := []int64{}
	if err := tx.stmt(ctx, tx.s.pv.requesterOf).SelectContext(ctx, &ids, contactID); err != nil {
		return nil, fmt.Errorf("store: tickets of contact %d: %w", contactID, err)
	}
	return ids, nil
}

// CountLiveTickets counts the tickets of a contact that are not erased.
func (tx *Tx) CountLiveTickets(ctx context.Context, contactID int64) (int64, error) {
	var n int64
	if err := tx.stmt(ctx, tx.s.pv.liveTicketsOf).GetContext(ctx, &n, contactID); err != nil {
		return 0, fmt.Errorf("store: count tickets of contact %d: %w", contactID, err)
	}
	return n, nil
}

// AuthoredMessages returns the inbound messages written from an address.
func (tx *Tx) AuthoredMessages(ctx context.Context, email string) ([]AuthoredMessage, error) {
	ms := []AuthoredMessage{}
	if err := tx.stmt(ctx, tx.s.pv.authored).SelectContext(ctx, &ms, email); err != nil {
		return nil, fmt.Errorf("store: authored messages: %w", err)
	}
	return ms, nil
}

// ErasePerson overwrites what one address left on any ticket: the messages
// it wrote (and their attachments), its participant records, its portal
// links (revoked, token hashes deleted), the mails sent to it and the mails
// from it held for an agent (unauthenticated senders). Messages
// others wrote stay as they are.
func (tx *Tx) ErasePerson(ctx context.Context, email string) (Erased, error) {
	var e Erased
	steps := []struct {
		what  string
		st    *sqlx.Stmt
		args  []any
		count *int64
	}{
		{"attachments", tx.s.pv.dropAuthoredFiles, []any{email}, &e.Attachments},
		{"messages", tx.s.pv.eraseAuthored, []any{email}, &e.Messages},
		{"participants", tx.s.pv.dropParticipant, []any{email}, nil},
		{"portal tokens", tx.s.pv.dropTokensOf, []any{email}, nil},
		{"portal links", tx.s.pv.revokeLinksOf, []any{tx.now, email}, &e.PortalLinks},
		{"portal link addresses", tx.s.pv.renameLinksOf, []any{email}, nil},
		{"mails", tx.s.pv.eraseMailsTo, []any{email}, &e.Mails},
		{"held mails", tx.s.pv.dropHeldFrom, []any{email}, nil},
	}
	for _, step := range steps {
		if err := tx.exec(ctx, step.st, "erase "+step.what, step.count, step.args...); err != nil {
			return Erased{}, err
		}
	}
	return e, nil
}

// EraseTicket overwrites a whole ticket: subject, every message body (the
// customer's, the agents' replies and internal notes), the customer's names
// and addresses, attachments, participants, portal links (revoked, token
// hashes deleted) and mails. The row, its status, dates and message count
// stay. With closedBefore set it erases only a ticket still closed since
// before then (the retention purge). false: nothing to do (erased before,
// reopened, or no such ticket).
func (tx *Tx) EraseTicket(ctx context.Context, ticketID int64, closedBefore *time.Time) (model.Ticket, Erased, bool, error) {
	var t model.Ticket
	var err error
	if closedBefore != nil {
		err = tx.stmt(ctx, tx.s.pv.markClosedTicket).GetContext(ctx, &t, tx.now, tx.now, ticketID, closedBefore.UTC())
	} else {
		err = tx.stmt(ctx, tx.s.pv.markTicket).GetContext(ctx, &t, tx.now, tx.now, ticketID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return model.Ticket{}, Erased{}, false, nil
	}
	if err != nil {
		return model.Ticket{}, Erased{}, false, fmt.Errorf("store: mark %s erased: %w", model.Reference(ticketID), err)
	}
	var e Erased
	steps := []struct {
		what  string
		st    *sqlx.Stmt
		args  []any
		count *int64
	}{
		{"timeline", tx.s.pv.eraseTimeline, []any{ticketID}, &e.Messages},
		{"attachments", tx.s.pv.dropTicketFiles, []any{ticketID}, &e.Attachments},
		{"participants", tx.s.pv.dropParticipants, []any{ticketID}, nil},
		{"portal tokens", tx.s.pv.dropTicketTokens, []any{ticketID}, nil},
		{"portal links", tx.s.q.revokeLinks, []any{tx.now, ticketID}, &e.PortalLinks},
		{"portal link addresses", tx.s.pv.renameTicketLinks, []any{ticketID}, nil},
		{"mails", tx.s.pv.eraseTicketMails, []any{ticketID}, &e.Mails},
		{"held mails", tx.s.pv.dropTicketHeld, []any{ticketID}, nil},
	}
	for _, step := range steps {
		if err := tx.exec(ctx, step.st, "erase "+step.what+" of "+t.Reference, step.count, step.args...); err != nil {
			return model.Ticket{}, Erased{}, false, err
		}
	}
	return t, e, true, nil
}

// exec runs a prepared statement in the transaction and, when count is set,
// stores the number of rows it changed there.
func (tx *Tx) exec(ctx context.Context, st *sqlx.Stmt, what string, count *int64, args ...any) error {
	res, err := tx.stmt(ctx, st).ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if count != nil {
		if *count, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
	}
	return nil
}

// PurgeCandidates returns up to limit tickets closed before closedBefore and
// not erased yet, longest closed first.
func (s *Store) PurgeCandidates(ctx context.Context, closedBefore time.Time, limit int) ([]int64, error) {
	ids := []int64{}
	if err := s.pv.purgeCandidates.SelectContext(ctx, &ids, closedBefore.UTC(), limit); err != nil {
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
	if err := s.pv.postsOfTicket.SelectContext(ctx, &posts, ticketID); err != nil {
		return nil, nil, fmt.Errorf("store: github posts of %d: %w", ticketID, err)
	}
	comments := []int64{}
	if err := s.pv.commentsOfTicket.SelectContext(ctx, &comments, ticketID); err != nil {
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
	if err := s.pv.mailPendingTo.GetContext(ctx, &n, ticketID, email); err != nil {
		return false, fmt.Errorf("store: pending mail: %w", err)
	}
	return n > 0, nil
}
