package main

import "embed"

// migrationsFS holds the SQL migrations of both dialects; the store picks
// migrations/postgres or migrations/sqlite at start-up.
//
//go:embed migrations
var migrationsFS embed.FS
