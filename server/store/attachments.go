package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico/portico/server/model"
)

// NewUpload is the row of a file a customer uploaded; its bytes are stored
// apart (chunks or a file on disk), so the row carries only where.
type NewUpload struct {
	TicketID    int64
	MessageID   int64
	Filename    string
	ContentType string
	Size        int64
	// Storage is model.StorageDatabase or model.StorageDisk.
	Storage string
	// StorageKey names the file on disk (nil in the database).
	StorageKey *string
	SHA256     string
}

// AddUpload inserts an uploaded file's row and returns its id.
func (tx *Tx) AddUpload(ctx context.Context, u NewUpload) (int64, error) {
	var id int64
	err := tx.stmt(ctx, tx.s.q.InsertUpload).GetContext(ctx, &id, u.TicketID, u.MessageID, u.Filename, u.ContentType, u.Size,
		[]byte{}, u.Storage, u.StorageKey, u.SHA256, tx.now)
	if err != nil {
		return 0, fmt.Errorf("store: add upload: %w", err)
	}
	return id, nil
}

// AddAttachmentChunk stores piece seq (from 0) of a file kept in the database.
func (tx *Tx) AddAttachmentChunk(ctx context.Context, attachmentID int64, seq int, data []byte) error {
	if _, err := tx.stmt(ctx, tx.s.q.InsertAttachmentChunk).ExecContext(ctx, attachmentID, seq, data); err != nil {
		return fmt.Errorf("store: add chunk %d of attachment %d: %w", seq, attachmentID, err)
	}
	return nil
}

// AttachmentMeta returns an attachment without its bytes.
func (s *Store) AttachmentMeta(ctx context.Context, id int64) (model.Attachment, error) {
	var a model.Attachment
	if err := s.q.AttachmentMeta.GetContext(ctx, &a, id); err != nil {
		return model.Attachment{}, notFound(err, fmt.Sprintf("attachment %d", id))
	}
	return a, nil
}

// AttachmentInlineData returns the bytes of an attachment kept in its row
// (inbound mail).
func (s *Store) AttachmentInlineData(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	if err := s.q.AttachmentInlineData.GetContext(ctx, &b, id); err != nil {
		return nil, notFound(err, fmt.Sprintf("attachment %d", id))
	}
	return b, nil
}

// AttachmentChunk returns piece seq of a file kept in the database;
// model.ErrNotFound past its last piece.
func (s *Store) AttachmentChunk(ctx context.Context, attachmentID int64, seq int) ([]byte, error) {
	var b []byte
	if err := s.q.AttachmentChunk.GetContext(ctx, &b, attachmentID, seq); err != nil {
		return nil, notFound(err, fmt.Sprintf("chunk %d of attachment %d", seq, attachmentID))
	}
	return b, nil
}

// AttachmentsOfMessage lists a message's attachments without their bytes.
func (s *Store) AttachmentsOfMessage(ctx context.Context, messageID int64) ([]model.Attachment, error) {
	as := []model.Attachment{}
	if err := s.q.AttachmentsOfMessage.SelectContext(ctx, &as, messageID); err != nil {
		return nil, fmt.Errorf("store: attachments of message %d: %w", messageID, err)
	}
	return as, nil
}

// StorageKeyInUse reports whether a row names the file key.
func (s *Store) StorageKeyInUse(ctx context.Context, key string) (bool, error) {
	var n int
	if err := s.q.CountStorageKey.GetContext(ctx, &n, key); err != nil {
		return false, fmt.Errorf("store: storage key: %w", err)
	}
	return n > 0, nil
}

// AttachmentRemovals returns up to limit keys of files on disk whose rows
// are gone, oldest first.
func (s *Store) AttachmentRemovals(ctx context.Context, limit int) ([]string, error) {
	keys := []string{}
	if err := s.q.AttachmentRemovals.SelectContext(ctx, &keys, limit); err != nil {
		return nil, fmt.Errorf("store: attachment removals: %w", err)
	}
	return keys, nil
}

// AttachmentRemoved forgets a removal once its file is gone.
func (s *Store) AttachmentRemoved(ctx context.Context, key string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.stmt(ctx, tx.s.q.DeleteAttachmentRemoval).ExecContext(ctx, key); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: attachment removed: %w", err)
		}
		return nil
	})
}
