package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// staticBodySize is the size of the static page: about a portal page.
const staticBodySize = 10 * 1024

// staticBody is a fixed HTML page of staticBodySize bytes.
var staticBody = func() []byte {
	const head = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Static</title></head>\n<body>\n<main>\n"
	const tail = "</main>\n</body>\n</html>\n"
	const para = "<p>The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.</p>\n"
	var b strings.Builder
	b.WriteString(head)
	for b.Len()+len(para)+len(tail) <= staticBodySize {
		b.WriteString(para)
	}
	b.WriteString(strings.Repeat(" ", staticBodySize-b.Len()-len(tail)))
	b.WriteString(tail)
	return []byte(b.String())
}()

// staticServer is the ceiling the portal page is compared with: Fiber, as
// portico uses it, answering every GET with the same fixed page and doing
// nothing else. It runs inside the benchmark process, on the same machine
// and cores as everything else.
type staticServer struct {
	app  *fiber.App
	base string
	done chan error
}

func startStatic() (*staticServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(staticBody)
	})
	s := &staticServer{app: app, base: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- app.Listener(ln) }()
	return s, nil
}

func (s *staticServer) stop() error {
	if err := s.app.Shutdown(); err != nil {
		return fmt.Errorf("stop the static server: %w", err)
	}
	return <-s.done
}
