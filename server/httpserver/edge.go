package httpserver

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/clientip"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/githubhook"
	"github.com/portico/portico/server/inbound"
	"github.com/portico/portico/server/portal"
	"github.com/portico/portico/server/widget"
)

// clientIPKey is the c.Locals key of the resolved client address.
const clientIPKey = "portico.client_ip"

// ClientIP is the client address the clientIP middleware resolved (the zero
// Addr outside a request). Handlers read it from their UserContext with
// clientip.FromContext; this is the same value.
func ClientIP(c *fiber.Ctx) netip.Addr {
	a, _ := c.Locals(clientIPKey).(netip.Addr)
	return a
}

// resolveClientIP works out the client address once per request, from the
// TCP peer and, when the peer is a trusted proxy, X-Forwarded-For (every
// line of it, in order); see package clientip. Fiber's own proxy handling is
// off: c.IP() is the peer and nothing in this code base reads it.
func resolveClientIP(trusted clientip.Trusted) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var peer netip.Addr
		if tcp, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
			peer = tcp.AddrPort().Addr()
		}
		var xff []string
		if !trusted.Empty() {
			c.Request().Header.VisitAll(func(k, v []byte) {
				if strings.EqualFold(string(k), fiber.HeaderXForwardedFor) {
					xff = append(xff, string(v))
				}
			})
		}
		ip := clientip.Resolve(peer, xff, trusted)
		c.Locals(clientIPKey, ip)
		c.SetUserContext(clientip.WithContext(c.UserContext(), ip))
		return c.Next()
	}
}

// DefaultBodyLimit is the most any route reads unless bodyLimit names it:
// the widget API, sign-in, every admin JSON route.
const DefaultBodyLimit = 64 << 10

// bodyLimit returns the largest body the route of path reads, and whether
// its handler answers an oversized body itself (the HTML pages, which show
// the form again with a notice): such a handler gets the first limit+1 bytes
// and nothing more.
func bodyLimit(path string) (limit int, handlerAnswers bool) {
	switch {
	case strings.HasPrefix(path, "/support/inbound/"):
		return inbound.MaxBody, false
	case path == "/github/webhook":
		return githubhook.MaxPayload, false
	case path == widget.FormPath:
		return widget.MaxBody, true
	case portalReply(path):
		return portal.MaxReplyBody, true
	}
	return DefaultBodyLimit, false
}

// limitBodies enforces bodyLimit before any handler or authentication runs.
// The server streams request bodies (StreamRequestBody), so nothing beyond
// the first few KiB is read until here: a Content-Length over the limit is
// refused without reading the body; a chunked body is read up to limit+1
// bytes and refused if it goes further. Compressed bodies are refused: a
// small gzip body can expand to gigabytes when a handler reads it.
func limitBodies(c *fiber.Ctx) error {
	limit, handlerAnswers := bodyLimit(c.Path())
	req := c.Request()
	if ce := strings.TrimSpace(string(req.Header.Peek(fiber.HeaderContentEncoding))); ce != "" && !strings.EqualFold(ce, "identity") {
		c.Context().SetConnectionClose()
		return c.Status(fiber.StatusUnsupportedMediaType).JSON(fiber.Map{
			"error": "compressed request bodies (Content-Encoding) are not accepted; send the body uncompressed",
		})
	}
	if uploadRoute(c) && download.IsUpload(c) {
		return limitUpload(c)
	}
	length := req.Header.ContentLength()
	over := length > limit
	stream := req.BodyStream()
	if !over && stream == nil {
		return c.Next()
	}
	var body []byte
	if stream != nil && (!over || handlerAnswers) {
		var err error
		if length >= 0 {
			body = make([]byte, min(length, limit+1))
			_, err = io.ReadFull(stream, body)
		} else {
			body, err = io.ReadAll(io.LimitReader(stream, int64(limit)+1))
		}
		if err != nil {
			c.Context().SetConnectionClose()
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "the request body could not be read: it ended early or is not valid chunked encoding"})
		}
		over = over || len(body) > limit
	}
	if over {
		// The rest of the body stays unread: the connection cannot be reused.
		c.Context().SetConnectionClose()
		if !handlerAnswers {
			return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{
				"error": fmt.Sprintf("the request body is too large: %s %s accepts at most %s", c.Method(), routeName(c.Path()), sizeText(limit)),
			})
		}
	}
	req.SetBodyRaw(body)
	return c.Next()
}

// uploadRoute reports whether the request goes to a route that takes files
// (multipart/form-data): the widget API, the hosted form, portal replies.
func uploadRoute(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	path := c.Path()
	return path == "/support/widget/tickets" || path == widget.FormPath || portalReply(path)
}

// portalReply reports whether path is a portal page's reply form (POST
// /portal/:token/replies).
func portalReply(path string) bool {
	return strings.HasPrefix(path, "/portal/") && strings.HasSuffix(path, "/replies")
}

// limitUpload holds an upload to attachments.MaxFormBody without reading
// it: the handler streams its files to disk (download.ReadUpload), so no
// upload is held in memory. A Content-Length over the limit is marked for
// the handler to answer 413 (the pages with their form, the API with JSON)
// unread; a chunked body is cut at the limit as it is read. Reading may take
// longer than the server's read timeout. The connection closes after the
// answer: whatever the handler left unread of the body must not be read as
// the next request.
func limitUpload(c *fiber.Ctx) error {
	c.Context().SetConnectionClose()
	if c.Request().Header.ContentLength() > attachments.MaxFormBody {
		c.Locals(download.OverLimitLocal, true)
		return c.Next()
	}
	if conn := c.Context().Conn(); conn != nil {
		if err := conn.SetReadDeadline(time.Now().Add(download.UploadReadTimeout)); err != nil {
			return fmt.Errorf("httpserver: upload deadline: %w", err)
		}
	}
	return c.Next()
}

// routeName is path without anything secret in it (portal tokens).
func routeName(path string) string {
	if strings.HasPrefix(path, "/portal/") {
		return "/portal/…"
	}
	if len(path) > 80 {
		return path[:80] + "…"
	}
	return path
}

func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// securityHeaders are sent on every response; HSTS only when the base URL
// is https (a browser that saw it refuses plain http to the host for a year).
func securityHeaders(hsts bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("X-Content-Type-Options", "nosniff")
		if hsts {
			c.Set(fiber.HeaderStrictTransportSecurity, HSTS)
		}
		return c.Next()
	}
}

// HSTS is the Strict-Transport-Security value of an https deployment.
const HSTS = "max-age=31536000; includeSubDomains"

// metricsGuard decides who reads /metrics on the main listener: with a
// token, whoever presents it; without one, only a loopback client that came
// straight in (the resolved client address, and no forwarding header: a
// request that a proxy on the same machine relays from the internet is not
// local, even when the proxy is not listed in PORTICO_TRUSTED_PROXIES).
func metricsGuard(token string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token != "" {
			if !bearerMatches(c.Get(fiber.HeaderAuthorization), token) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return fiber.NewError(fiber.StatusUnauthorized, "metrics need Authorization: Bearer <PORTICO_METRICS_TOKEN>")
			}
			return c.Next()
		}
		forwarded := len(c.Request().Header.Peek(fiber.HeaderXForwardedFor)) > 0 ||
			len(c.Request().Header.Peek("Forwarded")) > 0 || len(c.Request().Header.Peek("X-Real-IP")) > 0
		if ip := ClientIP(c); !ip.IsLoopback() || forwarded {
			return fiber.NewError(fiber.StatusForbidden,
				"metrics are served to local clients only; set PORTICO_METRICS_TOKEN or PORTICO_METRICS_ADDR to read them from elsewhere")
		}
		return c.Next()
	}
}

func bearerMatches(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// MetricsHandler serves /metrics alone, for the listener of
// PORTICO_METRICS_ADDR; with a token it asks for it as the main listener
// does.
func MetricsHandler(reg *prometheus.Registry, token string) http.Handler {
	prom := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if token != "" && !bearerMatches(r.Header.Get("Authorization"), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need Authorization: Bearer <PORTICO_METRICS_TOKEN>", http.StatusUnauthorized)
			return
		}
		prom.ServeHTTP(w, r)
	})
	return mux
}
