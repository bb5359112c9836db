// The set-up the browser tests (*.e2e.test.mjs) share: the built binary
// (../bin/portico) on a temporary SQLite database, a "customer site" on a
// second local origin (so the widget runs cross-origin, as on a real site),
// and Debian's Chromium driven by playwright-core.
//
// Not a test file: the e2e script in ../package.json names the test files one
// by one, so node --test never runs this module on its own.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const binary = process.env.PORTICO_BIN || resolve(here, '..', '..', 'bin', 'portico')
const chromiumPath = process.env.PORTICO_CHROMIUM || '/usr/bin/chromium'
const haveChromium = existsSync(chromiumPath)
const ci = process.env.CI === 'true'
const token = 'e2e-admin-token-0123456789abcdef'

// Screenshots (and any log a suite keeps) go here; gitignored.
export const artifacts = join(here, 'artifacts')

// The describe() skip option of every browser suite: a developer without
// Chromium gets a skip, but CI must not pass by skipping, so under CI=true
// the suite runs and fails.
export const skipReason = !haveChromium && !ci ? `no ${chromiumPath}` : false

// A test of its own that says plainly why CI fails without Chromium, rather
// than leaving it to the launch error in before().
export const requireChromiumInCI = () => {
  if (!haveChromium && ci) {
    test('chromium is installed', () => {
      assert.fail(`${chromiumPath} is missing: install Debian's chromium (CI must not skip the browser tests)`)
    })
  }
}

// A port free on 127.0.0.1 now (the OS picks it; it is released at once).
export const freePort = () =>
  new Promise((ok, fail) => {
    const s = net.createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// startPortico runs the binary in a fresh temporary directory (its working
// directory too, so no ./portico.yaml of the developer's is read), on SQLite
// there, with mail to log:// (so tests read the mailed links from log()) and
// an admin API token for admin(). name tells the temporary directories
// apart; env adds or overrides PORTICO_* variables. It resolves once /readyz
// answers; if portico does not start, it stops it and fails with its output.
//
// Returns base (portico's URL), dir (the temporary directory: the database,
// attachments), log() (all output so far), admin(path, init) (the admin API,
// JSON; fails the test on an error status) and stop().
export async function startPortico({ name, env = {} }) {
  assert.ok(existsSync(binary), `${binary} is missing: run \`go build -o bin/portico .\` at the repository root (make build does)`)
  mkdirSync(artifacts, { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), `portico-${name}-e2e-`))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = spawn(binary, [], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME || dir,
      PORTICO_ADDR: `127.0.0.1:${port}`,
      PORTICO_BASE_URL: base,
      PORTICO_DATABASE_URL: `sqlite://${join(dir, 'portico.db')}`,
      PORTICO_ADMIN_API_TOKEN: token,
      PORTICO_MAIL_URL: 'log://',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  server.stdout.on('data', (d) => (log += d))
  server.stderr.on('data', (d) => (log += d))

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM')
      await Promise.race([new Promise((ok) => server.once('exit', ok)), sleep(5000)])
    }
    rmSync(dir, { recursive: true, force: true })
  }

  let ready = false
  for (let i = 0; i < 150 && !ready && server.exitCode === null; i++) {
    ready = await fetch(base + '/readyz').then((r) => r.ok, () => false)
    if (!ready) await sleep(100)
  }
  if (!ready) {
    // The caller has no handle yet to stop it with.
    await stop()
    assert.fail(`portico did not start:\n${log}`)
  }

  const admin = async (path, init = {}) => {
    const headers = { Authorization: `Bearer ${token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers }
    const res = await fetch(base + path, { ...init, headers })
    const body = await res.json()
    assert.ok(res.ok, `${init.method || 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`)
    return body
  }

  return { base, dir, log: () => log, admin, stop }
}

// startHost serves the "customer site" on another local origin. pages maps a
// path to a function returning { headers, html }; it is called per request,
// so a page may use what is known only after start-up (portico's base).
// Other paths answer 404. Returns origin and close().
export async function startHost(pages) {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const server = http.createServer((req, res) => {
    const make = pages[new URL(req.url, origin).pathname]
    if (!make) return res.writeHead(404).end()
    const { headers, html } = make()
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...headers }).end(html)
  })
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok))
  return { origin, close: () => new Promise((ok) => server.close(ok)) }
}

// launchChromium starts Debian's Chromium headless (--no-sandbox: Chromium
// will not start its sandbox as root, as in containers and CI).
// playwright-core is imported only here, so a skipped suite never loads it.
export async function launchChromium() {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  })
}

// collectErrors gathers a page's uncaught errors and console errors in
// p.errors, for tests to assert it stayed empty. "Failed to load resource"
// is left out: it repeats an HTTP status the tests check themselves.
export const collectErrors = (p) => {
  p.errors = []
  p.on('pageerror', (e) => p.errors.push(e.message))
  p.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && p.errors.push(m.text()))
  return p
}

// shot saves a screenshot of p as artifacts/<name>.png.
export const shot = (p, name, options = {}) => p.screenshot({ path: join(artifacts, name + '.png'), ...options })
