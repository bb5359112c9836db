// Package githubhook is the HTTP endpoint GitHub's webhooks arrive at: it
// checks the signature and hands the delivery to the GitHub sync
// (server/github), which records it and queues the work.
package githubhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/github"
)

// Accepter records a signed delivery and queues what follows from it
// (github.Service).
type Accepter interface {
	Accept(ctx context.Context, d github.Delivery) (string, error)
}

// Handler is POST /github/webhook.
type Handler struct {
	svc    Accepter
	secret []byte
	log    *slog.Logger
	warn   sync.Once
}

// NewHandler returns the webhook endpoint. With an empty secret it refuses
// every delivery (401): an unsigned webhook would let anyone mail customers.
func NewHandler(svc Accepter, secret string, log *slog.Logger) *Handler {
	return &Handler{svc: svc, secret: []byte(secret), log: log}
}

// MaxPayload is the largest webhook body read: the events portico acts on
// (a comment, an issue closed) are far smaller.
const MaxPayload = 5 << 20

// maxDeliveryID bounds X-GitHub-Delivery (a GUID) before it is stored.
const maxDeliveryID = 200

// Webhook checks X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the
// webhook secret, compared in constant time), then hands the delivery to the
// service, which records it and queues the work in one transaction, so
// GitHub gets its answer in milliseconds.
func (h *Handler) Webhook(c *fiber.Ctx) error {
	if len(h.secret) == 0 {
		h.warn.Do(func() {
			h.log.WarnContext(c.UserContext(), "github webhook refused: PORTICO_GITHUB_WEBHOOK_SECRET is not set")
		})
		return fiber.NewError(fiber.StatusUnauthorized, "webhook secret not configured")
	}
	body := c.Body()
	if len(body) > MaxPayload {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "payload too large")
	}
	if !validSignature(h.secret, body, c.Get("X-Hub-Signature-256")) {
		return fiber.NewError(fiber.StatusUnauthorized, "bad or missing X-Hub-Signature-256")
	}
	event, delivery := c.Get("X-GitHub-Event"), c.Get("X-GitHub-Delivery")
	if event == "" || delivery == "" || len(delivery) > maxDeliveryID {
		return fiber.NewError(fiber.StatusBadRequest, "X-GitHub-Event and X-GitHub-Delivery are required")
	}
	if event == "ping" {
		return c.JSON(fiber.Map{"outcome": "pong"})
	}
	// A webhook set to application/x-www-form-urlencoded sends the JSON in
	// the payload field; the signature covers the form as sent.
	payload := body
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		payload = []byte(c.FormValue("payload"))
	}
	outcome, err := h.svc.Accept(c.UserContext(), github.Delivery{ID: strings.Clone(delivery), Event: strings.Clone(event), Payload: payload})
	if errors.Is(err, github.ErrBadPayload) {
		return fiber.NewError(fiber.StatusBadRequest, "the body is not a GitHub webhook payload")
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"outcome": outcome})
}

// validSignature checks "sha256=<hex>" against the HMAC of body.
func validSignature(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
