package download

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
)

// FormReader reads an upload's multipart body (attachments.Service).
type FormReader interface {
	ReadForm(ctx context.Context, body io.Reader, boundary string) (*attachments.Form, error)
}

// OverLimitLocal is the c.Locals key the body limit sets on an upload whose
// Content-Length is over attachments.MaxFormBody: its body is left unread.
const OverLimitLocal = "portico.upload_over_limit"

// UploadReadTimeout is how long reading an upload may take, from the start
// of its request: 25 MB over a slow line takes longer than an ordinary body
// (the server's read timeout).
const UploadReadTimeout = 5 * time.Minute

// IsUpload reports whether the request is a multipart/form-data body.
func IsUpload(c *fiber.Ctx) bool {
	_, ok := attachments.MultipartBoundary(string(c.Request().Header.ContentType()))
	return ok
}

// ReadUpload reads a multipart/form-data request with r, streaming its files
// to disk; false when the request is not multipart. On an error the rest of
// the body stays unread, so the connection is closed after the answer.
func ReadUpload(c *fiber.Ctx, r FormReader) (*attachments.Form, bool, error) {
	boundary, ok := attachments.MultipartBoundary(string(c.Request().Header.ContentType()))
	if !ok {
		return nil, false, nil
	}
	if over, _ := c.Locals(OverLimitLocal).(bool); over {
		c.Context().SetConnectionClose()
		return nil, true, &attachments.TooLargeError{Reason: fmt.Sprintf("the upload is larger than %d MB: at most %d files of %d MB each, %d MB together",
			attachments.MaxFormBody>>20, attachments.MaxFiles, attachments.MaxFileSize>>20, attachments.MaxTotal>>20)}
	}
	var body io.Reader
	if s := c.Request().BodyStream(); s != nil {
		body = s
	} else {
		body = bytes.NewReader(c.Request().Body())
	}
	f, err := r.ReadForm(c.UserContext(), body, boundary)
	if err != nil {
		c.Context().SetConnectionClose()
		return nil, true, err
	}
	return f, true, nil
}
