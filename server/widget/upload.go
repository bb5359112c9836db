package widget

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/download"
	"github.com/portico/portico/server/settings"
)

// Uploads reads the files sent with a ticket and says which are allowed
// (attachments.Service and the settings).
type Uploads interface {
	download.FormReader
	Attachments(ctx context.Context) (settings.Attachments, error)
}

// WithUploads lets the widget API and the hosted form take files.
func (h *Handler) WithUploads(u Uploads) *Handler {
	h.uploads = u
	return h
}

// uploadConfig tells the widget what it may attach, so that it refuses a
// file too large or too many before sending anything.
type uploadConfig struct {
	MaxFiles     int      `json:"max_files"`
	MaxFileSize  int64    `json:"max_file_size"`
	MaxTotal     int64    `json:"max_total"`
	AllowedTypes []string `json:"allowed_types"`
}

func (h *Handler) uploadConfig(ctx context.Context) (*uploadConfig, error) {
	if h.uploads == nil {
		return nil, nil
	}
	set, err := h.uploads.Attachments(ctx)
	if err != nil || len(set.AllowedTypes) == 0 {
		return nil, err
	}
	return &uploadConfig{MaxFiles: attachments.MaxFiles, MaxFileSize: attachments.MaxFileSize,
		MaxTotal: attachments.MaxTotal, AllowedTypes: set.AllowedTypes}, nil
}

// createWithFiles answers a multipart POST /support/widget/tickets: the
// same fields as the JSON body, as form fields, and up to five files. The
// files are streamed to disk as they arrive; a refusal stores nothing.
func (h *Handler) createWithFiles(c *fiber.Ctx) error {
	if h.uploads == nil {
		c.Context().SetConnectionClose()
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "this server takes no files: send the ticket as JSON")
	}
	form, _, err := download.ReadUpload(c, h.uploads)
	if err != nil {
		// Refused files (422) are said before the form's "language" could
		// be read: in the browser's language.
		if lang, lerr := h.language(c, ""); lerr == nil {
			err = h.translated(lang, err)
		}
		return err
	}
	defer form.Close(context.WithoutCancel(c.UserContext()))
	if !form.ValidUTF8() {
		return fiber.NewError(fiber.StatusBadRequest, "the form is not valid UTF-8")
	}
	in := submission{
		Name: form.Value("name"), Subject: form.Value("subject"), Description: form.Value("description"),
		Priority: form.Value("priority"), RequesterSignature: form.Value("requester_signature"),
		Turnstile: form.Value("cf-turnstile-response"),
		PageURL:   form.Value("page_url"), PageTitle: form.Value("page_title"), Locale: form.Value("locale"),
		Language: form.Value("language"),
	}
	if v, ok := form.Values["email"]; ok {
		in.Email = &v
	}
	if v := form.Value("requester_id"); v != "" {
		in.RequesterID = json.RawMessage(strconv.Quote(v))
	}
	return h.file(c, in, form)
}
