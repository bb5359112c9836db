package settings

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/server/model"
)

const keyAttachments = "attachments"

// AttachmentTypes are the types an admin may allow for customers' uploads:
// what content sniffing (http.DetectContentType, by the bytes, never the
// name) can tell apart, less what a browser would run as a page or a
// program (HTML, XML and so SVG, PostScript, WebAssembly, fonts) and
// "application/octet-stream" (not recognized at all). Office documents
// sniff as application/zip.
var AttachmentTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/x-icon",
	"application/pdf", "text/plain",
	"application/zip", "application/x-gzip", "application/x-rar-compressed",
	"audio/mpeg", "audio/wave", "audio/aiff", "audio/midi", "application/ogg",
	"video/mp4", "video/webm", "video/avi",
}

// Attachments configures what customers may upload from the widget, the
// hosted form and the portal. An empty AllowedTypes switches uploads off.
type Attachments struct {
	AllowedTypes []string `json:"allowed_types"`
}

// AttachmentsInput carries what an admin sent; nil keeps the current value.
type AttachmentsInput struct {
	AllowedTypes []string
}

// DefaultAttachments is what customers may upload before an admin changes
// it: pictures, PDF, plain text and zip archives.
func DefaultAttachments() Attachments {
	return Attachments{AllowedTypes: []string{
		"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "application/zip",
	}}
}

// Allows reports whether a sniffed media type (parameters such as charset
// ignored) may be uploaded.
func (a Attachments) Allows(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	return slices.Contains(a.AllowedTypes, strings.ToLower(strings.TrimSpace(mt)))
}

// Attachments returns the upload settings.
func (s *Service) Attachments(ctx context.Context) (Attachments, error) {
	a, err := cached(ctx, s.cache, keyAttachments, s.loadAttachments)
	a.AllowedTypes = slices.Clone(a.AllowedTypes)
	return a, err
}

func (s *Service) loadAttachments(ctx context.Context) (Attachments, error) {
	a := DefaultAttachments()
	if _, err := s.load(ctx, keyAttachments, &a); err != nil {
		return Attachments{}, err
	}
	// A type this version no longer offers (edited by hand, or dropped)
	// does not count.
	a.AllowedTypes = slices.DeleteFunc(a.AllowedTypes, func(t string) bool { return !slices.Contains(AttachmentTypes, t) })
	return a, nil
}

// SetAttachments validates and stores the upload settings; an unknown or
// repeated type comes back as model.FieldErrors and nothing is stored.
func (s *Service) SetAttachments(ctx context.Context, in AttachmentsInput) (Attachments, error) {
	a, err := s.loadAttachments(ctx) // from the database, as in SetPortal
	if err != nil {
		return Attachments{}, err
	}
	if in.AllowedTypes != nil {
		types := make([]string, 0, len(in.AllowedTypes))
		for _, t := range in.AllowedTypes {
			t = strings.ToLower(strings.TrimSpace(t))
			switch {
			case !slices.Contains(AttachmentTypes, t):
				return Attachments{}, model.FieldErrors{"allowed_types": strconv.Quote(t) + " is not a type portico can recognize safely; choose from " + strings.Join(AttachmentTypes, ", ")}
			case slices.Contains(types, t):
				return Attachments{}, model.FieldErrors{"allowed_types": strconv.Quote(t) + " is listed twice"}
			}
			types = append(types, t)
		}
		a.AllowedTypes = types
	}
	if err := s.save(ctx, keyAttachments, a); err != nil {
		return Attachments{}, err
	}
	return a, nil
}
