// Vite empties dist/ before building; the Go embed (embed.go) needs the
// directory to exist with at least one file even before the first build, so
// the tracked placeholder is put back after every build.
import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
mkdirSync(dist, { recursive: true })
writeFileSync(join(dist, '.gitkeep'), '')
