-- "My tickets" (issue 17): sign-in tokens, portal sessions and the list of
-- a contact's tickets (signin.go). Tokens are looked up by their SHA-256.

-- name: live-contact-by-email
-- pool: read
SELECT {{contactCols}} FROM contacts WHERE email = ? AND erased_at IS NULL

-- name: latest-live-ticket-of
-- pool: read
SELECT id FROM tickets WHERE contact_id = ? AND erased_at IS NULL ORDER BY id DESC LIMIT 1

-- name: count-live-contact
-- pool: write
SELECT count(*) FROM contacts WHERE id = ? AND email = ? AND erased_at IS NULL

-- name: insert-signin-token
-- pool: write
INSERT INTO portal_signin_tokens (token_hash, contact_id, created_at, expires_at) VALUES (?, ?, ?, ?)

-- name: prune-signin-tokens
-- pool: write
DELETE FROM portal_signin_tokens WHERE expires_at < ?

-- name: signin-token-state
-- pool: read
-- live is 1 while the token can still be used.
SELECT CASE WHEN t.used_at IS NULL AND t.expires_at > ? AND c.erased_at IS NULL THEN 1 ELSE 0 END
FROM portal_signin_tokens t JOIN contacts c ON c.id = t.contact_id WHERE t.token_hash = ?

-- name: use-signin-token
-- pool: write
-- The one statement that spends a token: of two concurrent uses exactly one
-- gets the contact back.
UPDATE portal_signin_tokens SET used_at = ?
WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
	AND contact_id IN (SELECT id FROM contacts WHERE erased_at IS NULL)
RETURNING contact_id

-- name: insert-portal-session
-- pool: write
INSERT INTO portal_sessions (token_hash, contact_id, created_at, expires_at) VALUES (?, ?, ?, ?)

-- name: prune-portal-sessions
-- pool: write
DELETE FROM portal_sessions WHERE expires_at <= ?

-- name: portal-session
-- pool: read
SELECT {{contactCols c}}, s.expires_at FROM portal_sessions s JOIN contacts c ON c.id = s.contact_id
WHERE s.token_hash = ? AND s.expires_at > ? AND c.erased_at IS NULL

-- name: delete-portal-session
-- pool: write
DELETE FROM portal_sessions WHERE token_hash = ?

-- name: contact-tickets
-- pool: read
-- A contact's tickets, newest first, each with its last message the
-- customer may see (not internal notes) and the contact's portal link.
SELECT {{ticketCols t}}, m.created_at AS last_message_at, l.id AS link_id, l.revoked_at AS link_revoked_at
FROM tickets t
LEFT JOIN messages m ON m.id = (SELECT max(x.id) FROM messages x WHERE x.ticket_id = t.id AND x.direction <> 'internal')
LEFT JOIN portal_links l ON l.ticket_id = t.id AND l.email = ?
WHERE t.contact_id = ? AND t.erased_at IS NULL
ORDER BY t.id DESC LIMIT ?

-- name: contact-ticket
-- pool: read
SELECT {{ticketCols t}}, m.created_at AS last_message_at, l.id AS link_id, l.revoked_at AS link_revoked_at
FROM tickets t
LEFT JOIN messages m ON m.id = (SELECT max(x.id) FROM messages x WHERE x.ticket_id = t.id AND x.direction <> 'internal')
LEFT JOIN portal_links l ON l.ticket_id = t.id AND l.email = ?
WHERE t.id = ? AND t.contact_id = ? AND t.erased_at IS NULL
