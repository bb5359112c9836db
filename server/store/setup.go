package store

import (
	"context"
	"fmt"

	"github.com/portico/portico/server/model"
)

// The first-run set-up (issue 18): the one-time token that lets the first
// admin be created from the browser lives, hashed, in the settings table.

// CountAdminsTx reports how many admins exist, inside the transaction (it
// sees admins committed by a concurrent set-up that it waited for).
func (tx *Tx) CountAdminsTx(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.stmt(ctx, tx.s.q.CountAdminsTx).GetContext(ctx, &n); err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}

// CreateAdmin adds an admin and returns it; ErrDuplicate when the address is
// taken.
func (tx *Tx) CreateAdmin(ctx context.Context, email, passwordHash string) (model.Admin, error) {
	var a model.Admin
	err := tx.stmt(ctx, tx.s.q.CreateAdmin).GetContext(ctx, &a, email, passwordHash, tx.now)
	if isUniqueViolation(err) {
		return model.Admin{}, ErrDuplicate
	}
	if err != nil {
		return model.Admin{}, fmt.Errorf("store: create admin: %w", err)
	}
	return a, nil
}

// TakeSetting deletes the setting key if it holds value and reports whether
// it did. Of several transactions taking the same value, one gets true: the
// others wait for it (PostgreSQL's row lock, SQLite's single writer) and
// then find nothing to delete.
func (tx *Tx) TakeSetting(ctx context.Context, key, value string) (bool, error) {
	took, err := affected("take setting " + key)(tx.stmt(ctx, tx.s.q.TakeSetting).ExecContext(ctx, key, value))
	if err != nil || !took {
		return took, err
	}
	return true, tx.announceSetting(ctx, key)
}

// DeleteSetting removes a setting; a key never set is no error.
func (tx *Tx) DeleteSetting(ctx context.Context, key string) error {
	if _, err := tx.stmt(ctx, tx.s.q.DeleteSetting).ExecContext(ctx, key); err != nil {
		return fmt.Errorf("store: delete setting %s: %w", key, err)
	}
	return tx.announceSetting(ctx, key)
}
