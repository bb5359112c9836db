package config

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Where customers' uploads are kept (PORTICO_ATTACHMENTS).
const (
	AttachmentsDisk     = "disk"
	AttachmentsDatabase = "database"
)

// attachments reads PORTICO_ATTACHMENTS and PORTICO_ATTACHMENTS_DIR. The
// default keeps files beside the data: on disk next to a SQLite database, in
// the database on PostgreSQL, where several instances share nothing else.
// Disk with PostgreSQL needs a folder named on purpose (one every instance
// mounts).
func attachments(l *loader, db Database) (mode, dir string) {
	def := AttachmentsDisk
	if db.Dialect == DialectPostgres {
		def = AttachmentsDatabase
	}
	mode = l.value("PORTICO_ATTACHMENTS", def)
	switch mode {
	case AttachmentsDisk, AttachmentsDatabase:
	default:
		l.check("PORTICO_ATTACHMENTS", fmt.Errorf("%q is not disk or database", mode))
	}
	defDir := filepath.Join("data", "attachments")
	if db.Dialect == DialectSQLite && db.DSN != "" {
		defDir = filepath.Join(filepath.Dir(db.DSN), "attachments")
	}
	dir = l.value("PORTICO_ATTACHMENTS_DIR", "")
	if dir == "" {
		if mode == AttachmentsDisk && db.Dialect == DialectPostgres {
			l.check("PORTICO_ATTACHMENTS_DIR", errors.New("is required with PORTICO_ATTACHMENTS=disk on PostgreSQL: a folder every instance shares"))
		}
		dir = defDir
	}
	return mode, filepath.Clean(dir)
}
