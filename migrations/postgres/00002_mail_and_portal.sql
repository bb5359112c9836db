-- +goose Up
-- Every mail carries its own portal token; all tokens of a (ticket, email)
-- link share its revocation and expiry. Only SHA-256 hashes are stored.
CREATE TABLE portal_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    link_id    BIGINT NOT NULL REFERENCES portal_links (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_tokens_link_idx ON portal_tokens (link_id);

-- One row per mail to one recipient. The payload holds what the mail says;
-- it is composed (with a fresh portal link) when the delivery job runs.
CREATE TABLE outbound_mails (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id        BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id       BIGINT REFERENCES messages (id) ON DELETE CASCADE,
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
    sent_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbound_mails_ticket_idx ON outbound_mails (ticket_id, to_email);
CREATE INDEX outbound_mails_email_message_id_idx ON outbound_mails (email_message_id);

-- Signup tokens are self-contained (HMAC-signed); this table only records the
-- ones already used, so that each works once.
CREATE TABLE signup_tokens_used (
    nonce_hash BYTEA PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    used_at    TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE signup_tokens_used;
DROP TABLE outbound_mails;
DROP TABLE portal_tokens;
