package tickets

import (
	"context"
	"errors"
	"maps"

	"github.com/portico/portico/server/attachments"
	"github.com/portico/portico/server/model"
	"github.com/portico/portico/server/store"
)

// checkFiles checks a submission's uploads against the settings, and
// answers the field errors found so far (fields) together with the files'
// own, so a visitor learns everything to fix at once.
func (s *Service) checkFiles(ctx context.Context, f *attachments.Form, fields map[string]string) error {
	var err error
	switch {
	case f == nil || len(f.Files) == 0:
	case s.files == nil:
		err = model.FieldErrors{"files": "cannot be attached here"}
	default:
		err = s.files.Check(ctx, f)
	}
	var fileErrs model.FieldErrors
	if err != nil && !errors.As(err, &fileErrs) {
		return err
	}
	all := model.FieldErrors{}
	maps.Copy(all, fields)
	maps.Copy(all, fileErrs)
	if len(all) > 0 {
		return all
	}
	return nil
}

// attach stores the uploads with their message in tx.
func (s *Service) attach(ctx context.Context, tx *store.Tx, ticketID, messageID int64, f *attachments.Form) error {
	if f == nil || len(f.Files) == 0 {
		return nil
	}
	return s.files.AttachInTx(ctx, tx, ticketID, messageID, f)
}
