-- +goose Up
-- Status mails (issue 17): a ticket's customer is mailed when it closes and
-- when it opens again. Two new kinds of outbound mail, besides those of
-- 00002 and 00012 (portal_link). SQLite cannot change a CHECK constraint,
-- so outbound_mails is rebuilt: a new table with the wider check, the rows copied with their ids (delivery jobs name them),
-- the old table dropped, the new one renamed and its indexes made again.
-- Nothing references outbound_mails, so the foreign keys stay intact.
CREATE TABLE outbound_mails_new (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link', 'status_closed', 'status_reopened')),
    to_email         TEXT NOT NULL CHECK (to_email = lower(to_email)),
    to_name          TEXT NOT NULL DEFAULT '',
    email_message_id TEXT NOT NULL,
    in_reply_to      TEXT NOT NULL DEFAULT '',
    refs             TEXT NOT NULL DEFAULT '',
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    sent_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL
);
INSERT INTO outbound_mails_new (id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs,
    payload, status, attempts, last_error, sent_at, created_at)
SELECT id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs,
    payload, status, attempts, last_error, sent_at, created_at FROM outbound_mails;
DROP TABLE outbound_mails;
ALTER TABLE outbound_mails_new RENAME TO outbound_mails;
CREATE INDEX outbound_mails_ticket_idx ON outbound_mails (ticket_id, to_email);
CREATE INDEX outbound_mails_email_message_id_idx ON outbound_mails (email_message_id);
CREATE INDEX outbound_mails_to_email_idx ON outbound_mails (to_email);

-- "How did we do?": one answer per customer per ticket, changed in place
-- (updated_at) until the portal link expires. Erasure empties the comment
-- and keeps the score, so the statistics still add up.
CREATE TABLE ticket_ratings (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    score      TEXT NOT NULL CHECK (score IN ('good', 'okay', 'bad')),
    comment    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, contact_id)
);
-- The admin home counts the answers of the last 30 days; the export and
-- erasure find a contact's answers.
CREATE INDEX ticket_ratings_updated_idx ON ticket_ratings (updated_at);
CREATE INDEX ticket_ratings_contact_idx ON ticket_ratings (contact_id);

-- +goose Down
DROP TABLE ticket_ratings;
CREATE TABLE outbound_mails_old (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link')),
    to_email         TEXT NOT NULL CHECK (to_email = lower(to_email)),
    to_name          TEXT NOT NULL DEFAULT '',
    email_message_id TEXT NOT NULL,
    in_reply_to      TEXT NOT NULL DEFAULT '',
    refs             TEXT NOT NULL DEFAULT '',
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    sent_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL
);
INSERT INTO outbound_mails_old (id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs,
    payload, status, attempts, last_error, sent_at, created_at)
SELECT id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs,
    payload, status, attempts, last_error, sent_at, created_at FROM outbound_mails
WHERE kind IN ('confirmation', 'agent_reply', 'portal_link');
DROP TABLE outbound_mails;
ALTER TABLE outbound_mails_old RENAME TO outbound_mails;
CREATE INDEX outbound_mails_ticket_idx ON outbound_mails (ticket_id, to_email);
CREATE INDEX outbound_mails_email_message_id_idx ON outbound_mails (email_message_id);
CREATE INDEX outbound_mails_to_email_idx ON outbound_mails (to_email);
