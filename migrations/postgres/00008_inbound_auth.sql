-- +goose Up
-- Inbound mail whose sender did not pass SPF/DKIM/DMARC but that would have
-- threaded into an existing ticket by its headers or subject, kept for an
-- agent to release or discard when the runtime setting
-- inbound.unauthenticated is "hold" (issue 13). payload is the parsed mail
-- as JSON; dedup_key (the Message-ID, or the synthetic key of a mail without
-- one) keeps a provider retry from holding it twice.
CREATE TABLE held_mails (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    dedup_key  TEXT NOT NULL UNIQUE,
    provider   TEXT NOT NULL,
    from_email TEXT NOT NULL,
    from_name  TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL,
    auth       TEXT NOT NULL DEFAULT '{}',
    payload    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Inbound mail without a Message-ID, by the hash of its provider id or
-- content: a provider retry of the same post files nothing twice.
CREATE TABLE inbound_dedup (
    dedup_key  TEXT PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE inbound_dedup;
DROP TABLE held_mails;
