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
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX portal_signin_tokens_expires_idx ON portal_signin_tokens (expires_at);

CREATE TABLE portal_sessions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_sessions_expires_idx ON portal_sessions (expires_at);

-- The sign-in mail is a new kind of outbound mail (besides those of 00012
-- and 00013's status mails).
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check
    CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link', 'status_closed', 'status_reopened', 'signin'));

-- +goose Down
DELETE FROM outbound_mails WHERE kind = 'signin';
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check
    CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link', 'status_closed', 'status_reopened'));
DROP TABLE portal_sessions;
DROP TABLE portal_signin_tokens;
ALTER TABLE tickets DROP COLUMN locale;
ALTER TABLE tickets DROP COLUMN page_title;
ALTER TABLE tickets DROP COLUMN page_url;
