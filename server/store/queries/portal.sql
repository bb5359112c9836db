-- Portal links, closing and reopening, mail threading, signup tokens
-- (portal.go).

-- name: upsert-portal-link
-- pool: write
-- A token issued after a revoke makes the link active again.
INSERT INTO portal_links (ticket_id, email, created_at) VALUES (?, ?, ?)
ON CONFLICT (ticket_id, email) DO UPDATE SET revoked_at = NULL RETURNING {{linkCols}}

-- name: insert-portal-token
-- pool: write
INSERT INTO portal_tokens (link_id, token_hash, created_at) VALUES (?, ?, ?)

-- name: portal-link-by-token
-- pool: read
-- The link as this token sees it: revoked when the token was.
SELECT l.id, l.ticket_id, l.email, t.revoked_at, l.created_at
FROM portal_tokens t JOIN portal_links l ON l.id = t.link_id WHERE t.token_hash = ?

-- name: revoke-portal-links
-- pool: write
UPDATE portal_links SET revoked_at = ? WHERE ticket_id = ? AND revoked_at IS NULL

-- name: revoke-portal-tokens
-- pool: write
UPDATE portal_tokens SET revoked_at = ?
WHERE revoked_at IS NULL AND link_id IN (SELECT id FROM portal_links WHERE ticket_id = ?)

-- name: portal-link-facts
-- pool: write
-- What decides whether a mail about the ticket may carry a link to it.
SELECT CASE WHEN t.erased_at IS NOT NULL THEN 1 ELSE 0 END AS ticket_erased,
	CASE WHEN t.portal_stopped_at IS NOT NULL THEN 1 ELSE 0 END AS portal_stopped,
	CASE WHEN EXISTS (SELECT 1 FROM contacts c WHERE c.email = ? AND c.erased_at IS NOT NULL) THEN 1 ELSE 0 END AS contact_erased
FROM tickets t WHERE t.id = ?

-- name: stop-portal
-- pool: write
UPDATE tickets SET portal_stopped_at = ?, updated_at = ? WHERE id = ? AND portal_stopped_at IS NULL

-- name: resume-portal
-- pool: write
UPDATE tickets SET portal_stopped_at = NULL, updated_at = ? WHERE id = ? AND portal_stopped_at IS NOT NULL

-- name: on-ticket
-- pool: read
-- Whether an address is on the ticket: its requester, a participant, or
-- someone a mail about it went to (who has a link).
SELECT CASE WHEN
	EXISTS (SELECT 1 FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = ? AND c.email = ?)
	OR EXISTS (SELECT 1 FROM ticket_participants WHERE ticket_id = ? AND email = ?)
	OR EXISTS (SELECT 1 FROM portal_links WHERE ticket_id = ? AND email = ?)
THEN 1 ELSE 0 END

-- name: address-known
-- pool: read
SELECT CASE WHEN EXISTS (SELECT 1 FROM contacts WHERE email = ?)
	OR EXISTS (SELECT 1 FROM ticket_participants WHERE email = ?) THEN 1 ELSE 0 END

-- name: add-message-recipient
-- pool: write
INSERT INTO message_recipients (message_id, email) VALUES (?, ?) ON CONFLICT (message_id, email) DO NOTHING

-- name: portal-messages
-- pool: read
-- A customer sees what they sent, the customers' mails they were on (To or
-- Cc) and what was mailed to them; agent notes and mails to other
-- participants stay out.
SELECT {{messageCols m}} FROM messages m WHERE m.ticket_id = ?
	AND ((m.direction = 'inbound' AND (m.author_email = ?
	      OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.email = ?)))
	  OR (m.direction = 'outbound' AND EXISTS (SELECT 1 FROM outbound_mails o WHERE o.message_id = m.id AND o.to_email = ?)))
ORDER BY m.id

-- name: reply-payloads-to
-- pool: read
-- The agent replies mailed to one address on a ticket, as queued: the
-- portal shows each as its mail did.
SELECT message_id, payload FROM outbound_mails
WHERE ticket_id = ? AND to_email = ? AND kind = 'agent_reply' AND message_id IS NOT NULL ORDER BY id

-- name: close-ticket
-- pool: write
UPDATE tickets SET status = 'closed', closed_at = ?, portal_retention = ?, updated_at = ? WHERE id = ? AND status = 'open'

-- name: reopen-ticket
-- pool: write
UPDATE tickets SET status = 'open', closed_at = NULL, portal_retention = NULL, updated_at = ? WHERE id = ? AND status = 'closed'

-- name: set-message-email-id
-- pool: write
UPDATE messages SET email_message_id = ? WHERE id = ?

-- name: thread-message-ids
-- pool: write
SELECT email_message_id FROM messages WHERE ticket_id = ? AND email_message_id IS NOT NULL ORDER BY id

-- name: use-signup-token
-- pool: write
INSERT INTO signup_tokens_used (nonce_hash, contact_id, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce_hash) DO NOTHING
