-- Tickets and their timeline (tickets.go).

-- name: insert-ticket
-- pool: write
INSERT INTO tickets (subject, status, priority, channel, contact_id, requester_id, page_url, page_title, locale, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {{ticketCols}}

-- name: ticket-by-id
-- pool: read
SELECT {{ticketCols}} FROM tickets WHERE id = ?

-- name: list-tickets
-- pool: read
-- Optional filters are written as (? = '' OR ...) so that the query stays
-- static and can be prepared.
SELECT {{ticketCols t}} FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
WHERE (? = '' OR t.status = ?)
  AND (? = '' OR lower(t.subject) LIKE ? ESCAPE '\' OR lower(t.reference) = ? OR c.email LIKE ? ESCAPE '\')
ORDER BY t.id DESC LIMIT ? OFFSET ?

-- name: count-tickets
-- pool: read
SELECT count(*) FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
WHERE (? = '' OR t.status = ?)
  AND (? = '' OR lower(t.subject) LIKE ? ESCAPE '\' OR lower(t.reference) = ? OR c.email LIKE ? ESCAPE '\')

-- name: insert-message
-- pool: write
INSERT INTO messages (ticket_id, direction, source, author_name, author_email, body, email_message_id, original, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {{messageCols}}

-- name: messages-of-ticket
-- pool: read
SELECT {{messageCols}} FROM messages WHERE ticket_id = ? ORDER BY id

-- name: portal-links-of-ticket
-- pool: read
SELECT {{linkCols}} FROM portal_links WHERE ticket_id = ? ORDER BY id
