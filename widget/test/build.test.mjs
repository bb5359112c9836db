// Checks of the build output (npm run build first; make does).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'
import { LOADER_BROTLI_BUDGET, scopeWasmExec } from '../scripts/build.mjs'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'))

test('manifest names the loader and content-hashed files that exist', () => {
  assert.equal(manifest['widget.js'], 'widget.js')
  assert.match(manifest['widget.wasm'], /^widget\.[0-9a-f]{12}\.wasm$/)
  assert.match(manifest['wasm_exec.js'], /^wasm_exec\.[0-9a-f]{12}\.js$/)
  for (const name of Object.values(manifest)) {
    assert.ok(existsSync(join(dist, name)), name)
    assert.ok(existsSync(join(dist, name + '.gz')), name + '.gz')
  }
  assert.ok(existsSync(join(dist, '.gitkeep')), 'the build re-creates dist/.gitkeep')
})

test('precompressed files decode to the originals', () => {
  for (const name of Object.values(manifest)) {
    const raw = readFileSync(join(dist, name))
    assert.deepEqual(zlib.gunzipSync(readFileSync(join(dist, name + '.gz'))), raw, name)
    if (existsSync(join(dist, name + '.br'))) assert.deepEqual(zlib.brotliDecompressSync(readFileSync(join(dist, name + '.br'))), raw, name)
  }
})

test('the loader is within its brotli budget and names the hashed files', () => {
  const loader = readFileSync(join(dist, 'widget.js'))
  assert.ok(zlib.brotliCompressSync(loader).length <= LOADER_BROTLI_BUDGET)
  const text = loader.toString()
  assert.ok(text.includes(manifest['widget.wasm']) && text.includes(manifest['wasm_exec.js']))
  assert.ok(!text.includes('__WASM__') && !text.includes('__RUNTIME__'))
})

test('the wasm is a WebAssembly module', () => {
  const wasm = readFileSync(join(dist, manifest['widget.wasm']))
  assert.deepEqual([...wasm.subarray(0, 4)], [0, 0x61, 0x73, 0x6d])
})

test('the scoped wasm_exec.js keeps its shims off the page', () => {
  const out = scopeWasmExec(`"use strict";
(() => {
	if (!globalThis.fs) { globalThis.fs = { writeSync() {} }; }
	if (!globalThis.process) { globalThis.process = {}; }
	if (!globalThis.crypto) { throw new Error(); }
	if (!globalThis.performance) { throw new Error(); }
	if (!globalThis.TextEncoder) { throw new Error(); }
	if (!globalThis.TextDecoder) { throw new Error(); }
	globalThis.Go = class { run() { this._values = [NaN, 0, null, true, false, globalThis, this]; this._ids = new Map([[globalThis, 5]]); fs.writeSync(1, 2); } };
})();`)
  const page = { crypto: 1, performance: 1, TextEncoder: 1, TextDecoder: 1, fs: 'page fs', process: 'page process' }
  const script = {}
  new Function('globalThis', 'document', out)(page, { currentScript: script })
  const Go = script.p({ api: 'x' })
  assert.equal(typeof Go, 'function')
  assert.equal(page.fs, 'page fs')
  assert.equal(page.process, 'page process')
  assert.equal(page.Go, undefined)
  const go = new Go()
  go.run()
  assert.equal(go._values[5].portico.api, 'x', 'the Go global sees the bridge')
  assert.equal(typeof go._values[5].fs.writeSync, 'function', 'and its own fs')
  assert.equal(go._values[5].crypto, 1, 'and the page for the rest')
  assert.throws(() => scopeWasmExec('(() => { globalThis.x = 1 })()'), /changed shape/)
})
