-- Runtime settings (settings.go).

-- name: settings-pair
-- pool: read
SELECT key, value FROM settings WHERE key IN (?, ?)

-- name: setting-by-key
-- pool: read
SELECT value FROM settings WHERE key = ?

-- name: setting-by-key-tx
-- pool: write
SELECT value FROM settings WHERE key = ?

-- name: put-setting
-- pool: write
INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at

-- name: add-setting-once
-- pool: write
INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING

-- name: take-setting
-- pool: write
DELETE FROM settings WHERE key = ? AND value = ?

-- name: delete-setting
-- pool: write
DELETE FROM settings WHERE key = ?
