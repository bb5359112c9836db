-- Portal links, closing and reopening, mail threading, signup tokens
-- (portal.go).

-- name: upsert-portal-link
-- pool: write
INSERT INTO portal_links (ticket_id, email, created_at) VALUES (?, ?, ?)
ON CONFLICT (ticket_id, email) DO UPDATE SET email = excluded.email RETURNING {{linkCols}}

-- name: insert-portal-token
-- pool: write
INSERT INTO portal_tokens (link_id, token_hash, created_at) VALUES (?, ?, ?)

-- name: portal-link-by-token
-- pool: read
SELECT {{linkCols l}} FROM portal_tokens t JOIN portal_links l ON l.id = t.link_id WHERE t.token_hash = ?

-- name: revoke-portal-links
-- pool: write
UPDATE portal_links SET revoked_at = ? WHERE ticket_id = ? AND revoked_at IS NULL

-- name: portal-messages
-- pool: read
-- A customer sees what they sent and what was mailed to them; agent notes
-- and mails to other participants stay out.
SELECT {{messageCols m}} FROM messages m WHERE m.ticket_id = ?
	AND ((m.direction = 'inbound' AND m.author_email = ?)
	  OR (m.direction = 'outbound' AND EXISTS (SELECT 1 FROM outbound_mails o WHERE o.message_id = m.id AND o.to_email = ?)))
ORDER BY m.id

-- name: close-ticket
-- pool: write
UPDATE tickets SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ? AND status = 'open'

-- name: reopen-ticket
-- pool: write
UPDATE tickets SET status = 'open', closed_at = NULL, updated_at = ? WHERE id = ? AND status = 'closed'

-- name: set-message-email-id
-- pool: write
UPDATE messages SET email_message_id = ? WHERE id = ?

-- name: thread-message-ids
-- pool: write
SELECT email_message_id FROM messages WHERE ticket_id = ? AND email_message_id IS NOT NULL ORDER BY id

-- name: use-signup-token
-- pool: write
INSERT INTO signup_tokens_used (nonce_hash, contact_id, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce_hash) DO NOTHING
