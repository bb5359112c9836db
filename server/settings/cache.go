package settings

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/portico/portico/server/store"
	"github.com/portico/portico/server/validate"
)

// DefaultMaxAge bounds how long a cached setting is used without a fresh
// read, should a change not be heard of (a notification lost with a
// connection before the listener noticed, an edit with the sqlite3 shell).
const DefaultMaxAge = 30 * time.Second

// cache holds the settings as decoded. An entry is filled only from a read of
// committed rows that started after the last invalidation (gen), so neither a
// write that may roll back nor a read that raced a commit can be kept. It is
// trusted only while every write can be heard of: always on SQLite, on
// PostgreSQL while the listener listens; otherwise reads go through.
type cache struct {
	now    func() time.Time
	maxAge time.Duration
	flight singleflight.Group

	mu      sync.Mutex
	gen     uint64
	trusted bool
	entries map[string]entry
}

type entry struct {
	v  any
	at time.Time
}

func newCache(now func() time.Time, maxAge time.Duration, trusted bool) *cache {
	return &cache{now: now, maxAge: maxAge, trusted: trusted, entries: map[string]entry{}}
}

// invalidate drops every entry and every read under way.
func (c *cache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// trust invalidates and says whether entries may be kept from now on.
func (c *cache) trust(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	c.trusted = on
}

func (c *cache) fresh(key string) (v any, gen uint64, ok, trusted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.v, c.gen, ok && c.now().Sub(e.at) < c.maxAge, c.trusted
}

// cached returns the entry key, or load's value, read once for all the
// callers that miss together. The value is shared: callers copy what they
// hand out.
func cached[T any](ctx context.Context, c *cache, key string, load func(context.Context) (T, error)) (T, error) {
	v, gen, ok, trusted := c.fresh(key)
	if ok {
		return v.(T), nil
	}
	if !trusted {
		return load(ctx)
	}
	// A read that started before an invalidation is not joined: it may
	// return what was there before the write the caller already saw.
	ch := c.flight.DoChan(key+"@"+strconv.FormatUint(gen, 10), func() (any, error) {
		// Another flight of this generation may have filled the entry
		// between our look and this call.
		if v, g, ok, _ := c.fresh(key); ok && g == gen {
			return v, nil
		}
		at := c.now()
		// Detached: one caller giving up must not fail the others.
		v, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.trusted && c.gen == gen {
			c.entries[key] = entry{v: v, at: at}
		}
		c.mu.Unlock()
		return v, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			var zero T
			return zero, r.Err
		}
		return r.Val.(T), nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Run keeps the cache true to the database across instances until ctx
// ends. On PostgreSQL it listens for the writes of every instance; until it
// listens, and whenever it loses its connection, nothing is cached (reads go
// to the database), and when it listens again the cache starts empty. On
// SQLite, where the commit hooks see every write, it returns at once.
func (s *Service) Run(ctx context.Context) error {
	return s.store.WatchSettings(ctx, func(ev store.SettingsEvent) {
		switch ev.Kind {
		case store.SettingsChanged:
			s.cache.invalidate()
		case store.SettingsListening:
			s.cache.trust(true)
			s.log.Info("settings cache: listening for changes made by any instance")
		case store.SettingsDeaf:
			s.cache.trust(false)
			if ev.Err != nil {
				s.log.Warn("settings cache: the listener has no connection; reading settings from the database until it is back", "err", ev.Err)
			}
		}
	})
}

// Options configures New.
type Options struct {
	// Now is the clock that ages cached entries (default time.Now).
	Now func() time.Time
	// MaxAge bounds the age of a cached entry (default DefaultMaxAge).
	MaxAge time.Duration
	// Log receives the listener's state changes (default slog.Default()).
	Log *slog.Logger
	// GuestPolicy is the start-up default of the guest policy
	// (PORTICO_GUEST_POLICY_*), in force while none is saved; the zero
	// value is unassigned.
	GuestPolicy validate.GuestPolicy
}
