package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Every committed write to the settings table is announced, so that a cache
// of settings (server/settings) drops what it holds: in this process by the
// commit hooks, on every instance by PostgreSQL's NOTIFY. Each method that
// writes the table calls announceSetting in its transaction.

// settingsChannel carries, on PostgreSQL, the key of each committed write to
// the settings table.
const settingsChannel = "portico_settings"

// SettingsListenerName is the application_name of the connection that
// WatchSettings holds, as pg_stat_activity shows it.
const SettingsListenerName = "portico_settings_listener"

// Reconnection backoff of the listener: it doubles from the first to the
// second after each failed attempt.
const (
	listenerMinReconnect = 200 * time.Millisecond
	listenerMaxReconnect = 15 * time.Second
)

type settingsNotify struct {
	mu    sync.Mutex
	hooks []func()
	reads atomic.Int64
}

// announceSetting marks tx as having written key. On PostgreSQL the
// notification is queued in the transaction itself: delivered on commit,
// dropped on rollback (and with a rolled-back savepoint).
func (tx *Tx) announceSetting(ctx context.Context, key string) error {
	tx.settingsWritten = true
	if tx.s.dialect != Postgres {
		return nil
	}
	if _, err := tx.stmt(ctx, tx.s.q.NotifySetting).ExecContext(ctx, settingsChannel, key); err != nil {
		return fmt.Errorf("store: announce setting %s: %w", key, err)
	}
	return nil
}

// OnSettingsCommit registers fn to run after each commit of a transaction
// that wrote the settings table through this store. A write inside a
// savepoint that was rolled back still counts (the hook runs needlessly,
// never too few times). fn runs on the committing goroutine: keep it short.
func (s *Store) OnSettingsCommit(fn func()) {
	s.notify.mu.Lock()
	defer s.notify.mu.Unlock()
	s.notify.hooks = append(s.notify.hooks, fn)
}

func (s *Store) settingsCommitted() {
	s.notify.mu.Lock()
	hooks := s.notify.hooks
	s.notify.mu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}

// SettingsReads counts the reads of the settings table (Setting,
// SettingsPair) since Open: what a cache of settings saves shows here.
func (s *Store) SettingsReads() int64 { return s.notify.reads.Load() }

// SettingsShared reports whether other processes write the settings table
// of this database: on PostgreSQL other instances do, and a cache must hear
// of their writes through WatchSettings. A SQLite file has one instance (its
// one write connection is in this process), so the commit hooks see every
// write made through a store; an edit with the sqlite3 shell is not seen.
func (s *Store) SettingsShared() bool { return s.dialect == Postgres }

// SettingsEvent is what WatchSettings reports.
type SettingsEvent struct {
	Kind SettingsEventKind
	// Key is the setting written (SettingsChanged).
	Key string
	// Err is why the listener is deaf (SettingsDeaf; nil when WatchSettings
	// ends).
	Err error
}

// SettingsEventKind says what happened.
type SettingsEventKind int

const (
	// SettingsListening: from now on every committed write is reported.
	// Writes made before, or while the watcher was deaf, were not.
	SettingsListening SettingsEventKind = iota + 1
	// SettingsChanged: a transaction that wrote the settings table
	// committed, on this instance or another.
	SettingsChanged
	// SettingsDeaf: the listener has no connection; writes are missed until
	// SettingsListening.
	SettingsDeaf
)

func (e SettingsEventKind) String() string {
	switch e {
	case SettingsListening:
		return "listening"
	case SettingsChanged:
		return "changed"
	case SettingsDeaf:
		return "deaf"
	}
	return fmt.Sprintf("SettingsEventKind(%d)", int(e))
}

// WatchSettings reports the committed writes to the settings table of every
// instance to fn until ctx ends, on a connection of its own (lib/pq's
// Listener) that reconnects with backoff. fn is called from one goroutine at
// a time, never after WatchSettings returns, and must be quick. On SQLite it
// returns at once (see SettingsShared).
func (s *Store) WatchSettings(ctx context.Context, fn func(SettingsEvent)) error {
	if !s.SettingsShared() {
		return nil
	}
	w := &settingsWatch{fn: fn}
	l := pq.NewListener(listenerDSN(s.dsn), listenerMinReconnect, listenerMaxReconnect, w.event)
	defer func() {
		_ = l.Close()
		w.stop()
		// lib/pq's goroutine ends once it has sent what it holds (after
		// sleeping out its backoff, if it was reconnecting): not waited
		// for, so that a shutdown during an outage is not held up.
		go func() {
			for range l.Notify {
			}
		}()
	}()
	listened := make(chan error, 1)
	go func() { listened <- l.Listen(settingsChannel) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-listened:
			if err != nil {
				return fmt.Errorf("store: listen for settings changes: %w", err)
			}
			listened = nil
			w.listened()
		case n, ok := <-l.Notify:
			if !ok {
				return errors.New("store: settings listener closed")
			}
			// A nil notification follows a reconnection, which was
			// reported as SettingsListening already.
			if n != nil {
				w.changed(n.Extra)
			}
		}
	}
}

// settingsWatch turns lib/pq's events into SettingsEvents. Listening means
// connected and LISTEN done: lib/pq reports its first connection before our
// LISTEN (it reissues LISTEN itself before reporting a reconnection), and
// Listen can return without LISTEN when the connection dies under it.
type settingsWatch struct {
	mu                   sync.Mutex
	fn                   func(SettingsEvent)
	connected, listening bool
	heard                bool // SettingsListening was the last state reported
	stopped              bool // WatchSettings returned: fn is not called again
}

func (w *settingsWatch) event(ev pq.ListenerEventType, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	switch ev {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		w.connected = true
	case pq.ListenerEventDisconnected:
		w.connected = false
	case pq.ListenerEventConnectionAttemptFailed:
		w.fn(SettingsEvent{Kind: SettingsDeaf, Err: err})
		return
	}
	w.report(err)
}

func (w *settingsWatch) listened() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.listening = true
	w.report(nil)
}

// stop reports the watcher deaf (if it was listening) and silences it.
func (w *settingsWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.listening = false
	w.report(nil)
	w.stopped = true
}

func (w *settingsWatch) changed(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fn(SettingsEvent{Kind: SettingsChanged, Key: key})
}

func (w *settingsWatch) report(err error) {
	now := w.connected && w.listening
	switch {
	case now && !w.heard:
		w.fn(SettingsEvent{Kind: SettingsListening})
	case !now && w.heard:
		w.fn(SettingsEvent{Kind: SettingsDeaf, Err: err})
	}
	w.heard = now
}

// listenerDSN names the listener's connection unless the DSN names it
// already.
func listenerDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		if q.Get("application_name") == "" {
			q.Set("application_name", SettingsListenerName)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if strings.Contains(dsn, "application_name") {
		return dsn
	}
	return dsn + " application_name=" + SettingsListenerName
}
