package github

import (
	"context"
	"sync"
	"time"
)

// Who may speak to customers. GitHub's author_association says how a
// commenter relates to the repository (an org MEMBER may have read access
// only, a public repository lets anyone comment), so commands are checked
// against the commenter's permission on the repository instead: write,
// maintain or admin. Answers are cached briefly so that a busy issue does
// not cost one API call per comment; a revoked agent loses the right within
// permissionTTL.
const (
	permissionTTL       = 5 * time.Minute
	permissionCacheSize = 1024
)

type permissionEntry struct {
	permission string
	at         time.Time
}

type permissionCache struct {
	mu      sync.Mutex
	entries map[string]permissionEntry
}

// mayCommand reports whether login may run /send, /sendall and /reply. An
// error is GitHub failing to answer (the job retries), never a "no".
func (s *Service) mayCommand(ctx context.Context, login string) (bool, error) {
	perm, err := s.permission(ctx, login)
	if err != nil {
		return false, err
	}
	return perm == "admin" || perm == "write", nil
}

func (s *Service) permission(ctx context.Context, login string) (string, error) {
	now := s.now()
	s.perms.mu.Lock()
	e, ok := s.perms.entries[login]
	s.perms.mu.Unlock()
	if ok && now.Sub(e.at) < permissionTTL {
		return e.permission, nil
	}
	perm, err := s.client.Permission(ctx, login)
	if err != nil {
		return "", err
	}
	s.perms.mu.Lock()
	defer s.perms.mu.Unlock()
	if s.perms.entries == nil || len(s.perms.entries) >= permissionCacheSize {
		s.perms.entries = map[string]permissionEntry{}
	}
	s.perms.entries[login] = permissionEntry{permission: perm, at: now}
	return perm, nil
}

// publicRepoWarning is what the log and the admin page say when the mirror
// repository is public.
const publicRepoWarning = "The GitHub repository that mirrors tickets is public: anyone can read every customer's name, " +
	"email address and message there. Make it private (Settings → General → Danger Zone → Change visibility)."

type visibilityCache struct {
	mu      sync.Mutex
	warning string
	at      time.Time
	known   bool
}

const visibilityTTL = 10 * time.Minute

// RepositoryWarning is publicRepoWarning when the mirror repository is
// public, "" when it is private, the sync is off, or GitHub cannot say right
// now (a failure is retried on the next call, not cached).
func (s *Service) RepositoryWarning(ctx context.Context) string {
	if !s.Enabled() {
		return ""
	}
	now := s.now()
	s.visibility.mu.Lock()
	defer s.visibility.mu.Unlock()
	if s.visibility.known && now.Sub(s.visibility.at) < visibilityTTL {
		return s.visibility.warning
	}
	private, err := s.client.Private(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "could not read the GitHub repository's visibility", "err", err)
		return ""
	}
	s.visibility.warning, s.visibility.at, s.visibility.known = "", now, true
	if !private {
		s.visibility.warning = publicRepoWarning
	}
	return s.visibility.warning
}

// WarnIfPublic logs publicRepoWarning once at start when it applies.
func (s *Service) WarnIfPublic(ctx context.Context) {
	if w := s.RepositoryWarning(ctx); w != "" {
		s.log.WarnContext(ctx, "github repository is public", "repository", s.repo, "warning", w)
	}
}
