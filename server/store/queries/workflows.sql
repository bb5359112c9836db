-- Workflows' bookkeeping: rules, tags on tickets, the events evaluated, the
-- runs of matching rules and their delayed chains (workflows.go). Statuses
-- of runs and states of delays are parameters: server/workflows names them.

-- name: workflow-rules
-- pool: read
SELECT {{workflowRuleCols}} FROM workflow_rules ORDER BY position, id

-- name: workflow-rule-by-id
-- pool: write
SELECT {{workflowRuleCols}} FROM workflow_rules WHERE id = ?

-- name: insert-workflow-rule
-- pool: write
INSERT INTO workflow_rules (name, event, conditions, actions, stop_processing, enabled, position, webhook_secret, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM workflow_rules), ?, ?, ?) RETURNING {{workflowRuleCols}}

-- name: update-workflow-rule
-- pool: write
UPDATE workflow_rules SET name = ?, event = ?, conditions = ?, actions = ?, stop_processing = ?, enabled = ?,
	webhook_secret = ?, version = version + 1, updated_at = ? WHERE id = ? RETURNING {{workflowRuleCols}}

-- name: set-workflow-rule-enabled
-- pool: write
UPDATE workflow_rules SET enabled = ?, updated_at = ? WHERE id = ? RETURNING {{workflowRuleCols}}

-- name: set-workflow-rule-position
-- pool: write
UPDATE workflow_rules SET position = ?, updated_at = ? WHERE id = ?

-- name: delete-workflow-rule
-- pool: write
DELETE FROM workflow_rules WHERE id = ?

-- name: ticket-by-id-tx
-- pool: write
SELECT {{ticketCols}} FROM tickets WHERE id = ?

-- name: set-ticket-priority
-- pool: write
UPDATE tickets SET priority = ?, updated_at = ? WHERE id = ? RETURNING {{ticketCols}}

-- name: add-ticket-tag
-- pool: write
INSERT INTO ticket_tags (ticket_id, tag, created_at) VALUES (?, ?, ?) ON CONFLICT (ticket_id, tag) DO NOTHING

-- name: remove-ticket-tag
-- pool: write
DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?

-- name: ticket-tags
-- pool: read
SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag

-- name: ticket-tags-tx
-- pool: write
SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag

-- name: first-inbound-body
-- pool: read
SELECT body FROM messages WHERE ticket_id = ? AND direction = 'inbound' ORDER BY id LIMIT 1

-- name: last-inbound-message-id
-- pool: write
SELECT COALESCE(MAX(id), 0) FROM messages WHERE ticket_id = ? AND direction = 'inbound'

-- name: count-pending-github-issue
-- pool: read
SELECT count(*) FROM github_posts WHERE key = ? AND github_id IS NULL

-- name: insert-workflow-event
-- pool: write
INSERT INTO workflow_events (event_key, ticket_id, handled_at) VALUES (?, ?, ?) ON CONFLICT (event_key) DO NOTHING

-- name: prune-workflow-events
-- pool: write
DELETE FROM workflow_events WHERE handled_at < ?

-- name: prune-workflow-runs
-- pool: write
DELETE FROM workflow_runs WHERE finished_at < ?

-- name: insert-workflow-run
-- pool: write
INSERT INTO workflow_runs (rule_id, rule_name, ticket_id, event, event_key, depth, actions, next_step, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING {{workflowRunCols}}

-- name: workflow-run-by-id
-- pool: read
-- due_at is that of the run's delay in the state given (pending).
SELECT {{workflowRunCols r}}, d.due_at FROM workflow_runs r
LEFT JOIN workflow_delays d ON d.run_id = r.id AND d.state = ? WHERE r.id = ?

-- name: workflow-run-by-id-tx
-- pool: write
SELECT {{workflowRunCols}} FROM workflow_runs WHERE id = ?

-- name: advance-workflow-run
-- pool: write
-- A step moves a run forward exactly once: a second try finds next_step (or
-- the status) moved on and changes nothing.
UPDATE workflow_runs SET next_step = ?, status = ?, finished_at = ?, updated_at = ?
WHERE id = ? AND next_step = ? AND status = ?

-- name: finish-workflow-run
-- pool: write
-- finished_at is set exactly when a run has ended.
UPDATE workflow_runs SET status = ?, error = ?, finished_at = ?, updated_at = ?
WHERE id = ? AND finished_at IS NULL

-- name: move-workflow-run
-- pool: write
UPDATE workflow_runs SET status = ?, updated_at = ? WHERE id = ? AND status = ?

-- name: set-workflow-run-error
-- pool: write
UPDATE workflow_runs SET error = ?, updated_at = ? WHERE id = ?

-- name: fail-workflow-run
-- pool: write
UPDATE workflow_runs SET status = ?, error = ?, finished_at = COALESCE(finished_at, ?), updated_at = ? WHERE id = ?

-- name: list-workflow-runs
-- pool: read
-- Optional filters are written as (? = 0 OR ...) so that the query stays
-- static and can be prepared.
SELECT {{workflowRunCols r}}, d.due_at FROM workflow_runs r
LEFT JOIN workflow_delays d ON d.run_id = r.id AND d.state = ?
WHERE (? = 0 OR r.rule_id = ?) AND (? = 0 OR r.ticket_id = ?) AND (? = 0 OR r.id < ?)
ORDER BY r.id DESC LIMIT ?

-- name: insert-workflow-delay
-- pool: write
INSERT INTO workflow_delays (run_id, rule_id, ticket_id, due_at, after_message_id, state, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {{workflowDelayCols}}

-- name: workflow-delay-by-id-tx
-- pool: write
SELECT {{workflowDelayCols}} FROM workflow_delays WHERE id = ?

-- name: set-workflow-delay-state
-- pool: write
UPDATE workflow_delays SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state = ?

-- name: cancel-workflow-delays-of-ticket
-- pool: write
UPDATE workflow_delays SET state = ?, reason = ?, updated_at = ?
WHERE ticket_id = ? AND state = ? RETURNING run_id

-- name: cancel-workflow-delays-of-rule
-- pool: write
UPDATE workflow_delays SET state = ?, reason = ?, updated_at = ?
WHERE rule_id = ? AND state = ? RETURNING run_id

-- name: cancel-workflow-delays-of-rule-on-ticket
-- pool: write
UPDATE workflow_delays SET state = ?, reason = ?, updated_at = ?
WHERE rule_id = ? AND ticket_id = ? AND state = ? RETURNING run_id

-- name: count-workflow-delays-of-ticket
-- pool: read
SELECT count(*) FROM workflow_delays WHERE ticket_id = ? AND state = ?

-- name: workflow-runs-of-event
-- pool: read
SELECT id FROM workflow_runs WHERE ticket_id = ? AND event_key = ? AND status = ? ORDER BY id
