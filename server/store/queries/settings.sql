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

-- Tells the other instances that a setting changed: PostgreSQL delivers the
-- notification on commit only. SQLite has one instance per file and is never
-- asked (settings_notify.go); its block exists so that the field is filled.
-- name: notify-setting
-- pool: write
-- dialect: postgres
SELECT pg_notify(?, ?)

-- name: notify-setting
-- pool: write
-- dialect: sqlite
SELECT ?, ?
