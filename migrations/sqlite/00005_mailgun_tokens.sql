-- +goose Up
-- Mailgun webhook tokens already seen, so that a captured request cannot be
-- replayed while its timestamp is still fresh.
CREATE TABLE mailgun_tokens (
    token      TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE mailgun_tokens;
