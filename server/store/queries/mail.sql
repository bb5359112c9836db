-- Outbound mail (mail.go).

-- name: insert-mail
-- pool: write
INSERT INTO outbound_mails (ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs, payload, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {{mailCols}}

-- name: mail-by-id
-- pool: read
SELECT {{mailCols}} FROM outbound_mails WHERE id = ?

-- name: mark-mail-sent
-- pool: write
UPDATE outbound_mails SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ? AND status = 'pending'

-- name: mark-mail-tried
-- pool: write
UPDATE outbound_mails SET status = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'

-- name: mails-of-ticket
-- pool: read
SELECT {{mailCols}} FROM outbound_mails WHERE ticket_id = ? ORDER BY id
