-- Admins and their sessions (admins.go).

-- name: count-admins
-- pool: read
SELECT count(*) FROM admins

-- name: insert-admin
-- pool: write
INSERT INTO admins (email, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING

-- name: admin-by-email
-- pool: read
SELECT id, email, password_hash, created_at FROM admins WHERE email = ?

-- name: admin-by-session
-- pool: read
SELECT a.id, a.email, a.password_hash, a.created_at FROM sessions s JOIN admins a ON a.id = s.admin_id
WHERE s.token_hash = ? AND s.expires_at > ?

-- name: insert-session
-- pool: write
INSERT INTO sessions (admin_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)

-- name: delete-session
-- pool: write
DELETE FROM sessions WHERE token_hash = ?

-- name: delete-old-sessions
-- pool: write
DELETE FROM sessions WHERE expires_at <= ?

-- The first-run set-up (setup.go).

-- name: count-admins-tx
-- pool: write
SELECT count(*) FROM admins

-- name: create-admin
-- pool: write
INSERT INTO admins (email, password_hash, created_at) VALUES (?, ?, ?)
RETURNING id, email, password_hash, created_at
