-- Inbound mail: threading, attachments, Mailgun replay tokens (inbound.go).

-- name: ticket-by-mail-id
-- pool: read
-- A Message-ID is ours or a customer's that we stored; either way it names
-- its ticket. A sign-in mail is about no ticket (its ticket_id only anchors
-- it for erasure): an answer to it does not thread.
SELECT ticket_id FROM messages WHERE email_message_id = ?
UNION SELECT ticket_id FROM outbound_mails WHERE email_message_id = ? AND kind <> 'signin'

-- name: count-own-mail-id
-- pool: read
SELECT count(*) FROM outbound_mails WHERE email_message_id = ?

-- name: message-by-mail-id
-- pool: write
SELECT {{messageCols}} FROM messages WHERE email_message_id = ?

-- name: count-participant
-- pool: read
-- EXISTS stops at the first match; each branch is one index lookup.
SELECT CASE WHEN
	EXISTS (SELECT 1 FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = ? AND c.email = ?)
	OR EXISTS (SELECT 1 FROM ticket_participants WHERE ticket_id = ? AND email = ?)
	OR EXISTS (SELECT 1 FROM messages WHERE ticket_id = ? AND direction = 'inbound' AND author_email = ?)
THEN 1 ELSE 0 END

-- name: insert-attachment
-- pool: write
INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: attachments-of-ticket
-- pool: read
SELECT id, ticket_id, message_id, filename, content_type, size, created_at FROM attachments WHERE ticket_id = ? ORDER BY id

-- name: attachment-by-id
-- pool: read
SELECT id, ticket_id, message_id, filename, content_type, size, data, created_at FROM attachments WHERE id = ?

-- name: insert-mailgun-token
-- pool: write
INSERT INTO mailgun_tokens (token, expires_at) VALUES (?, ?) ON CONFLICT (token) DO NOTHING

-- name: prune-mailgun-tokens
-- pool: write
DELETE FROM mailgun_tokens WHERE expires_at < ?
