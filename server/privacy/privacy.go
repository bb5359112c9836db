// Package privacy looks after the personal data of people who never made an
// account: it exports everything held about a contact as one document,
// erases a contact for good (pseudonym, empty bodies, revoked links, GitHub
// redaction queued in the same transaction, audited), and purges tickets
// closed for longer than the purge_closed_after setting. Keeping personal
// data out of logs is server/logmask's.
package privacy
