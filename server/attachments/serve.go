package attachments

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
)

// inlineImages are the only types a page may show from a customer's file
// (as an <img>): raster formats a browser never runs. SVG is never one.
var inlineImages = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// IsImage reports whether an attachment's stored type is one the portal
// shows as a thumbnail (the image route checks the bytes again).
func IsImage(contentType string) bool {
	return slices.Contains(inlineImages, mediaType(contentType))
}

func mediaType(t string) string {
	mt, _, _ := strings.Cut(t, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// File is an attachment opened for reading. Close Body.
type File struct {
	model.Attachment
	// Type is the Content-Type to answer with: what the bytes are sniffed
	// as now, if that is one of settings.AttachmentTypes, else
	// application/octet-stream. Never HTML, XML or SVG.
	Type string
	// Image: the bytes are a PNG, JPEG, GIF or WebP, which a page may show.
	Image bool
	Body  io.ReadCloser
}

// Open opens attachment id for reading, wherever its bytes are kept. The
// type is sniffed from the bytes on every open, whatever the row says (an
// inbound mail's type is only what its sender claimed).
func (s *Service) Open(ctx context.Context, id int64) (File, error) {
	a, err := s.store.AttachmentMeta(ctx, id)
	if err != nil {
		return File{}, err
	}
	var body io.ReadCloser
	switch a.Storage {
	case model.StorageInline:
		data, err := s.store.AttachmentInlineData(ctx, id)
		if err != nil {
			return File{}, err
		}
		body = io.NopCloser(bytes.NewReader(data))
	case model.StorageDisk:
		if a.StorageKey == nil {
			return File{}, fmt.Errorf("attachments: %d has no storage key", id)
		}
		p, err := s.path(*a.StorageKey)
		if err != nil {
			return File{}, err
		}
		fh, err := os.Open(p)
		if err != nil {
			return File{}, fmt.Errorf("attachments: open %d: %w", id, err)
		}
		body = fh
	case model.StorageDatabase:
		body = &chunkReader{ctx: ctx, s: s, id: id}
	default:
		return File{}, fmt.Errorf("attachments: %d has unknown storage %q", id, a.Storage)
	}
	br := bufio.NewReaderSize(body, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		body.Close()
		return File{}, fmt.Errorf("attachments: read %d: %w", id, err)
	}
	f := File{Attachment: a, Type: "application/octet-stream", Body: readCloser{br, body}}
	sniffed := http.DetectContentType(head)
	if slices.Contains(settings.AttachmentTypes, mediaType(sniffed)) {
		f.Type = sniffed
	}
	f.Image = slices.Contains(inlineImages, mediaType(sniffed))
	return f, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// chunkReader reads a file kept in the database one chunk at a time.
type chunkReader struct {
	ctx context.Context
	s   *Service
	id  int64
	seq int
	buf []byte
	eof bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		b, err := r.s.store.AttachmentChunk(r.ctx, r.id, r.seq)
		if errors.Is(err, model.ErrNotFound) {
			r.eof = true
			continue
		}
		if err != nil {
			return 0, err
		}
		r.buf, r.seq = b, r.seq+1
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *chunkReader) Close() error { return nil }
