-- The GitHub sync's bookkeeping: webhook deliveries seen, posts made to
-- GitHub, agent comments acted on and the issue state last applied
-- (github.go).

-- name: insert-github-delivery
-- pool: write
INSERT INTO github_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)
ON CONFLICT (delivery_id) DO NOTHING

-- name: prune-github-deliveries
-- pool: write
DELETE FROM github_deliveries WHERE received_at < ?

-- name: insert-github-post
-- pool: write
INSERT INTO github_posts (key, ticket_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING

-- name: github-post-by-key
-- pool: read
SELECT {{githubPostCols}} FROM github_posts WHERE key = ?

-- name: finish-github-post
-- pool: write
UPDATE github_posts SET github_id = ?, posted_at = ? WHERE key = ? AND posted_at IS NULL

-- name: set-github-issue-number
-- pool: write
UPDATE tickets SET github_issue_number = ?, updated_at = ? WHERE id = ? AND github_issue_number IS NULL

-- name: ticket-by-github-issue
-- pool: read
SELECT {{ticketCols}} FROM tickets WHERE github_issue_number = ?

-- name: message-by-id
-- pool: read
SELECT {{messageCols}} FROM messages WHERE id = ?

-- name: insert-github-comment
-- pool: write
INSERT INTO github_comments (comment_id, ticket_id, outcome, message_id, detail, created_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (comment_id) DO NOTHING

-- name: github-comment-by-id
-- pool: read
SELECT comment_id, ticket_id, outcome, message_id, detail, created_at FROM github_comments WHERE comment_id = ?

-- name: advance-github-issue-state
-- pool: write
-- Moves the ticket's issue state forward; no row comes back when a newer
-- change was applied already, or when this very change was (the same state
-- at the same time: a redelivery, or the echo of a change portico made).
INSERT INTO github_issue_states (ticket_id, state, changed_at) VALUES (?, ?, ?)
ON CONFLICT (ticket_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at
WHERE github_issue_states.changed_at < excluded.changed_at
   OR (github_issue_states.changed_at = excluded.changed_at AND github_issue_states.state <> excluded.state)
RETURNING ticket_id

-- name: ticket-and-issue-state
-- pool: read
-- One statement, so that both come from one snapshot: the ticket's status
-- and its issue's state as last seen or set ('' when it never changed).
SELECT t.status, COALESCE(s.state, '') AS issue_state
FROM tickets t LEFT JOIN github_issue_states s ON s.ticket_id = t.id WHERE t.id = ?

-- name: delete-github-post
-- pool: write
-- Releases a key whose job will never post (cancelled, or taken over by a
-- backfill); a post GitHub accepted stays.
DELETE FROM github_posts WHERE key = ? AND posted_at IS NULL

-- name: tickets-without-issue
-- pool: read
-- Tickets the backfill may give an issue: none yet, not erased, and not on
-- another desk (a post keyed prefix || id, e.g. discussion:12).
SELECT t.id FROM tickets t
WHERE t.github_issue_number IS NULL AND t.erased_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM github_posts p WHERE p.key = CAST(? AS TEXT) || CAST(t.id AS TEXT))
ORDER BY t.id

-- name: count-erased-without-issue
-- pool: read
SELECT count(*) FROM tickets WHERE github_issue_number IS NULL AND erased_at IS NOT NULL

-- name: ticket-erased
-- pool: read
SELECT erased_at IS NOT NULL FROM tickets WHERE id = ?
