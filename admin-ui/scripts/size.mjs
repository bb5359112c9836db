// Prints the gzip size (level 9) of the built admin app: every .js and .css
// under dist/assets plus dist/index.html. `make bench` reports this line.
//   admin bundle: <bytes> bytes gzip (<n> files)
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs'
import { join, dirname, extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const index = join(dist, 'index.html')
if (!existsSync(index)) {
  console.error(`admin bundle: not built (${index} missing; run npm run build in admin-ui/)`)
  process.exit(1)
}

function walk(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

const files = [index, ...walk(join(dist, 'assets')).filter((p) => ['.js', '.css'].includes(extname(p)))]
let total = 0
for (const f of files) total += gzipSync(readFileSync(f), { level: 9 }).length
console.log(`admin bundle: ${total} bytes gzip (${files.length} files)`)
