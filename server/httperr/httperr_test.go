package httperr_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico/portico/server/github"
	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/tickets"
)

// A database restart is an outage to wait out (503 with Retry-After), not a
// server fault (500); the chaos run (bench/chaos) saw 500s during one.
func TestOfDatabaseUnavailable(t *testing.T) {
	a, ok := httperr.Of(fmt.Errorf("tickets: create: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}))
	if !ok || a.Status != http.StatusServiceUnavailable || a.RetryAfter <= 0 {
		t.Fatalf("Of(admin shutdown) = %+v, %v; want 503 with Retry-After", a, ok)
	}
	if _, ok := httperr.Of(fmt.Errorf("x: %w", &pgconn.PgError{Code: "42601"})); ok {
		t.Fatal("a syntax error was mapped; it is a server fault (500)")
	}
	if a, ok := httperr.Of(fmt.Errorf("x: %w", model.ErrNotFound)); !ok || a.Status != http.StatusNotFound {
		t.Fatalf("Of(not found) = %+v, %v", a, ok)
	}
}

// Every state refusal (a link for an expired ticket, a backfill while the
// sync is off) is one type, answered 409 with its reason.
func TestOfConflict(t *testing.T) {
	for _, err := range []error{github.ErrSyncOff, github.ErrBackfillDesk, &tickets.LinkRefusedError{Reason: "the links of TK-1 have expired"}} {
		a, ok := httperr.Of(fmt.Errorf("admin: %w", err))
		if !ok || a.Status != http.StatusConflict || a.Message != err.Error() || a.Message == "" {
			t.Errorf("Of(%v) = %+v, %v; want 409 with the reason", err, a, ok)
		}
	}
	a, ok := httperr.Of(github.CheckBackfillLimit(-1))
	if !ok || a.Status != http.StatusUnprocessableEntity || a.Fields["limit"] == "" {
		t.Errorf("Of(limit -1) = %+v, %v", a, ok)
	}
	if github.CheckBackfillLimit(0) != nil || github.CheckBackfillLimit(github.MaxBackfillLimit) != nil || github.CheckBackfillLimit(github.MaxBackfillLimit+1) == nil {
		t.Error("CheckBackfillLimit's range is 0..MaxBackfillLimit")
	}
}

// A party we depend on that did not answer (GitHub, checking a discussion
// category) is 503 with Retry-After and its reason, as the other outages.
func TestOfUnavailable(t *testing.T) {
	a, ok := httperr.Of(fmt.Errorf("%w: %w", github.ErrGitHubUnavailable, fmt.Errorf("dial tcp: refused")))
	if !ok || a.Status != http.StatusServiceUnavailable || a.RetryAfter != httperr.RetryLater || a.Message != github.ErrGitHubUnavailable.Error() {
		t.Errorf("Of(GitHub unavailable) = %+v, %v", a, ok)
	}
}
