// Prints the widget's sizes (loader and wasm: raw, gzip, brotli) and the
// size of a bare syscall/js hello world built the same way, the floor that
// any Go wasm pays for the runtime. Run after `npm run build`.
//   node scripts/size.mjs [--json]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotli, buildWasm, gzip } from './build.mjs'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
let manifest
try {
  manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'))
} catch {
  console.error('widget/dist is not built: run `npm run build` in widget/ (or make build)')
  process.exit(1)
}

const sizes = (buf) => ({ raw: buf.length, gzip: gzip(buf).length, brotli: brotli(buf).length })

const tmp = mkdtempSync(join(tmpdir(), 'portico-wasm-floor-'))
let floor
try {
  writeFileSync(join(tmp, 'go.mod'), 'module floor\n\ngo 1.26\n')
  writeFileSync(
    join(tmp, 'main.go'),
    'package main\n\nimport "syscall/js"\n\nfunc main() {\n\tjs.Global().Get("console").Call("log", "hello")\n}\n',
  )
  floor = sizes(buildWasm('.', join(tmp, 'floor.wasm'), tmp))
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const report = {
  loader: sizes(readFileSync(join(dist, manifest['widget.js']))),
  runtime: sizes(readFileSync(join(dist, manifest['wasm_exec.js']))),
  wasm: sizes(readFileSync(join(dist, manifest['widget.wasm']))),
  floor,
}
report.ratio = {
  raw: report.wasm.raw / floor.raw,
  brotli: report.wasm.brotli / floor.brotli,
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2))
} else {
  const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KiB'
  const row = (name, s) => `${name.padEnd(26)}${kb(s.raw)}${kb(s.gzip)}${kb(s.brotli)}`
  console.log(`${'widget'.padEnd(26)}${'raw'.padStart(12)}${'gzip'.padStart(12)}${'brotli'.padStart(12)}`)
  console.log(row('loader (widget.js)', report.loader))
  console.log(row('wasm_exec.js (scoped)', report.runtime))
  console.log(row('core (widget.wasm)', report.wasm))
  console.log(row('floor (syscall/js hello)', floor))
  const pct = (r) => ((r - 1) * 100).toFixed(1) + '%'
  console.log(`core over floor: ${pct(report.ratio.raw)} raw, ${pct(report.ratio.brotli)} brotli (aim: within 15%)`)
  console.log(`loader budget: ${report.loader.brotli} / 4096 B brotli`)
}
