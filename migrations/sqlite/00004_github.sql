-- +goose Up
-- Webhook deliveries accepted, by X-GitHub-Delivery: a redelivery is answered
-- and does nothing. Rows older than 30 days are pruned as new ones arrive.
CREATE TABLE github_deliveries (
    delivery_id TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX github_deliveries_received_idx ON github_deliveries (received_at);

-- What portico posts to GitHub (an issue per ticket, a comment per customer
-- reply, a notice per failed command), one row per post keyed by what it is
-- for. The row is inserted with the job that posts it, so a second request
-- never queues a second job; github_id (issue number or comment id) is set
-- once GitHub accepted the post, so a retried job never posts twice.
CREATE TABLE github_posts (
    key        TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    github_id  INTEGER,
    created_at TIMESTAMP NOT NULL,
    posted_at  TIMESTAMP
);
CREATE INDEX github_posts_ticket_idx ON github_posts (ticket_id);

-- Agent comments portico acted on (a reply sent, a note stored, a failed
-- command explained), recorded in the transaction that acted: each comment
-- acts once, however often its webhook or job runs.
CREATE TABLE github_comments (
    comment_id INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'note', 'failed')),
    message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX github_comments_ticket_idx ON github_comments (ticket_id);

-- The issue state change last applied to each ticket (the issue's updated_at,
-- Unix seconds): a close or reopen that arrives after a newer one is ignored.
CREATE TABLE github_issue_states (
    ticket_id  INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    changed_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE github_issue_states;
DROP TABLE github_comments;
DROP TABLE github_posts;
DROP TABLE github_deliveries;
