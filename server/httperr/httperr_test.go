package httperr_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico/portico/server/httperr"
	"github.com/portico/portico/server/model"
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
