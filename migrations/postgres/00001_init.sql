-- +goose Up
CREATE TABLE contacts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email <> ''),
    name       TEXT NOT NULL DEFAULT '',
    user_id    BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_user_id_idx ON contacts (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE tickets (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference           TEXT GENERATED ALWAYS AS ('TK-' || id::text) STORED,
    subject             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    priority            TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('widget', 'email', 'portal')),
    contact_id          BIGINT REFERENCES contacts (id),
    requester_id        BIGINT NOT NULL DEFAULT 0,
    closed_at           TIMESTAMPTZ,
    github_issue_number BIGINT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX tickets_contact_id_idx ON tickets (contact_id);
CREATE INDEX tickets_status_created_idx ON tickets (status, id DESC);
CREATE UNIQUE INDEX tickets_github_issue_idx ON tickets (github_issue_number) WHERE github_issue_number IS NOT NULL;

CREATE TABLE messages (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id        BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    source           TEXT NOT NULL CHECK (source IN ('widget', 'email', 'portal', 'github')),
    author_name      TEXT NOT NULL DEFAULT '',
    author_email     TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL,
    email_message_id TEXT UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_ticket_idx ON messages (ticket_id, id);

CREATE TABLE portal_links (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (email = lower(email)),
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (ticket_id, email)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE admins (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id   BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE sessions;
DROP TABLE admins;
DROP TABLE settings;
DROP TABLE portal_links;
DROP TABLE messages;
DROP TABLE tickets;
DROP TABLE contacts;
