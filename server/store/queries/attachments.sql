-- Files customers upload from the widget, the hosted form and the portal
-- (attachments.go). Inbound mail's files keep insert-attachment
-- (inbound.sql), with their bytes in attachments.data.

-- name: insert-upload
-- pool: write
INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, data, storage, storage_key, sha256, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: insert-attachment-chunk
-- pool: write
INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)

-- name: attachment-chunk
-- pool: read
SELECT data FROM attachment_chunks WHERE attachment_id = ? AND seq = ?

-- name: attachment-meta
-- pool: read
-- An attachment without its bytes: where they are and what they are.
SELECT id, ticket_id, message_id, filename, content_type, size, storage, storage_key, sha256, created_at FROM attachments WHERE id = ?

-- name: attachment-inline-data
-- pool: read
SELECT data FROM attachments WHERE id = ?

-- name: attachments-of-message
-- pool: read
SELECT id, ticket_id, message_id, filename, content_type, size, storage, storage_key, sha256, created_at FROM attachments WHERE message_id = ? ORDER BY id

-- name: count-storage-key
-- pool: write
-- Read on the write pool: it asks whether a commit that reported an error
-- wrote the row all the same.
SELECT count(*) FROM attachments WHERE storage_key = ?

-- name: queue-ticket-file-removals
-- pool: write
INSERT INTO attachment_removals (storage_key, created_at)
SELECT storage_key, ? FROM attachments WHERE ticket_id = ? AND storage_key IS NOT NULL
ON CONFLICT (storage_key) DO NOTHING

-- name: queue-authored-file-removals
-- pool: write
INSERT INTO attachment_removals (storage_key, created_at)
SELECT storage_key, ? FROM attachments
WHERE message_id IN (SELECT id FROM messages WHERE direction = 'inbound' AND author_email = ?) AND storage_key IS NOT NULL
ON CONFLICT (storage_key) DO NOTHING

-- name: attachment-removals
-- pool: write
SELECT storage_key FROM attachment_removals ORDER BY created_at, storage_key LIMIT ?

-- name: delete-attachment-removal
-- pool: write
DELETE FROM attachment_removals WHERE storage_key = ?
