package store

import (
	"context"
	"fmt"
)

// Setting returns the stored value of a runtime setting, model.ErrNotFound if
// it was never set.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	s.notify.reads.Add(1)
	var v string
	if err := s.q.SettingByKey.GetContext(ctx, &v, key); err != nil {
		return "", notFound(err, "setting "+key)
	}
	return v, nil
}

// SettingsPair returns the stored values of two settings in one query; a key
// never set is absent from the map.
func (s *Store) SettingsPair(ctx context.Context, a, b string) (map[string]string, error) {
	rows := []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}{}
	s.notify.reads.Add(1)
	if err := s.q.SettingsPair.SelectContext(ctx, &rows, a, b); err != nil {
		return nil, fmt.Errorf("store: settings %s, %s: %w", a, b, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// PutSetting stores a runtime setting, replacing any earlier value.
func (tx *Tx) PutSetting(ctx context.Context, key, value string) error {
	if _, err := tx.stmt(ctx, tx.s.q.PutSetting).ExecContext(ctx, key, value, tx.now); err != nil {
		return fmt.Errorf("store: put setting %s: %w", key, err)
	}
	return tx.announceSetting(ctx, key)
}

// SettingOnce stores value under key unless a value is already there, and
// returns whichever value is stored afterwards. Several instances starting at
// once agree on one value (the generated secret key).
func (s *Store) SettingOnce(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := s.InTx(ctx, func(tx *Tx) error {
		added, err := affected("add setting " + key)(tx.stmt(ctx, s.q.AddSettingOnce).ExecContext(ctx, key, value, tx.now))
		if err != nil {
			return err
		}
		if added {
			if err := tx.announceSetting(ctx, key); err != nil {
				return err
			}
		}
		if err := tx.stmt(ctx, s.q.SettingByKeyTx).GetContext(ctx, &stored, key); err != nil {
			return fmt.Errorf("store: read setting %s: %w", key, err)
		}
		return nil
	})
	return stored, err
}
