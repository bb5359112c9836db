package attachments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/server/model"
)

// Limits of a form's text fields: the longest is a description of 10,000
// characters (40 KB of the widest UTF-8).
const (
	maxTextField = 64 << 10
	maxText      = 256 << 10
	maxParts     = 64
)

// Form is a multipart form read from a request body: its text fields in
// memory, its files staged on disk. Close it when done: it removes what was
// not kept.
type Form struct {
	Values map[string]string
	Files  []Staged
	svc    *Service
	// placed are keys of files renamed into place by AttachInTx; committed
	// says the transaction that names them committed.
	placed    []string
	committed bool
}

// Staged is a file of a form, read to a temporary file.
type Staged struct {
	// Name is the sanitized file name (SanitizeFilename).
	Name string
	Size int64
	// Type is what the bytes were sniffed as (http.DetectContentType),
	// e.g. "image/png" or "text/plain; charset=utf-8".
	Type   string
	SHA256 string
	path   string // the staged file, until placed
	key    string // the storage key, once placed
}

// Value is the first value of a text field ("" when absent).
func (f *Form) Value(name string) string { return f.Values[name] }

// Committed tells Close that the transaction naming the placed files
// committed: they stay.
func (f *Form) Committed() {
	if f != nil {
		f.committed = true
	}
}

// Close removes the staged files and, unless Committed was called, the files
// placed for a transaction that did not commit. A commit that reported an
// error may have succeeded all the same, so a placed file goes only when no
// row names it.
func (f *Form) Close(ctx context.Context) {
	if f == nil {
		return
	}
	for _, file := range f.Files {
		if file.path != "" {
			_ = os.Remove(file.path)
		}
	}
	if f.committed {
		return
	}
	for _, key := range f.placed {
		inUse, err := f.svc.store.StorageKeyInUse(ctx, key)
		if err != nil {
			f.svc.log.WarnContext(ctx, "attachments: cannot tell whether an upload was kept; its file stays", "key", key, "err", err)
			continue
		}
		if inUse {
			continue
		}
		if p, err := f.svc.path(key); err == nil {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				f.svc.log.WarnContext(ctx, "attachments: removing an upload that was not kept failed", "key", key, "err", err)
			}
		}
	}
}

// MultipartBoundary returns the boundary of a multipart/form-data content
// type, and false for any other type.
func MultipartBoundary(contentType string) (string, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

// errBodyTooLarge ends a body read past MaxFormBody.
var errBodyTooLarge = &TooLargeError{Reason: fmt.Sprintf("the upload is larger than %d MB", MaxFormBody>>20)}

// capped reads at most n bytes of r and then fails with errBodyTooLarge
// (rather than the io.EOF of io.LimitReader, which would read as a body
// that ended early).
type capped struct {
	r io.Reader
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// ReadForm reads a multipart/form-data body: text fields into Values, each
// file to a temporary file while its size, SHA-256 and type (by its first
// 512 bytes) are taken. Over MaxFiles files is model.FieldErrors; a file
// over MaxFileSize, all files over MaxTotal, or text fields over their
// limits is *TooLargeError; a broken body ErrMalformed. On any error the
// staged files are removed already. The body is read only as far as
// needed: a caller that gets an error must not reuse the connection.
func (s *Service) ReadForm(ctx context.Context, body io.Reader, boundary string) (*Form, error) {
	f := &Form{Values: map[string]string{}, svc: s}
	if err := s.readForm(f, &capped{r: body, n: MaxFormBody}, boundary); err != nil {
		f.Close(ctx)
		return nil, err
	}
	return f, nil
}

func (s *Service) readForm(f *Form, body io.Reader, boundary string) error {
	mr := multipart.NewReader(body, boundary)
	var total, text int64
	for parts := 0; ; parts++ {
		// Raw: a part's Content-Transfer-Encoding is not decoded (browsers
		// send none), so what is counted is what is stored.
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return readErr(err)
		}
		if parts >= maxParts {
			return &TooLargeError{Reason: fmt.Sprintf("the form has more than %d parts", maxParts)}
		}
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		name := params["name"]
		filename, isFile := params["filename"]
		if !isFile {
			v, err := io.ReadAll(io.LimitReader(p, maxTextField+1))
			if err != nil {
				return readErr(err)
			}
			if text += int64(len(v)); len(v) > maxTextField || text > maxText {
				return &TooLargeError{Reason: "a text field of the form is too long"}
			}
			if _, seen := f.Values[name]; !seen {
				f.Values[name] = string(v)
			}
			continue
		}
		file, err := s.stage(p, filename, MaxTotal-total)
		if err != nil {
			return err
		}
		if file == nil { // an empty file input
			continue
		}
		f.Files = append(f.Files, *file)
		total += file.Size
		if len(f.Files) > MaxFiles {
			return model.FieldErrors{"files": fmt.Sprintf("at most %d files can be attached to one message", MaxFiles)}
		}
	}
}

func readErr(err error) error {
	var tooLarge *TooLargeError
	if errors.As(err, &tooLarge) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// stage copies one file part to a temporary file; nil for an empty part
// without a name (a file input left empty). left is what the message's
// total still allows.
func (s *Service) stage(p *multipart.Part, filename string, left int64) (*Staged, error) {
	tmp, err := os.CreateTemp(s.stagingDir(), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("attachments: stage: %w", err)
	}
	file := &Staged{Name: SanitizeFilename(filename), path: tmp.Name()}
	keep := false
	defer func() {
		tmp.Close()
		if !keep {
			os.Remove(file.path)
		}
	}()
	hash := sha256.New()
	head := &headBuffer{}
	n, err := io.Copy(io.MultiWriter(tmp, hash, head), io.LimitReader(p, MaxFileSize+1))
	if err != nil {
		return nil, readErr(err)
	}
	switch {
	case n == 0 && strings.TrimSpace(filename) == "":
		return nil, nil
	case n > MaxFileSize:
		return nil, &TooLargeError{Reason: fmt.Sprintf("%q is larger than %d MB, the most one file may be", file.Name, MaxFileSize>>20)}
	case n > left:
		return nil, &TooLargeError{Reason: fmt.Sprintf("the files add up to more than %d MB, the most one message may carry", MaxTotal>>20)}
	}
	// Durable before a transaction names it (disk mode renames this file).
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("attachments: stage: %w", err)
	}
	file.Size = n
	file.SHA256 = hex.EncodeToString(hash.Sum(nil))
	file.Type = http.DetectContentType(head.b)
	keep = true
	return file, nil
}

// headBuffer keeps the first 512 bytes written to it: what sniffing reads.
type headBuffer struct{ b []byte }

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := 512 - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// SanitizeFilename makes a sender's file name safe to store, show and put in
// a header: the last path segment only (either slash), valid UTF-8, no
// control or direction-changing characters (spaces of any kind become one), no leading dots or spaces, at
// most MaxFilename characters (keeping the extension); "file" if nothing is
// left. It never decides the type: that is the bytes' business.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Bidi_Control, r), r == '\uFEFF':
			continue
		case unicode.IsSpace(r): // tabs and line breaks included
			b.WriteRune(' ')
		case unicode.IsControl(r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	if utf8.RuneCountInString(name) > MaxFilename {
		r := []rune(name)
		ext := []rune{}
		if i := strings.LastIndexByte(name, '.'); i >= 0 && utf8.RuneCountInString(name[i:]) <= 16 {
			ext = []rune(name[i:])
		}
		name = string(r[:MaxFilename-len(ext)]) + string(ext)
	}
	if name == "" {
		return "file"
	}
	return name
}

// ValidUTF8 reports whether every text field of the form is UTF-8 (a JSON
// body is checked by encoding/json; a form's fields by this, wherever one
// is read).
func (f *Form) ValidUTF8() bool {
	for _, v := range f.Values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}
