// Package attachments keeps the files customers upload with a ticket or a
// portal reply (the widget, the hosted form, the portal): it reads a
// multipart form without holding the files in memory, checks their type by
// their bytes against the settings' allow-list, stores them with the
// message in its transaction (on disk or in the database), opens them for
// download, signs the expiring links GitHub shows and removes files on disk
// whose rows an erasure deleted. It knows nothing of HTTP.
package attachments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/settings"
	"github.com/portico/portico/server/store"
)

// Limits of one message's uploads. MB here are MiB, as for inbound mail.
const (
	MaxFiles    = 5
	MaxFileSize = 10 << 20
	MaxTotal    = 25 << 20
	// MaxFormBody is the body limit of a route that takes uploads: the
	// files and room for the text fields and the multipart framing.
	MaxFormBody = MaxTotal + 1<<20
	// MaxFilename is the longest file name kept, in characters.
	MaxFilename = 200
	// chunkSize is the piece a file kept in the database is stored and
	// read in: neither storing nor serving holds a whole file in memory.
	chunkSize = 1 << 20
)

// TooLargeError says an upload was over a limit (413); nothing was stored.
type TooLargeError struct{ Reason string }

func (e *TooLargeError) Error() string { return e.Reason }

// ErrMalformed: the body is not a readable multipart form (400).
var ErrMalformed = errors.New("the upload is not a valid multipart/form-data body")

// Enqueuer inserts a durable job inside a transaction.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// Settings gives the upload allow-list.
type Settings interface {
	Attachments(ctx context.Context) (settings.Attachments, error)
}

// Options are what the service works with.
type Options struct {
	Store    *store.Store
	Settings Settings
	Jobs     Enqueuer
	// Storage is where new uploads go: model.StorageDisk or
	// model.StorageDatabase.
	Storage string
	// Dir holds the files on disk (and, in disk mode, the uploads being
	// read, so that keeping one is a rename). Files stored on disk are
	// served from it whatever Storage says now.
	Dir string
	// BaseURL starts signed links (PORTICO_BASE_URL, no trailing slash).
	BaseURL string
	// Key signs links (keys.Ring.AttachmentURL).
	Key []byte
	// LinkTTL is how long a signed link works (default 30 days).
	LinkTTL time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

// Service stores and serves uploads.
type Service struct {
	store    *store.Store
	settings Settings
	jobs     Enqueuer
	storage  string
	dir      string
	baseURL  string
	key      []byte
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// DefaultLinkTTL is how long a signed link works.
const DefaultLinkTTL = 30 * 24 * time.Hour

// New returns the service; it creates Dir (and its staging folder) when
// files go to disk.
func New(o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = DefaultLinkTTL
	}
	if len(o.Key) == 0 {
		return nil, errors.New("attachments: no signing key")
	}
	switch o.Storage {
	case model.StorageDisk, model.StorageDatabase:
	default:
		return nil, fmt.Errorf("attachments: unknown storage %q", o.Storage)
	}
	s := &Service{store: o.Store, settings: o.Settings, jobs: o.Jobs, storage: o.Storage, dir: o.Dir,
		baseURL: strings.TrimRight(o.BaseURL, "/"), key: o.Key, ttl: o.LinkTTL, now: o.Now, log: o.Log}
	if o.Storage == model.StorageDisk {
		if err := os.MkdirAll(s.stagingDir(), 0o750); err != nil {
			return nil, fmt.Errorf("PORTICO_ATTACHMENTS_DIR: %w", err)
		}
	}
	return s, nil
}

// Attachments returns the upload settings (what the forms accept).
func (s *Service) Attachments(ctx context.Context) (settings.Attachments, error) {
	return s.settings.Attachments(ctx)
}

// stagingDir holds uploads being read. On disk it is inside Dir, so that
// keeping a file is a rename on one file system; in the database mode the
// system's temporary folder will do.
func (s *Service) stagingDir() string {
	if s.storage == model.StorageDisk {
		return filepath.Join(s.dir, "tmp")
	}
	return os.TempDir()
}

// path is where the file of key lives: two levels of fan-out keep folders
// small. Keys are ours (newKey) and checked, so no key escapes Dir.
func (s *Service) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("attachments: bad storage key %q", key)
	}
	return filepath.Join(s.dir, key[:2], key), nil
}

// newKey is a random name for a file on disk. Names are random rather than
// the content's hash: two tickets with the same file each own theirs, so
// erasing one never removes the other's.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func validKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Check applies the settings to a form's files: each must be of an allowed
// type, by its bytes. A refusal is model.FieldErrors on "files", naming the
// file and the types accepted.
func (s *Service) Check(ctx context.Context, f *Form) error {
	if f == nil || len(f.Files) == 0 {
		return nil
	}
	set, err := s.settings.Attachments(ctx)
	if err != nil {
		return err
	}
	if len(set.AllowedTypes) == 0 {
		return model.FieldErrors{"files": "cannot be attached here: uploads are switched off"}
	}
	for _, file := range f.Files {
		if !set.Allows(file.Type) {
			return model.FieldErrors{"files": fmt.Sprintf("%q is not accepted here (its type is %q); a file must be one of: %s",
				file.Name, mediaType(file.Type), strings.Join(set.AllowedTypes, ", "))}
		}
	}
	return nil
}

// AttachInTx stores the form's files with message messageID of ticket
// ticketID inside tx: rows, and the bytes as chunks or as files renamed
// into place. If tx does not commit, Form.Close removes what was placed.
func (s *Service) AttachInTx(ctx context.Context, tx *store.Tx, ticketID, messageID int64, f *Form) error {
	if f == nil {
		return nil
	}
	for i := range f.Files {
		file := &f.Files[i]
		up := store.NewUpload{TicketID: ticketID, MessageID: messageID, Filename: file.Name, ContentType: file.Type,
			Size: file.Size, Storage: s.storage, SHA256: file.SHA256}
		if s.storage == model.StorageDisk {
			if err := s.place(f, file); err != nil {
				return err
			}
			up.StorageKey = &file.key
		}
		id, err := tx.AddUpload(ctx, up)
		if err != nil {
			return err
		}
		if s.storage == model.StorageDatabase {
			if err := s.storeChunks(ctx, tx, id, file); err != nil {
				return err
			}
		}
	}
	return nil
}

// place renames a staged file to its final name and makes the rename
// durable before the transaction that names it commits.
func (s *Service) place(f *Form, file *Staged) error {
	key := newKey()
	dst, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	if err := os.Rename(file.path, dst); err != nil {
		return fmt.Errorf("attachments: keep %s: %w", file.Name, err)
	}
	file.key, file.path = key, ""
	f.placed = append(f.placed, key)
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("attachments: sync %s: %w", dir, err)
	}
	return nil
}

func (s *Service) storeChunks(ctx context.Context, tx *store.Tx, id int64, file *Staged) error {
	in, err := os.Open(file.path)
	if err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	defer in.Close()
	buf := make([]byte, chunkSize)
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(in, buf)
		if n > 0 {
			if err := tx.AddAttachmentChunk(ctx, id, seq, buf[:n]); err != nil {
				return err
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return fmt.Errorf("attachments: read %s: %w", file.Name, err)
		}
	}
}

// QueueSweep enqueues the removal of files on disk whose rows tx deleted
// (erasure queues them in attachment_removals): it runs once tx commits.
func (s *Service) QueueSweep(ctx context.Context, tx *store.Tx) error {
	return s.jobs.Enqueue(ctx, tx.SQL(), SweepArgs{})
}
