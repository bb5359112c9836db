package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"io/fs"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// TestMigrationLinksAgain: migration 00012 on a database with data. A link
// revoked before it stays revoked for the tokens mailed so far; a ticket
// closed before it keeps the retention in force at the migration (the
// stored setting, 2w here) and an open one has none; mails survive the
// rebuild of their table, and the new kind can be stored.
func TestMigrationLinksAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		dsn := dbtest.DSN(t, d)
		driver, dialect, bind, src := "sqlite", goose.DialectSQLite3, sqlx.QUESTION, "file:"+dsn+"?_pragma=foreign_keys(1)"
		if d == store.Postgres {
			driver, dialect, bind, src = "pgx", goose.DialectPostgres, sqlx.DOLLAR, dsn
		}
		db, err := sql.Open(driver, src)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		sub, err := fs.Sub(dbtest.Migrations(t), "migrations/"+string(d))
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(dialect, db, sub)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 9); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		insert := func(q string, args ...any) int64 {
			t.Helper()
			var id int64
			if err := db.QueryRowContext(ctx, sqlx.Rebind(bind, q+" RETURNING id"), args...).Scan(&id); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return id
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, sqlx.Rebind(bind, q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO settings (key, value, updated_at) VALUES ('portal', '{"enabled":true,"allow_reply":true,"retention_after_close":"2w"}', ?)`, now)
		contact := insert(`INSERT INTO contacts (email, name, created_at, updated_at) VALUES ('ada@example.com', 'Ada', ?, ?)`, now, now)
		closed := insert(`INSERT INTO tickets (subject, status, priority, channel, contact_id, closed_at, created_at, updated_at)
			VALUES ('s', 'closed', 'low', 'widget', ?, ?, ?, ?)`, contact, now, now, now)
		open := insert(`INSERT INTO tickets (subject, priority, channel, contact_id, created_at, updated_at)
			VALUES ('s', 'low', 'widget', ?, ?, ?)`, contact, now, now)
		revoked := insert(`INSERT INTO portal_links (ticket_id, email, revoked_at, created_at) VALUES (?, 'ada@example.com', ?, ?)`, open, now, now)
		live := insert(`INSERT INTO portal_links (ticket_id, email, created_at) VALUES (?, 'ada@example.com', ?)`, closed, now)
		oldToken, liveToken := sha256.Sum256([]byte("old")), sha256.Sum256([]byte("live"))
		insert(`INSERT INTO portal_tokens (link_id, token_hash, created_at) VALUES (?, ?, ?)`, revoked, oldToken[:], now)
		insert(`INSERT INTO portal_tokens (link_id, token_hash, created_at) VALUES (?, ?, ?)`, live, liveToken[:], now)
		mailID := insert(`INSERT INTO outbound_mails (ticket_id, kind, to_email, email_message_id, payload, status, sent_at, created_at)
			VALUES (?, 'confirmation', 'ada@example.com', '<ticket-1@acme.test>', '{}', 'sent', ?, ?)`, open, now, now)

		s := dbtest.OpenDSN(t, d, dsn, func() time.Time { return now.Add(time.Hour) })
		l, err := s.PortalLinkByToken(ctx, oldToken[:])
		if err != nil || l.RevokedAt == nil || !l.RevokedAt.Equal(now) {
			t.Errorf("a token of a link revoked before the migration: %+v %v", l, err)
		}
		if l, err := s.PortalLinkByToken(ctx, liveToken[:]); err != nil || l.RevokedAt != nil {
			t.Errorf("a live token: %+v %v", l, err)
		}
		ct, err := s.Ticket(ctx, closed)
		if err != nil || ct.PortalRetention == nil || *ct.PortalRetention != 14*24*60*60 {
			t.Errorf("the closed ticket's recorded retention: %v %v", ct.PortalRetention, err)
		}
		if ot, err := s.Ticket(ctx, open); err != nil || ot.PortalRetention != nil || ot.PortalStoppedAt != nil {
			t.Errorf("the open ticket: %+v %v", ot, err)
		}
		m, err := s.OutboundMail(ctx, mailID)
		if err != nil || m.Kind != model.MailConfirmation || m.Status != model.MailSent || m.SentAt == nil || !m.SentAt.Equal(now) {
			t.Errorf("the mail after the rebuild: %+v %v", m, err)
		}
		// A new token on the revoked link works; the old one stays revoked.
		fresh := sha256.Sum256([]byte("fresh"))
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AddPortalToken(ctx, open, "ada@example.com", fresh[:]); err != nil {
				return err
			}
			_, err := tx.QueueMail(ctx, store.NewOutboundMail{TicketID: open, Kind: model.MailPortalLink, ToEmail: "ada@example.com",
				EmailMessageID: "<ticket-1-link-00@acme.test>", Payload: "{}"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if l, err := s.PortalLinkByToken(ctx, fresh[:]); err != nil || l.RevokedAt != nil {
			t.Errorf("a token minted after the migration: %+v %v", l, err)
		}
		if l, err := s.PortalLinkByToken(ctx, oldToken[:]); err != nil || l.RevokedAt == nil {
			t.Errorf("the old token after a new one: %+v %v", l, err)
		}
	})
}
