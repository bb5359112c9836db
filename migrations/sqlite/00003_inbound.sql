-- +goose Up
-- People other than the requester who took part by mail (To/Cc of the
-- customer's messages); /sendall writes to them too.
CREATE TABLE ticket_participants (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (email = lower(email)),
    name       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, email)
);

-- Attachments of inbound mail, shown on the portal of that ticket.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id);

-- The message as it arrived (before quote stripping), for audit.
ALTER TABLE messages ADD COLUMN original TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN original;
DROP TABLE attachments;
DROP TABLE ticket_participants;
