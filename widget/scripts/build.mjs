// Builds widget/dist, which the Go binary embeds:
//   widget.js                 the loader (stable URL, short cache)
//   widget.<hash>.wasm        the Go core (GOOS=js GOARCH=wasm, stripped)
//   wasm_exec.<hash>.js       Go's wasm_exec.js, minified and scoped so that
//                             its fs/process/path shims stay off the page
//   *.br, *.gz                precompressed siblings (when smaller)
//   manifest.json             logical name -> served file name
//   .gitkeep                  lets `go build` embed the folder before a build
// Fails when the loader is over its 4 KB brotli budget.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'
import * as esbuild from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const go = process.env.GO || 'go'
export const LOADER_BROTLI_BUDGET = 4096

export const brotli = (buf) =>
  zlib.brotliCompressSync(buf, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  })
export const gzip = (buf) => zlib.gzipSync(buf, { level: 9 })

// buildWasm compiles a Go main package for js/wasm the way the widget is
// built (size.mjs builds its hello-world floor with it too).
export function buildWasm(pkg, out, cwd = root) {
  execFileSync(go, ['build', '-trimpath', '-ldflags=-s -w', '-o', out, pkg], {
    cwd,
    env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' },
    stdio: 'inherit',
  })
  return readFileSync(out)
}

// scopeWasmExec rewrites Go's wasm_exec.js into a factory: the script sets
// document.currentScript.p = (bridge) => Go. Every globalThis of the
// original becomes a proxy of the page's global object that keeps fs,
// process, path, Go and the bridge ("portico") to itself, so nothing is
// added to, or read from, the page's own globals of those names.
export function scopeWasmExec(src) {
  let out = src.replace(/^"use strict";/m, '')
  const count = (out.match(/\bglobalThis\b/g) || []).length
  out = out.replace(/\bglobalThis\b/g, 'g')
  out = out.replace(/(^|[^.\w])fs\.writeSync\(/gm, '$1g.fs.writeSync(')
  if (count < 10 || !/g\.Go = class/.test(out) || !/\[g, 5\]/.test(out) || /(^|[^.\w])(fs|process)\./m.test(out.replace(/\/\/.*$/gm, ''))) {
    throw new Error('wasm_exec.js changed shape; review scopeWasmExec in widget/scripts/build.mjs')
  }
  return `"use strict";
document.currentScript.p = (portico) => {
  const own = { portico };
  const mine = (k) => k === "fs" || k === "process" || k === "path" || k === "Go" || k === "portico";
  const g = new Proxy(globalThis, {
    get: (t, k) => (mine(k) ? own[k] : Reflect.get(t, k)),
    set: (t, k, v) => ((own[k] = v), true),
    has: (t, k) => (mine(k) ? k in own : k in t),
  });
${out}
  return own.Go;
};
`
}

const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 12)

async function main() {
  rmSync(dist, { recursive: true, force: true })
  mkdirSync(dist, { recursive: true })
  writeFileSync(join(dist, '.gitkeep'), '')
  const tmp = mkdtempSync(join(tmpdir(), 'portico-widget-'))
  try {
    const files = {} // served name -> contents
    const manifest = {}

    const wasm = buildWasm('./wasm', join(tmp, 'widget.wasm'))
    manifest['widget.wasm'] = `widget.${hash(wasm)}.wasm`
    files[manifest['widget.wasm']] = wasm

    const goroot = execFileSync(go, ['env', 'GOROOT']).toString().trim()
    const execSrc = readFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'), 'utf8')
    const runtime = await esbuild.transform(scopeWasmExec(execSrc), {
      minify: true,
      target: 'es2020',
      legalComments: 'none',
      banner: '/*! wasm_exec.js, scoped for the portico widget. Copyright 2018 The Go Authors; BSD-style license: https://go.dev/LICENSE */',
    })
    const runtimeBuf = Buffer.from(runtime.code)
    manifest['wasm_exec.js'] = `wasm_exec.${hash(runtimeBuf)}.js`
    files[manifest['wasm_exec.js']] = runtimeBuf

    const loader = await esbuild.build({
      entryPoints: [join(root, 'src', 'loader.js')],
      bundle: true,
      minify: true,
      format: 'iife',
      target: 'es2020',
      write: false,
      legalComments: 'none',
      define: {
        __WASM__: JSON.stringify(manifest['widget.wasm']),
        __RUNTIME__: JSON.stringify(manifest['wasm_exec.js']),
      },
    })
    const loaderBuf = Buffer.from(loader.outputFiles[0].contents)
    manifest['widget.js'] = 'widget.js'
    files['widget.js'] = loaderBuf

    for (const [name, buf] of Object.entries(files)) {
      writeFileSync(join(dist, name), buf)
      for (const [ext, fn] of [['.br', brotli], ['.gz', gzip]]) {
        const c = fn(buf)
        if (c.length < buf.length) writeFileSync(join(dist, name + ext), c)
      }
    }
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')

    const loaderBr = brotli(loaderBuf).length
    console.log(`widget: loader ${loaderBuf.length} B (${loaderBr} B brotli), wasm ${wasm.length} B (${brotli(wasm).length} B brotli), runtime ${runtimeBuf.length} B`)
    if (loaderBr > LOADER_BROTLI_BUDGET) {
      throw new Error(`loader is ${loaderBr} B brotli, over the ${LOADER_BROTLI_BUDGET} B budget`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message || e)
    process.exit(1)
  })
}
