-- Privacy: what an export reads, what erasure and the retention purge
-- overwrite, and the audit of both (privacy.go). What erased data is
-- replaced with (subject, addresses) comes as parameters: server/privacy
-- chooses it.

-- name: privacy-contact
-- pool: read
SELECT {{contactCols}}, erased_at FROM contacts WHERE id = ?

-- name: tickets-of-person
-- pool: read
-- The tickets a person filed, and those they took part in: as a
-- participant, as the author of a message, through a portal link or as the
-- recipient of a mail.
SELECT {{ticketCols}}, erased_at FROM tickets WHERE contact_id = ?
	OR id IN (SELECT ticket_id FROM ticket_participants WHERE email = ?)
	OR id IN (SELECT ticket_id FROM messages WHERE direction = 'inbound' AND author_email = ?)
	OR id IN (SELECT ticket_id FROM portal_links WHERE email = ?)
	OR id IN (SELECT ticket_id FROM outbound_mails WHERE to_email = ?)
ORDER BY id

-- name: privacy-messages
-- pool: read
SELECT {{messageCols}}, original FROM messages WHERE ticket_id = ? ORDER BY id

-- name: privacy-audit-of-contact
-- pool: read
SELECT {{auditCols}} FROM privacy_audit WHERE contact_id = ? ORDER BY id

-- name: insert-privacy-audit
-- pool: write
INSERT INTO privacy_audit (action, contact_id, ticket_id, actor, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)

-- name: mark-contact-erased
-- pool: write
-- The gate of an erasure: only one caller gets the row back, with the
-- address it had (it is replaced later in the same transaction).
UPDATE contacts SET erased_at = ?, updated_at = ? WHERE id = ? AND erased_at IS NULL RETURNING {{contactCols}}

-- name: privacy-contact-tx
-- pool: write
SELECT {{contactCols}}, erased_at FROM contacts WHERE id = ?

-- name: pseudonymize-contact
-- pool: write
UPDATE contacts SET email = ?, name = '', user_id = NULL, locale = '', updated_at = ? WHERE id = ? RETURNING {{contactCols}}

-- name: clear-requester
-- pool: write
UPDATE tickets SET requester_id = 0, updated_at = ? WHERE contact_id = ? AND requester_id = ?

-- name: live-ticket-ids
-- pool: write
SELECT id FROM tickets WHERE contact_id = ? AND erased_at IS NULL ORDER BY id

-- name: count-live-tickets
-- pool: write
SELECT count(*) FROM tickets WHERE contact_id = ? AND erased_at IS NULL

-- name: authored-messages
-- pool: write
SELECT id, ticket_id FROM messages WHERE direction = 'inbound' AND author_email = ? ORDER BY id

-- What one person left on tickets, by email.

-- name: erase-authored-attachments
-- pool: write
DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE direction = 'inbound' AND author_email = ?)

-- name: erase-authored-messages
-- pool: write
UPDATE messages SET body = '', original = '', author_name = '', author_email = '', email_message_id = NULL
WHERE direction = 'inbound' AND author_email = ?

-- name: erase-participant
-- pool: write
DELETE FROM ticket_participants WHERE email = ?

-- name: erase-recipient-of
-- pool: write
DELETE FROM message_recipients WHERE email = ?

-- name: erase-portal-tokens-of
-- pool: write
DELETE FROM portal_tokens WHERE link_id IN (SELECT id FROM portal_links WHERE email = ?)

-- name: revoke-portal-links-of
-- pool: write
UPDATE portal_links SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL

-- name: rename-portal-links-of
-- pool: write
-- A link keeps its row under prefix || id || suffix: unique per ticket, and
-- no address.
UPDATE portal_links SET email = CAST(? AS TEXT) || CAST(id AS TEXT) || CAST(? AS TEXT) WHERE email = ?

-- name: erase-mails-to
-- pool: write
-- Recipient and content go; a mail still waiting is marked failed so that
-- its delivery job drops it. last_error can quote the address (an SMTP
-- refusal), so it goes too.
UPDATE outbound_mails SET to_email = ?, to_name = '', payload = '{}',
	last_error = CASE WHEN status = 'pending' THEN 'erased' ELSE '' END,
	status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END
WHERE to_email = ?

-- name: erase-held-mails-from
-- pool: write
DELETE FROM held_mails WHERE lower(from_email) = lower(?)

-- A whole ticket.

-- name: mark-ticket-erased
-- pool: write
UPDATE tickets SET subject = ?, page_url = '', page_title = '', locale = '', erased_at = ?, updated_at = ?
WHERE id = ? AND erased_at IS NULL RETURNING {{ticketCols}}

-- name: mark-closed-ticket-erased
-- pool: write
-- The purge's gate also checks that the ticket is still closed since before
-- the cutoff: one reopened meanwhile is left alone.
UPDATE tickets SET subject = ?, page_url = '', page_title = '', locale = '', erased_at = ?, updated_at = ?
WHERE id = ? AND erased_at IS NULL AND status = 'closed' AND closed_at < ? RETURNING {{ticketCols}}

-- name: erase-timeline
-- pool: write
-- The whole timeline: the customer's messages and everything said to or
-- about them (agent replies, internal notes). Agents' names and our own
-- Message-IDs stay; the customer's Message-IDs go.
UPDATE messages SET body = '', original = '',
	author_name = CASE WHEN direction = 'inbound' THEN '' ELSE author_name END, author_email = '',
	email_message_id = CASE WHEN direction = 'inbound' THEN NULL ELSE email_message_id END
WHERE ticket_id = ?

-- name: erase-ticket-attachments
-- pool: write
DELETE FROM attachments WHERE ticket_id = ?

-- name: erase-ticket-participants
-- pool: write
DELETE FROM ticket_participants WHERE ticket_id = ?

-- name: erase-ticket-recipients
-- pool: write
DELETE FROM message_recipients WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?)

-- name: erase-ticket-portal-tokens
-- pool: write
DELETE FROM portal_tokens WHERE link_id IN (SELECT id FROM portal_links WHERE ticket_id = ?)

-- name: rename-ticket-portal-links
-- pool: write
UPDATE portal_links SET email = CAST(? AS TEXT) || CAST(id AS TEXT) || CAST(? AS TEXT) WHERE ticket_id = ?

-- name: erase-ticket-mails
-- pool: write
-- As erase-mails-to.
UPDATE outbound_mails SET to_email = ?, to_name = '', payload = '{}',
	last_error = CASE WHEN status = 'pending' THEN 'erased' ELSE '' END,
	status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END
WHERE ticket_id = ?

-- name: erase-ticket-held-mails
-- pool: write
DELETE FROM held_mails WHERE ticket_id = ?

-- Retention, GitHub redaction, mail delivery.

-- name: purge-candidates
-- pool: read
SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ? AND erased_at IS NULL ORDER BY closed_at, id LIMIT ?

-- name: github-posts-of-ticket
-- pool: write
SELECT {{githubPostCols}} FROM github_posts WHERE ticket_id = ? ORDER BY created_at, key

-- name: github-comments-of-ticket
-- pool: write
SELECT comment_id FROM github_comments WHERE ticket_id = ? AND outcome IN ('sent', 'note') ORDER BY comment_id

-- name: count-pending-mails-to
-- pool: write
SELECT count(*) FROM outbound_mails WHERE ticket_id = ? AND to_email = ? AND status = 'pending'
