-- +goose Up
-- Discussions as a desk (issue 16). A ticket is mirrored either to an issue
-- or to a discussion, never both: the github_posts row of its first post says
-- which ("ticket:N" or "discussion:N"), so switching the desk setting leaves
-- every existing ticket where it is.

-- GraphQL addresses discussions and their comments by node id, which an
-- integer github_id cannot hold: the node id of what a post made, set with
-- github_id once GitHub accepted the post.
ALTER TABLE github_posts ADD COLUMN node_id TEXT;

-- The discussion a ticket is mirrored to (what github_issue_number is for
-- an issue): looked up by number when a webhook arrives.
CREATE TABLE github_discussions (
    ticket_id  INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL UNIQUE,
    node_id    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Agent comments on discussions portico acted on, as github_comments is for
-- issue comments (a separate table: discussion comment ids are not issue
-- comment ids, and a redaction edits them through GraphQL by node id).
CREATE TABLE github_discussion_comments (
    comment_id INTEGER PRIMARY KEY,
    node_id    TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'note', 'failed')),
    message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX github_discussion_comments_ticket_idx ON github_discussion_comments (ticket_id);

-- +goose Down
DROP TABLE github_discussion_comments;
DROP TABLE github_discussions;
ALTER TABLE github_posts DROP COLUMN node_id;
