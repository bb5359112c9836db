package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/portico/portico/server/httperr"
	"github.com/prometheus/client_golang/prometheus"
)

// A panicking handler answers 500 with a JSON error and the request id, logs
// the stack, and never shows it to the client.
func TestPanicRecovery(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	app := fiber.New(fiber.Config{ErrorHandler: httperr.Handler(log)})
	app.Use(requestid.New())
	app.Use(accessLog(log, newMetrics(prometheus.NewRegistry())))
	app.Use(recoverPanic(log))
	app.Get("/boom", func(c *fiber.Ctx) error { panic("secret internal detail") })

	res, err := app.Test(httptest.NewRequest("GET", "/boom", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	var m map[string]string
	if res.StatusCode != 500 || json.Unmarshal(body, &m) != nil || m["request_id"] == "" {
		t.Fatalf("panic answered %d %q", res.StatusCode, body)
	}
	if strings.Contains(string(body), "secret internal detail") || strings.Contains(string(body), "goroutine") {
		t.Fatalf("the answer leaks the panic: %q", body)
	}
	if !strings.Contains(logged.String(), "secret internal detail") || !strings.Contains(logged.String(), "stack") {
		t.Fatalf("the panic was not logged: %s", logged.String())
	}
	if !strings.Contains(logged.String(), `"status":500`) {
		t.Errorf("the access log does not show the 500: %s", logged.String())
	}
}
