-- +goose Up
-- Status mails (issue 17): a ticket's customer is mailed when it closes and
-- when it opens again. Two new kinds of outbound mail, besides those of
-- 00002 and 00012 (portal_link).
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check
    CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link', 'status_closed', 'status_reopened'));

-- "How did we do?": one answer per customer per ticket, changed in place
-- (updated_at) until the portal link expires. Erasure empties the comment
-- and keeps the score, so the statistics still add up.
CREATE TABLE ticket_ratings (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    score      TEXT NOT NULL CHECK (score IN ('good', 'okay', 'bad')),
    comment    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (ticket_id, contact_id)
);
-- The admin home counts the answers of the last 30 days; the export and
-- erasure find a contact's answers.
CREATE INDEX ticket_ratings_updated_idx ON ticket_ratings (updated_at);
CREATE INDEX ticket_ratings_contact_idx ON ticket_ratings (contact_id);

-- +goose Down
DROP TABLE ticket_ratings;
DELETE FROM outbound_mails WHERE kind IN ('status_closed', 'status_reopened');
ALTER TABLE outbound_mails DROP CONSTRAINT outbound_mails_kind_check;
ALTER TABLE outbound_mails ADD CONSTRAINT outbound_mails_kind_check CHECK (kind IN ('confirmation', 'agent_reply', 'portal_link'));
