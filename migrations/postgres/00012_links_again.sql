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
ALTER TABLE portal_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
UPDATE portal_tokens t SET revoked_at = l.revoked_at FROM portal_links l
WHERE l.id = t.link_id AND l.revoked_at IS NOT NULL;

-- The portal of one ticket stopped by an admin (every link 404, mails carry
-- no link) until resumed.
ALTER TABLE tickets ADD COLUMN portal_stopped_at TIMESTAMPTZ;

-- The retention in force when the ticket closed, in seconds: a link's 410
-- time is fixed at the close, and a later change of retention_after_close
-- applies to tickets closed after it. NULL while open. Tickets closed
-- before this migration get the setting in force now (default 30 days).
ALTER TABLE tickets ADD COLUMN portal_retention BIGINT;
UPDATE tickets SET portal_retention = COALESCE((
    SELECT CAST(left(r, -1) AS BIGINT) * CASE right(r, 1)
        WHEN 'm' THEN 60 WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 WHEN 'w' THEN 604800 END
    FROM (SELECT value::jsonb ->> 'retention_after_close' AS r FROM settings WHERE key = 'portal') s
), 2592000)
WHERE closed_at IS NOT NULL;

-- Who a customer's mail was addressed to (To and Cc, when the mail was
-- trusted enough for its Cc to join the ticket): a /sendall participant's
-- portal shows the messages they were copied on.
CREATE TABLE message_recipients (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (email = lower(email)),
    PRIMARY KEY (message_id, email)
);
CREATE INDEX message_recipients_email_idx ON message_recipients (email);

-- A new kind of mail: a fresh portal link an admin sends one customer.
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check
    CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link'));

-- +goose Down
DELETE FROM outbound_mails WHERE kind = 'portal_link';
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check CHECK (kind IN ('confirmation', 'agent_reply'));
DROP TABLE message_recipients;
ALTER TABLE tickets DROP COLUMN portal_retention;
ALTER TABLE tickets DROP COLUMN portal_stopped_at;
ALTER TABLE portal_tokens DROP COLUMN revoked_at;
