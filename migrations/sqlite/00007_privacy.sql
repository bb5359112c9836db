-- +goose Up
-- Erasure (issue 10). An erased contact keeps its row (tickets still count
-- it) under the pseudonym erased-<id>@invalid; an erased ticket keeps its row,
-- status and dates, with every personal field emptied. erased_at marks both,
-- so erasing again does nothing and the retention purge skips them.
ALTER TABLE contacts ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN erased_at TIMESTAMP;

-- Who exported or erased what, and when. actor is an admin's email, "api
-- token" or "retention"; detail is JSON counts. Never the erased data itself.
-- No foreign keys: the record outlives whatever it is about.
CREATE TABLE privacy_audit (
    id         INTEGER PRIMARY KEY,
    action     TEXT NOT NULL CHECK (action IN ('export', 'erase', 'purge')),
    contact_id INTEGER,
    ticket_id  INTEGER,
    actor      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX privacy_audit_contact_idx ON privacy_audit (contact_id, id) WHERE contact_id IS NOT NULL;

-- What erasure and the purge look things up by.
CREATE INDEX tickets_purge_idx ON tickets (closed_at) WHERE status = 'closed' AND erased_at IS NULL;
CREATE INDEX messages_inbound_author_idx ON messages (author_email) WHERE direction = 'inbound';
CREATE INDEX portal_links_email_idx ON portal_links (email);
CREATE INDEX ticket_participants_email_idx ON ticket_participants (email);
CREATE INDEX outbound_mails_to_email_idx ON outbound_mails (to_email);
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id);

-- +goose Down
DROP INDEX attachments_ticket_idx;
DROP INDEX outbound_mails_to_email_idx;
DROP INDEX ticket_participants_email_idx;
DROP INDEX portal_links_email_idx;
DROP INDEX messages_inbound_author_idx;
DROP INDEX tickets_purge_idx;
DROP TABLE privacy_audit;
ALTER TABLE tickets DROP COLUMN erased_at;
ALTER TABLE contacts DROP COLUMN erased_at;
