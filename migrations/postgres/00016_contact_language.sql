-- +goose Up
-- The customer's language (issue 17): the language portico speaks to a
-- contact in mails and on pages, one of i18n.Languages, '' while unknown
-- (then the admin's default). Set when a ticket arrives with a language
-- (the widget's data-locale, the browser's Accept-Language, an inbound
-- mail's Content-Language) and kept for later mails.
ALTER TABLE contacts ADD COLUMN locale TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN locale;
