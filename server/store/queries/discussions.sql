-- GitHub Discussions as the agents' desk: the discussion of each ticket
-- mirrored to one, the node ids of posts, and the agents' discussion
-- comments acted on (discussions.go).

-- name: insert-github-discussion
-- pool: write
INSERT INTO github_discussions (ticket_id, number, node_id, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (ticket_id) DO NOTHING

-- name: github-discussion-of-ticket
-- pool: read
SELECT ticket_id, number, node_id, created_at FROM github_discussions WHERE ticket_id = ?

-- name: ticket-by-github-discussion
-- pool: read
SELECT {{ticketCols t}} FROM tickets t JOIN github_discussions d ON d.ticket_id = t.id WHERE d.number = ?

-- name: finish-github-node-post
-- pool: write
UPDATE github_posts SET github_id = ?, node_id = ?, posted_at = ? WHERE key = ? AND posted_at IS NULL

-- name: github-node-post-by-key
-- pool: read
SELECT {{githubPostCols}}, node_id FROM github_posts WHERE key = ?

-- name: insert-github-discussion-comment
-- pool: write
INSERT INTO github_discussion_comments (comment_id, node_id, ticket_id, outcome, message_id, detail, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (comment_id) DO NOTHING

-- name: github-discussion-comment-by-id
-- pool: read
SELECT comment_id, node_id, ticket_id, outcome, message_id, detail, created_at
FROM github_discussion_comments WHERE comment_id = ?

-- name: github-discussion-posts-of-ticket
-- pool: write
-- What a redaction edits: portico's discussion and its comments on it.
SELECT {{githubPostCols}}, node_id FROM github_posts
WHERE ticket_id = ? AND key LIKE 'discussion%' ORDER BY created_at, key

-- name: github-discussion-agent-comments-of-ticket
-- pool: write
SELECT node_id FROM github_discussion_comments WHERE ticket_id = ? AND outcome IN ('sent', 'note') ORDER BY comment_id

-- name: github-issue-state-of-ticket
-- pool: read
SELECT state, changed_at FROM github_issue_states WHERE ticket_id = ?
