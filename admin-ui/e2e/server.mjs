// The real server for the browser tests: bin/portico (or $PORTICO_BIN) on a
// free port with a fresh SQLite database in a temporary directory and
// log:// mail; its output is kept for the tests to read and saved in
// e2e/artifacts/ when it stops.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const ARTIFACTS = join(here, 'artifacts')
export const CHROMIUM = process.env.PORTICO_CHROMIUM ?? '/usr/bin/chromium'
const BIN = resolve(process.env.PORTICO_BIN ?? join(here, '..', '..', 'bin', 'portico'))
const CI = process.env.CI === 'true' || process.env.CI === '1'

/** The arguments every test launches Chromium with. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking']

function missing() {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install chromium)`
  if (!existsSync(BIN)) return `server binary not found at ${BIN} (run make build)`
  return ''
}

/** Why the browser tests cannot run ('' when they can). */
export const why = missing()
if (!why) {
  const index = join(here, '..', 'dist', 'index.html')
  if (existsSync(index) && statSync(BIN).mtimeMs < statSync(index).mtimeMs) {
    console.warn(`warning: ${BIN} is older than admin-ui/dist: it embeds an older build of the app (run make build)`)
  }
}

/** Under CI a missing browser or binary must fail, not pass by skipping. */
export function requirePrerequisites(name) {
  if (why && CI) test(`${name} prerequisites`, () => assert.fail(why))
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => ok(port))
    })
  })
}

/**
 * Starts bin/portico on a free port of 127.0.0.1 with a fresh SQLite
 * database. No PORTICO_* variable of the caller's environment is passed on;
 * opts.env adds some, opts.host names the base URL's host (default
 * 127.0.0.1; it listens on 127.0.0.1 either way), opts.log names its log file
 * in e2e/artifacts/.
 */
export async function startServer(opts = {}) {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'portico-admin-e2e-'))
  const base = `http://${opts.host ?? '127.0.0.1'}:${port}`
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTICO_')))
  Object.assign(env, {
    PORTICO_ADDR: `127.0.0.1:${port}`,
    PORTICO_BASE_URL: base,
    PORTICO_DATABASE_URL: `sqlite://${join(dir, 'portico.db')}`,
    PORTICO_MAIL_URL: 'log://',
    PORTICO_LOG_LEVEL: 'info',
    ...(opts.env ?? {}),
  })
  // cwd is the temp dir, so no ./portico.yaml of the developer's is read.
  const proc = spawn(BIN, [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const waiters = new Set()
  const onData = (chunk) => {
    output += chunk.toString('utf8')
    for (const w of waiters) w()
  }
  proc.stdout.on('data', onData)
  proc.stderr.on('data', onData)
  let exited = null
  proc.on('exit', (code, signal) => {
    exited = { code, signal }
    for (const w of waiters) w()
  })

  /** Waits until the server's output matches re; returns the match. */
  function waitForOutput(re, timeoutMs = 20_000) {
    return new Promise((ok, fail) => {
      const check = () => {
        const m = output.match(re)
        if (m) {
          done()
          ok(m)
        } else if (exited) {
          done()
          fail(new Error(`server exited (${JSON.stringify(exited)}) before printing ${re}:\n${output}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        fail(new Error(`server did not print ${re} within ${timeoutMs} ms`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  }

  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`server exited at start (${JSON.stringify(exited)}):\n${output}`)
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (r.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server not ready after 30 s:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }

  async function stop() {
    if (!exited) {
      proc.kill('SIGTERM')
      await new Promise((r) => {
        const t = setTimeout(() => {
          proc.kill('SIGKILL')
          r()
        }, 10_000)
        proc.on('exit', () => {
          clearTimeout(t)
          r()
        })
      })
    }
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, opts.log ?? 'server.log'), output)
    rmSync(dir, { recursive: true, force: true })
  }
  return { base, port, stop, waitForOutput, output: () => output }
}
