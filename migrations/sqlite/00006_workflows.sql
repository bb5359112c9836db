-- +goose Up
-- Workflow rules, in the order they are evaluated (position). conditions and
-- actions are JSON, validated by server/workflows before they are stored;
-- version grows with every edit (compiled rules are cached by id and version).
CREATE TABLE workflow_rules (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    event           TEXT NOT NULL,
    conditions      TEXT NOT NULL,
    actions         TEXT NOT NULL,
    stop_processing BOOLEAN NOT NULL DEFAULT 0,
    enabled         BOOLEAN NOT NULL DEFAULT 1,
    position        INTEGER NOT NULL,
    webhook_secret  TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX workflow_rules_event_idx ON workflow_rules (event, position);

-- Tags on tickets (lowercase), set by workflows (add_tag, set_department).
CREATE TABLE ticket_tags (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL CHECK (tag = lower(tag) AND tag <> ''),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag_idx ON ticket_tags (tag);

-- Events the engine evaluated, by event id: an event published twice is
-- evaluated once. Pruned after 30 days.
CREATE TABLE workflow_events (
    event_key  TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    handled_at TIMESTAMP NOT NULL
);
CREATE INDEX workflow_events_handled_idx ON workflow_events (handled_at);

-- One run per rule that matched an event: the actions as they were when it
-- matched, and how far it got (next_step). A step is marked done in the
-- transaction that carries it out, so a retried job never repeats one.
-- AUTOINCREMENT: a run id names webhook deliveries and is never reused.
CREATE TABLE workflow_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id     INTEGER REFERENCES workflow_rules (id) ON DELETE SET NULL,
    rule_name   TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    event_key   TEXT NOT NULL,
    depth       INTEGER NOT NULL DEFAULT 0,
    actions     TEXT NOT NULL,
    next_step   INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'done', 'failed', 'canceled')),
    error       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX workflow_runs_ticket_idx ON workflow_runs (ticket_id, id DESC);
CREATE INDEX workflow_runs_rule_idx ON workflow_runs (rule_id, id DESC);

-- Delayed chains: the rest of a run waits here until due_at. A customer
-- message newer than after_message_id, a newer run of the same rule on the
-- same ticket, or the rule being disabled or deleted cancels it.
CREATE TABLE workflow_delays (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    rule_id          INTEGER REFERENCES workflow_rules (id) ON DELETE SET NULL,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    due_at           TIMESTAMP NOT NULL,
    after_message_id INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'fired', 'canceled')),
    reason           TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX workflow_delays_pending_idx ON workflow_delays (ticket_id) WHERE state = 'pending';
CREATE INDEX workflow_delays_run_idx ON workflow_delays (run_id);

-- +goose Down
DROP TABLE workflow_delays;
DROP TABLE workflow_runs;
DROP TABLE workflow_events;
DROP TABLE ticket_tags;
DROP TABLE workflow_rules;
