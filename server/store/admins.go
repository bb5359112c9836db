package store

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/server/model"
)

// CountAdmins reports how many admins exist.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q.CountAdmins.GetContext(ctx, &n); err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}

// AddAdmin creates an admin unless one with this email exists; it reports
// whether a row was created.
func (tx *Tx) AddAdmin(ctx context.Context, email, passwordHash string) (bool, error) {
	res, err := tx.stmt(ctx, tx.s.q.InsertAdmin).ExecContext(ctx, email, passwordHash, tx.now)
	if err != nil {
		return false, fmt.Errorf("store: add admin: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: add admin: %w", err)
	}
	return n == 1, nil
}

// AdminByEmail returns the admin with this (normalized) email.
func (s *Store) AdminByEmail(ctx context.Context, email string) (model.Admin, error) {
	var a model.Admin
	if err := s.q.AdminByEmail.GetContext(ctx, &a, email); err != nil {
		return model.Admin{}, notFound(err, "admin")
	}
	return a, nil
}

// AdminBySession returns the admin whose unexpired session has this token hash.
func (s *Store) AdminBySession(ctx context.Context, tokenHash []byte) (model.Admin, error) {
	var a model.Admin
	if err := s.q.AdminBySession.GetContext(ctx, &a, tokenHash, s.now()); err != nil {
		return model.Admin{}, notFound(err, "session")
	}
	return a, nil
}

// AddSession stores a new session and drops expired ones.
func (tx *Tx) AddSession(ctx context.Context, adminID int64, tokenHash []byte, ttl time.Duration) error {
	if _, err := tx.stmt(ctx, tx.s.q.DeleteOldSessions).ExecContext(ctx, tx.now); err != nil {
		return fmt.Errorf("store: prune sessions: %w", err)
	}
	if _, err := tx.stmt(ctx, tx.s.q.InsertSession).ExecContext(ctx, adminID, tokenHash, tx.now, tx.now.Add(ttl)); err != nil {
		return fmt.Errorf("store: add session: %w", err)
	}
	return nil
}

// DeleteSession signs a session out.
func (tx *Tx) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := tx.stmt(ctx, tx.s.q.DeleteSession).ExecContext(ctx, tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
