package httpserver

import (
	"context"
	"net"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// Server is portico's HTTP side: the Fiber app with the route table behind
// it. It is the only HTTP type app holds, so that app imports no framework.
type Server struct {
	app *fiber.App
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight,
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// Test answers one request in memory, without a listener (tests).
func (s *Server) Test(r *http.Request) (*http.Response, error) { return s.app.Test(r, -1) }

// Route is one entry of the route table.
type Route struct {
	Method, Path string
}

// Routes lists the route table (tests walk it to check every admin route).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.app.GetRoutes(true) {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}
