-- Held inbound mail and the dedup keys of Message-ID-less mail (held.go).
-- These queries are few and run rarely (only for unauthenticated mail that
-- named a ticket, or mail without a Message-ID), so they run unprepared: the
-- fields that name them are strings.

-- name: hold-mail
-- pool: write
INSERT INTO held_mails (ticket_id, dedup_key, provider, from_email, from_name, subject, reason, auth, payload, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {{heldCols}}

-- name: held-mails
-- pool: read
SELECT {{heldCols}} FROM held_mails ORDER BY id LIMIT ?

-- name: held-mail
-- pool: read
SELECT {{heldCols}}, payload FROM held_mails WHERE id = ?

-- name: delete-held-mail
-- pool: write
DELETE FROM held_mails WHERE id = ?

-- name: insert-dedup-key
-- pool: write
INSERT INTO inbound_dedup (dedup_key, ticket_id, created_at) VALUES (?, ?, ?)

-- name: inbound-seen
-- pool: read
SELECT count(*) FROM (
	SELECT 1 AS x FROM messages WHERE ? <> '' AND email_message_id = ?
	UNION ALL SELECT 1 FROM inbound_dedup WHERE ? <> '' AND dedup_key = ?) seen
