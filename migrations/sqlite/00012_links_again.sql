-- +goose Up
-- Links that can be issued again (issue 16).
--
-- A revoke ends the tokens issued so far, not the (ticket, email) link for
-- ever: each token has its own revoked_at, and the next mail to the address
-- mints a fresh, working token. portal_links.revoked_at now says "revoked,
-- and nothing issued since" (set by a revoke, cleared by the next token).
-- Erasure still ends a link for good: its tokens are deleted, its address
-- renamed, and no token is minted on an erased ticket or for an erased
-- contact (server/tickets decides).
ALTER TABLE portal_tokens ADD COLUMN revoked_at TIMESTAMP;
UPDATE portal_tokens SET revoked_at = (SELECT l.revoked_at FROM portal_links l WHERE l.id = portal_tokens.link_id)
WHERE link_id IN (SELECT id FROM portal_links WHERE revoked_at IS NOT NULL);

-- The portal of one ticket stopped by an admin (every link 404, mails carry
-- no link) until resumed.
ALTER TABLE tickets ADD COLUMN portal_stopped_at TIMESTAMP;

-- The retention in force when the ticket closed, in seconds: a link's 410
-- time is fixed at the close, and a later change of retention_after_close
-- applies to tickets closed after it. NULL while open. Tickets closed
-- before this migration get the setting in force now (default 30 days).
ALTER TABLE tickets ADD COLUMN portal_retention INTEGER;
UPDATE tickets SET portal_retention = COALESCE((
    SELECT CAST(substr(r, 1, length(r) - 1) AS INTEGER) * CASE substr(r, -1)
        WHEN 'm' THEN 60 WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 WHEN 'w' THEN 604800 END
    FROM (SELECT json_extract(value, '$.retention_after_close') AS r FROM settings WHERE key = 'portal')
), 2592000)
WHERE closed_at IS NOT NULL;

-- Who a customer's mail was addressed to (To and Cc, when the mail was
-- trusted enough for its Cc to join the ticket): a /sendall participant's
-- portal shows the messages they were copied on.
CREATE TABLE message_recipients (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (email = lower(email)),
    PRIMARY KEY (message_id, email)
);
CREATE INDEX message_recipients_email_idx ON message_recipients (email);

-- A new kind of mail: a fresh portal link an admin sends one customer.
-- SQLite cannot change a CHECK in place; nothing references outbound_mails,
-- so the table is rebuilt.
CREATE TABLE outbound_mails_new (
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
DELETE FROM outbound_mails WHERE kind = 'portal_link';
CREATE TABLE outbound_mails_old (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('confirmation', 'agent_reply')),
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
    payload, status, attempts, last_error, sent_at, created_at FROM outbound_mails;
DROP TABLE outbound_mails;
ALTER TABLE outbound_mails_old RENAME TO outbound_mails;
CREATE INDEX outbound_mails_ticket_idx ON outbound_mails (ticket_id, to_email);
CREATE INDEX outbound_mails_email_message_id_idx ON outbound_mails (email_message_id);
CREATE INDEX outbound_mails_to_email_idx ON outbound_mails (to_email);
DROP TABLE message_recipients;
ALTER TABLE tickets DROP COLUMN portal_retention;
ALTER TABLE tickets DROP COLUMN portal_stopped_at;
-- A link revoked under the new rule whose address got a token since stays
-- open under the old one (which had no way to say so).
ALTER TABLE portal_tokens DROP COLUMN revoked_at;
