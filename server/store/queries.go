package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Every query of the store lives here, written once with ? placeholders for
// both dialects and prepared at start-up on the pool it runs on.

const (
	contactCols = `id, email, name, user_id, created_at, updated_at`
	ticketCols  = `id, reference, subject, status, priority, channel, contact_id, requester_id, closed_at, github_issue_number, created_at, updated_at`
	messageCols = `id, ticket_id, direction, source, author_name, author_email, body, email_message_id, created_at`
	linkCols    = `id, ticket_id, email, revoked_at, created_at`
	mailCols    = `id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs, payload, status, attempts, last_error, sent_at, created_at`
)

type statements struct {
	// contacts
	upsertContact   *sqlx.Stmt
	contactByID     *sqlx.Stmt
	setContactUser  *sqlx.Stmt
	stampRequesters *sqlx.Stmt
	// tickets and timeline
	insertTicket  *sqlx.Stmt
	ticketByID    *sqlx.Stmt
	listTickets   *sqlx.Stmt
	countTickets  *sqlx.Stmt
	insertMessage *sqlx.Stmt
	messagesOf    *sqlx.Stmt
	portalLinksOf *sqlx.Stmt
	closeTicket   *sqlx.Stmt
	reopenTicket  *sqlx.Stmt
	setMessageMID *sqlx.Stmt
	threadIDs     *sqlx.Stmt
	// portal
	upsertLink     *sqlx.Stmt
	insertToken    *sqlx.Stmt
	linkByToken    *sqlx.Stmt
	revokeLinks    *sqlx.Stmt
	portalMessages *sqlx.Stmt
	// outbound mail
	insertMail     *sqlx.Stmt
	mailByID       *sqlx.Stmt
	markMailSent   *sqlx.Stmt
	markMailTried  *sqlx.Stmt
	mailsOfTicket  *sqlx.Stmt
	useSignupToken *sqlx.Stmt
	// participants
	addParticipant *sqlx.Stmt
	participantsOf *sqlx.Stmt
	// inbound mail
	ticketByMailID *sqlx.Stmt
	isOwnMailID    *sqlx.Stmt
	messageByMID   *sqlx.Stmt
	isParticipant  *sqlx.Stmt
	addAttachment  *sqlx.Stmt
	attachmentsOf  *sqlx.Stmt
	attachmentByID *sqlx.Stmt
	useMailgunTok  *sqlx.Stmt
	settingsPair   *sqlx.Stmt
	pruneMailgun   *sqlx.Stmt
	// settings
	settingByKey   *sqlx.Stmt
	putSetting     *sqlx.Stmt
	addSettingOnce *sqlx.Stmt
	settingByKeyTx *sqlx.Stmt
	// admins and sessions
	countAdmins    *sqlx.Stmt
	insertAdmin    *sqlx.Stmt
	adminByEmail   *sqlx.Stmt
	adminBySession *sqlx.Stmt
	insertSession  *sqlx.Stmt
	deleteSession  *sqlx.Stmt
	deleteOldSess  *sqlx.Stmt
}

func prepare(ctx context.Context, s *Store) (*statements, error) {
	q := &statements{}
	w, r := s.write, s.read
	list := []struct {
		dst   **sqlx.Stmt
		db    *sqlx.DB
		query string
	}{
		{&q.upsertContact, w, `INSERT INTO contacts (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET
				name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END,
				updated_at = CASE WHEN contacts.name = '' AND excluded.name <> '' THEN excluded.updated_at ELSE contacts.updated_at END
			RETURNING ` + contactCols},
		{&q.contactByID, r, `SELECT ` + contactCols + ` FROM contacts WHERE id = ?`},
		{&q.setContactUser, w, `UPDATE contacts SET user_id = ?, updated_at = ? WHERE id = ? RETURNING ` + contactCols},
		{&q.stampRequesters, w, `UPDATE tickets SET requester_id = ?, updated_at = ? WHERE contact_id = ?`},

		{&q.insertTicket, w, `INSERT INTO tickets (subject, status, priority, channel, contact_id, requester_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ` + ticketCols},
		{&q.ticketByID, r, `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`},
		// Optional filters are written as (? = '' OR ...) so that the query
		// stays static and can be prepared.
		{&q.listTickets, r, `SELECT ` + prefixed("t.", ticketCols) + ` FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
			WHERE (? = '' OR t.status = ?)
			  AND (? = '' OR lower(t.subject) LIKE ? ESCAPE '\' OR lower(t.reference) = ? OR c.email LIKE ? ESCAPE '\')
			ORDER BY t.id DESC LIMIT ? OFFSET ?`},
		{&q.countTickets, r, `SELECT count(*) FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
			WHERE (? = '' OR t.status = ?)
			  AND (? = '' OR lower(t.subject) LIKE ? ESCAPE '\' OR lower(t.reference) = ? OR c.email LIKE ? ESCAPE '\')`},
		{&q.insertMessage, w, `INSERT INTO messages (ticket_id, direction, source, author_name, author_email, body, email_message_id, original, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ` + messageCols},
		{&q.messagesOf, r, `SELECT ` + messageCols + ` FROM messages WHERE ticket_id = ? ORDER BY id`},
		{&q.portalLinksOf, r, `SELECT ` + linkCols + ` FROM portal_links WHERE ticket_id = ? ORDER BY id`},

		{&q.closeTicket, w, `UPDATE tickets SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ? AND status = 'open'`},
		{&q.reopenTicket, w, `UPDATE tickets SET status = 'open', closed_at = NULL, updated_at = ? WHERE id = ? AND status = 'closed'`},
		{&q.setMessageMID, w, `UPDATE messages SET email_message_id = ? WHERE id = ?`},
		{&q.threadIDs, w, `SELECT email_message_id FROM messages WHERE ticket_id = ? AND email_message_id IS NOT NULL ORDER BY id`},

		{&q.upsertLink, w, `INSERT INTO portal_links (ticket_id, email, created_at) VALUES (?, ?, ?)
			ON CONFLICT (ticket_id, email) DO UPDATE SET email = excluded.email RETURNING ` + linkCols},
		{&q.insertToken, w, `INSERT INTO portal_tokens (link_id, token_hash, created_at) VALUES (?, ?, ?)`},
		{&q.linkByToken, r, `SELECT ` + prefixed("l.", linkCols) + ` FROM portal_tokens t JOIN portal_links l ON l.id = t.link_id WHERE t.token_hash = ?`},
		{&q.revokeLinks, w, `UPDATE portal_links SET revoked_at = ? WHERE ticket_id = ? AND revoked_at IS NULL`},
		// A customer sees what they sent and what was mailed to them; agent
		// notes and mails to other participants stay out.
		{&q.portalMessages, r, `SELECT ` + prefixed("m.", messageCols) + ` FROM messages m WHERE m.ticket_id = ?
			AND ((m.direction = 'inbound' AND m.author_email = ?)
			  OR (m.direction = 'outbound' AND EXISTS (SELECT 1 FROM outbound_mails o WHERE o.message_id = m.id AND o.to_email = ?)))
			ORDER BY m.id`},

		{&q.insertMail, w, `INSERT INTO outbound_mails (ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs, payload, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ` + mailCols},
		{&q.mailByID, w, `SELECT ` + mailCols + ` FROM outbound_mails WHERE id = ?`},
		{&q.markMailSent, w, `UPDATE outbound_mails SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ? AND status = 'pending'`},
		{&q.markMailTried, w, `UPDATE outbound_mails SET status = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`},
		{&q.mailsOfTicket, r, `SELECT ` + mailCols + ` FROM outbound_mails WHERE ticket_id = ? ORDER BY id`},
		{&q.useSignupToken, w, `INSERT INTO signup_tokens_used (nonce_hash, contact_id, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce_hash) DO NOTHING`},

		{&q.addParticipant, w, `INSERT INTO ticket_participants (ticket_id, email, name, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (ticket_id, email) DO UPDATE SET name = CASE WHEN ticket_participants.name = '' THEN excluded.name ELSE ticket_participants.name END`},
		{&q.participantsOf, r, `SELECT ticket_id, email, name, created_at FROM ticket_participants WHERE ticket_id = ? ORDER BY created_at, email`},

		// A Message-ID is ours or a customer's that we stored; either way it
		// names its ticket.
		{&q.ticketByMailID, r, `SELECT ticket_id FROM messages WHERE email_message_id = ?
			UNION SELECT ticket_id FROM outbound_mails WHERE email_message_id = ?`},
		{&q.isOwnMailID, r, `SELECT count(*) FROM outbound_mails WHERE email_message_id = ?`},
		{&q.messageByMID, w, `SELECT ` + messageCols + ` FROM messages WHERE email_message_id = ?`},
		{&q.isParticipant, r, `SELECT count(*) FROM (
			SELECT 1 AS x FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = ? AND c.email = ?
			UNION ALL SELECT 1 FROM ticket_participants WHERE ticket_id = ? AND email = ?
			UNION ALL SELECT 1 FROM messages WHERE ticket_id = ? AND direction = 'inbound' AND author_email = ?) p`},
		{&q.addAttachment, w, `INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&q.attachmentsOf, r, `SELECT id, ticket_id, message_id, filename, content_type, size, created_at FROM attachments WHERE ticket_id = ? ORDER BY id`},
		{&q.attachmentByID, r, `SELECT id, ticket_id, message_id, filename, content_type, size, data, created_at FROM attachments WHERE id = ?`},

		{&q.useMailgunTok, w, `INSERT INTO mailgun_tokens (token, expires_at) VALUES (?, ?) ON CONFLICT (token) DO NOTHING`},
		{&q.pruneMailgun, w, `DELETE FROM mailgun_tokens WHERE expires_at < ?`},

		{&q.settingsPair, r, `SELECT key, value FROM settings WHERE key IN (?, ?)`},
		{&q.settingByKey, r, `SELECT value FROM settings WHERE key = ?`},
		{&q.settingByKeyTx, w, `SELECT value FROM settings WHERE key = ?`},
		{&q.putSetting, w, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`},
		{&q.addSettingOnce, w, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`},

		{&q.countAdmins, r, `SELECT count(*) FROM admins`},
		{&q.insertAdmin, w, `INSERT INTO admins (email, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING`},
		{&q.adminByEmail, r, `SELECT id, email, password_hash, created_at FROM admins WHERE email = ?`},
		{&q.adminBySession, r, `SELECT a.id, a.email, a.password_hash, a.created_at FROM sessions s JOIN admins a ON a.id = s.admin_id
			WHERE s.token_hash = ? AND s.expires_at > ?`},
		{&q.insertSession, w, `INSERT INTO sessions (admin_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`},
		{&q.deleteSession, w, `DELETE FROM sessions WHERE token_hash = ?`},
		{&q.deleteOldSess, w, `DELETE FROM sessions WHERE expires_at <= ?`},
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

func (q *statements) close() error {
	var errs []error
	for _, st := range []*sqlx.Stmt{q.upsertContact, q.contactByID, q.setContactUser, q.stampRequesters,
		q.insertTicket, q.ticketByID, q.listTickets, q.countTickets, q.insertMessage, q.messagesOf, q.portalLinksOf,
		q.closeTicket, q.reopenTicket, q.setMessageMID, q.threadIDs,
		q.upsertLink, q.insertToken, q.linkByToken, q.revokeLinks, q.portalMessages,
		q.insertMail, q.mailByID, q.markMailSent, q.markMailTried, q.mailsOfTicket, q.useSignupToken,
		q.addParticipant, q.participantsOf,
		q.ticketByMailID, q.isOwnMailID, q.messageByMID, q.isParticipant, q.addAttachment, q.attachmentsOf, q.attachmentByID,
		q.useMailgunTok, q.pruneMailgun, q.settingsPair,
		q.settingByKey, q.settingByKeyTx, q.putSetting, q.addSettingOnce,
		q.countAdmins, q.insertAdmin, q.adminByEmail, q.adminBySession, q.insertSession, q.deleteSession, q.deleteOldSess} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(prefix, cols string) string {
	return prefix + strings.ReplaceAll(cols, ", ", ", "+prefix)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
