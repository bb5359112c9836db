package httperr

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/portico/portico/server/logmask"
)

// Handler is the server's one error handler. It answers every error as JSON {"error": "..."} (or
// {"errors": {...}} for field errors); unexpected errors are logged with the
// request id and answered 500 without details.
func Handler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if a, ok := Of(err); ok {
			if a.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(a.RetryAfter))
			}
			switch {
			case a.Fields != nil:
				return c.Status(a.Status).JSON(fiber.Map{"errors": a.Fields})
			case a.Status == fiber.StatusTooManyRequests:
				return c.Status(a.Status).JSON(fiber.Map{"error": a.Message, "retry_after": a.RetryAfter})
			case a.Status >= 500:
				log.WarnContext(c.UserContext(), "request refused: a dependency is down", "err", err, "status", a.Status, "request_id", RequestID(c))
			}
			return c.Status(a.Status).JSON(fiber.Map{"error": a.Message})
		}
		switch {
		case errors.As(err, &fe):
			msg := fe.Message
			if fe.Code == fiber.StatusRequestEntityTooLarge {
				msg = "the request body is too large"
			}
			if fe.Code >= 500 {
				log.ErrorContext(c.UserContext(), "request failed", "err", err, "status", fe.Code, "request_id", RequestID(c))
			}
			return c.Status(fe.Code).JSON(fiber.Map{"error": msg})
		}
		log.ErrorContext(c.UserContext(), "request failed", "err", err, "request_id", RequestID(c),
			"method", c.Method(), "path", logmask.RedactPath(c.Path()))
		return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{
			"error": "internal error; quote request id " + RequestID(c) + " when reporting it", "request_id": RequestID(c),
		})
	}
}

// RequestID is the id the requestid middleware gave the request.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}
