-- Contacts: the people who write in (contacts.go).

-- name: upsert-contact
-- pool: write
-- One statement, so that concurrent submissions of one address end with one
-- row; a missing name is filled in from a later one, never replaced.
-- A language ('' when the ticket came without one) replaces the stored one:
-- the latest choice the customer made is the one they read next.
INSERT INTO contacts (email, name, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (email) DO UPDATE SET
	name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END,
	locale = CASE WHEN excluded.locale <> '' THEN excluded.locale ELSE contacts.locale END,
	updated_at = CASE WHEN (contacts.name = '' AND excluded.name <> '') OR (excluded.locale <> '' AND excluded.locale <> contacts.locale)
		THEN excluded.updated_at ELSE contacts.updated_at END
RETURNING {{contactCols}}

-- name: contact-by-id
-- pool: read
SELECT {{contactCols}} FROM contacts WHERE id = ?

-- name: set-contact-user
-- pool: write
UPDATE contacts SET user_id = ?, updated_at = ? WHERE id = ? RETURNING {{contactCols}}

-- name: stamp-requesters
-- pool: write
UPDATE tickets SET requester_id = ?, updated_at = ? WHERE contact_id = ?
