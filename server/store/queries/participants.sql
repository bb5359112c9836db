-- People who took part in a ticket by mail (participants.go).

-- name: add-participant
-- pool: write
INSERT INTO ticket_participants (ticket_id, email, name, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (ticket_id, email) DO UPDATE SET name = CASE WHEN ticket_participants.name = '' THEN excluded.name ELSE ticket_participants.name END

-- name: participants-of-ticket
-- pool: read
SELECT ticket_id, email, name, created_at FROM ticket_participants WHERE ticket_id = ? ORDER BY created_at, email
