-- Status mails and ratings (ratings.go, issue 17).

-- name: status-mail-recipient
-- pool: write
-- Who a status mail goes to: the ticket's customer, unless the ticket or
-- the contact is erased, and only when portico mailed that address about
-- this ticket before (a status mail is never the first mail to an address:
-- an unauthenticated mail that opened a ticket got no confirmation).
SELECT {{contactCols c}} FROM tickets t JOIN contacts c ON c.id = t.contact_id
WHERE t.id = ? AND t.erased_at IS NULL AND c.erased_at IS NULL
	AND EXISTS (SELECT 1 FROM outbound_mails o WHERE o.ticket_id = t.id AND o.to_email = c.email)

-- name: upsert-rating
-- pool: write
-- One answer per (ticket, contact); a different answer replaces it. No row
-- comes back when the answer is the one stored already.
INSERT INTO ticket_ratings (ticket_id, contact_id, score, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (ticket_id, contact_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, updated_at = excluded.updated_at
WHERE ticket_ratings.score <> excluded.score OR ticket_ratings.comment <> excluded.comment
RETURNING {{ratingCols}}

-- name: rating-of-tx
-- pool: write
SELECT {{ratingCols}} FROM ticket_ratings WHERE ticket_id = ? AND contact_id = ?

-- name: rating-of
-- pool: read
SELECT {{ratingCols}} FROM ticket_ratings WHERE ticket_id = ? AND contact_id = ?

-- name: rating-by-id
-- pool: read
SELECT {{ratingCols}} FROM ticket_ratings WHERE id = ?

-- name: ratings-of-ticket
-- pool: read
SELECT {{ratingCols}} FROM ticket_ratings WHERE ticket_id = ? ORDER BY id

-- name: rating-counts
-- pool: read
-- Answers given (or last changed) since a time, by score.
SELECT
	COALESCE(SUM(CASE WHEN score = 'good' THEN 1 ELSE 0 END), 0) AS good,
	COALESCE(SUM(CASE WHEN score = 'okay' THEN 1 ELSE 0 END), 0) AS okay,
	COALESCE(SUM(CASE WHEN score = 'bad' THEN 1 ELSE 0 END), 0) AS bad
FROM ticket_ratings WHERE updated_at >= ?

-- name: erase-ticket-ratings
-- pool: write
-- Erasure keeps the score (statistics) and empties what the customer wrote.
UPDATE ticket_ratings SET comment = '' WHERE ticket_id = ? AND comment <> ''

-- name: erase-contact-ratings
-- pool: write
UPDATE ticket_ratings SET comment = '' WHERE contact_id = ? AND comment <> ''
