package config

import (
	"strings"
	"testing"
)

func TestAttachmentsConfig(t *testing.T) {
	t.Parallel()
	const pg = "postgres://u@db/portico"
	for _, c := range []struct {
		name      string
		env       map[string]string
		mode, dir string
		err       string
	}{
		{name: "sqlite: disk beside the database", env: map[string]string{"PORTICO_DATABASE_URL": "sqlite:///srv/p/portico.db"}, mode: "disk", dir: "/srv/p/attachments"},
		{name: "postgres: in the database", env: map[string]string{"PORTICO_DATABASE_URL": pg}, mode: "database", dir: "data/attachments"},
		{name: "postgres on a shared folder", env: map[string]string{"PORTICO_DATABASE_URL": pg, "PORTICO_ATTACHMENTS": "disk", "PORTICO_ATTACHMENTS_DIR": "/mnt/shared/"}, mode: "disk", dir: "/mnt/shared"},
		{name: "sqlite in the database", env: map[string]string{"PORTICO_ATTACHMENTS": "database"}, mode: "database", dir: "data/attachments"},
		{name: "postgres on disk needs a folder", env: map[string]string{"PORTICO_DATABASE_URL": pg, "PORTICO_ATTACHMENTS": "disk"}, err: "PORTICO_ATTACHMENTS_DIR: is required with PORTICO_ATTACHMENTS=disk on PostgreSQL"},
		{name: "unknown mode", env: map[string]string{"PORTICO_ATTACHMENTS": "s3"}, err: `PORTICO_ATTACHMENTS: "s3" is not disk or database`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadTest(t, c.env, "")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Attachments != c.mode || got.AttachmentsDir != c.dir {
				t.Errorf("got %q %q, want %q %q", got.Attachments, got.AttachmentsDir, c.mode, c.dir)
			}
		})
	}
}
