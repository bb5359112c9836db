package main

import (
	"embed"
	"io/fs"
)

// migrationsFS holds the SQL migrations of both dialects; the store picks
// migrations/postgres or migrations/sqlite at start-up.
//
//go:embed migrations
var migrationsFS embed.FS

// adminUIFS is the built admin single-page app (admin-ui/dist). Before the
// first `make build` it holds only .gitkeep, and /admin says so.
//
//go:embed all:admin-ui/dist
var adminUIFS embed.FS

// widgetFS is the built widget: loader script and WebAssembly core
// (widget/dist), precompressed.
//
//go:embed all:widget/dist
var widgetFS embed.FS

// mustSub returns the subtree dir of an embedded FS; the directories are
// fixed above, so an error is a build mistake.
func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
