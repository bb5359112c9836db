-- +goose Up
-- Issue 17. Where a widget ticket was filed from: the page's URL and title
-- and the browser's language ('' when unknown: mail tickets, older tickets).
-- Erasure empties them with the rest of the ticket.
ALTER TABLE tickets ADD COLUMN page_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN page_title TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN locale TEXT NOT NULL DEFAULT '';

-- "My tickets": a one-time sign-in link mailed to a customer, and the short
-- session it opens. Only SHA-256 hashes of the tokens are stored. A used
-- token keeps its row (used_at) until it is pruned a day after it expired,
-- so that a second click says "used" rather than "unknown".
CREATE TABLE portal_signin_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX portal_signin_tokens_expires_idx ON portal_signin_tokens (expires_at);

CREATE TABLE portal_sessions (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX portal_sessions_expires_idx ON portal_sessions (expires_at);

-- The sign-in mail is a new kind of outbound mail (besides those of 00012
-- and 00013's status mails). SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt (nothing references it).
CREATE TABLE outbound_mails_new (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link', 'status_closed', 'status_reopened', 'signin')),
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

-- +goose Down
DELETE FROM outbound_mails WHERE kind = 'signin';
CREATE TABLE outbound_mails_old (
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
INSERT INTO outbound_mails_old SELECT id, ticket_id, message_id, kind, to_email, to_name, email_message_id, in_reply_to, refs,
    payload, status, attempts, last_error, sent_at, created_at FROM outbound_mails;
DROP TABLE outbound_mails;
ALTER TABLE outbound_mails_old RENAME TO outbound_mails;
CREATE INDEX outbound_mails_ticket_idx ON outbound_mails (ticket_id, to_email);
CREATE INDEX outbound_mails_email_message_id_idx ON outbound_mails (email_message_id);
CREATE INDEX outbound_mails_to_email_idx ON outbound_mails (to_email);
DROP TABLE portal_sessions;
DROP TABLE portal_signin_tokens;
ALTER TABLE tickets DROP COLUMN locale;
ALTER TABLE tickets DROP COLUMN page_title;
ALTER TABLE tickets DROP COLUMN page_url;
