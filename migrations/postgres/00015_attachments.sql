-- +goose Up
-- Attachments from the widget, the hosted form and the portal (issue 17).
-- An attachment's bytes live in one of three places, named by storage:
-- 'inline' in attachments.data (inbound mail, as before), 'database' in
-- attachment_chunks (1 MiB rows, so neither writing nor serving holds a
-- whole file in memory), 'disk' in a file named storage_key under
-- PORTICO_ATTACHMENTS_DIR (data is then empty). sha256 is the hex digest of
-- the bytes ('' for inbound mail). content_type of an upload is what its
-- bytes were sniffed as, never what the sender claimed.
ALTER TABLE attachments ADD COLUMN storage TEXT NOT NULL DEFAULT 'inline' CHECK (storage IN ('inline', 'database', 'disk'));
ALTER TABLE attachments ADD COLUMN storage_key TEXT;
ALTER TABLE attachments ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX attachments_storage_key_idx ON attachments (storage_key) WHERE storage_key IS NOT NULL;

CREATE TABLE attachment_chunks (
    attachment_id BIGINT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);

-- Files on disk whose rows were deleted (erasure, the purge): written in
-- the transaction that deletes the rows, emptied by the sweep job once the
-- files are gone, so a file outlives its row only until the job runs.
CREATE TABLE attachment_removals (
    storage_key TEXT PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE attachment_removals;
DROP TABLE attachment_chunks;
DROP INDEX attachments_storage_key_idx;
ALTER TABLE attachments DROP COLUMN sha256;
ALTER TABLE attachments DROP COLUMN storage_key;
ALTER TABLE attachments DROP COLUMN storage;
