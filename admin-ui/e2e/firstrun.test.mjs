// Browser test of the first run (issue 18): a fresh binary with a fresh
// SQLite database and no PORTICO_ADMIN_* variables prints a one-time set-up
// link; the operator opens it, chooses the first admin's address and
// password and lands signed in. Done on http://localhost:<port> and on
// http://127.0.0.1:<port>, with the base URL naming one and the browser
// using the other, since `make run` says localhost and people type either.
//
//   npm run e2e      (runs this file after admin.test.mjs)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, requirePrerequisites, startServer, why } from './server.mjs'

const PASSWORD = 'first run horse staple'
const LINK = /(http:\/\/\S+?\/admin\/setup\?token=([0-9a-f]{64}))\s/

requirePrerequisites('first-run e2e')

/** A fresh browser context whose pages record script errors and CSP violations. */
async function newContext(browser, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`)
  })
  return { context, page }
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

/** Fills the set-up form and sends it. */
async function setUp(page, email, password, repeat = password) {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByLabel('Repeat the password').fill(repeat)
  await page.getByRole('button', { name: 'Create admin and sign in' }).click()
}

async function signIn(page, origin, email, password) {
  await page.goto(`${origin}/admin/settings`)
  await page.waitForURL(/\/admin\/login\?next=/)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${origin}/admin/settings`)
  await page.getByRole('heading', { name: 'Public tickets' }).waitFor()
}

/** A cookie-authenticated write from the page itself (the browser sends Origin). */
async function saveFromPage(page) {
  return page.evaluate(async () => {
    const r = await fetch('/support/admin/settings/portal', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ allow_reply: false }),
    })
    return r.status
  })
}

test('first run: set-up link, then sign-in, on localhost and 127.0.0.1', { skip: why || false, timeout: 180_000 }, async (t) => {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  const problems = []
  try {
    await t.test('base URL localhost: set up on localhost, sign in on 127.0.0.1', async () => {
      const server = await startServer({ host: 'localhost', log: 'firstrun-localhost-server.log' })
      try {
        const local = `http://localhost:${server.port}`
        const loop = `http://127.0.0.1:${server.port}`
        const email = 'owner@example.com'
        const [, link, token] = await server.waitForOutput(LINK)
        assert.equal(link, `${local}/admin/setup?token=${token}`, 'the link is on the base URL')

        // Before set-up the sign-in page says where the link is.
        const first = await newContext(browser, problems)
        await first.page.goto(`${loop}/admin`)
        await first.page.waitForURL(/\/admin\/login/)
        await first.page.getByTestId('no-admin').getByText('printed in the console').waitFor()
        await shot(first.page, 'firstrun-01-login-no-admin')

        // The printed link, as printed.
        await first.page.goto(link)
        await first.page.getByRole('heading', { name: 'Set up portico' }).waitFor()
        await setUp(first.page, email, 'short', 'short')
        await first.page.getByText('Use at least 8 characters.').waitFor()
        await setUp(first.page, email, PASSWORD, `${PASSWORD}!`)
        await first.page.getByText('The passwords differ.').waitFor()
        await shot(first.page, 'firstrun-02-setup')
        await setUp(first.page, email, PASSWORD)
        // Signed in on the settings, the token gone from the address bar.
        await first.page.waitForURL(`${local}/admin/settings`)
        await first.page.getByRole('heading', { name: 'Public tickets' }).waitFor()
        await first.page.locator('.who .email', { hasText: email }).waitFor()
        const cookie = (await first.context.cookies(local)).find((c) => c.name === 'portico_session')
        assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'HttpOnly, SameSite=Strict session cookie')
        assert.equal(await saveFromPage(first.page), 200, 'a write from the set-up session')
        await shot(first.page, 'firstrun-03-signed-in')

        // The link is dead: the page says so, the API answers 410.
        const later = await newContext(browser, problems)
        await later.page.goto(link)
        await later.page.getByText('has an admin already').waitFor()
        const again = await fetch(`${loop}/support/admin/api/setup`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token, email: 'eve@example.com', password: PASSWORD }),
        })
        assert.equal(again.status, 410)

        // Sign-in on the other name of the machine (Origin is not the base URL).
        await signIn(later.page, loop, email, PASSWORD)
        assert.equal(await later.page.getByTestId('no-admin').count(), 0)
        assert.equal(await saveFromPage(later.page), 200, 'a write signed in on 127.0.0.1')
        const cookie2 = (await later.context.cookies(loop)).find((c) => c.name === 'portico_session')
        const forged = await fetch(`${loop}/support/admin/settings/portal`, {
          method: 'PUT',
          headers: { Cookie: `portico_session=${cookie2.value}`, Origin: 'https://evil.example', 'Content-Type': 'application/json' },
          body: JSON.stringify({ enabled: false }),
        })
        assert.equal(forged.status, 403, 'a cross-site write is still refused')
        await later.page.getByRole('button', { name: 'Sign out' }).click()
        await later.page.waitForURL(`${loop}/admin/login`)
        await first.context.close()
        await later.context.close()
      } finally {
        await server.stop()
      }
    })

    await t.test('base URL 127.0.0.1: set up on localhost, sign in on 127.0.0.1', async () => {
      const server = await startServer({ host: '127.0.0.1', log: 'firstrun-127-server.log' })
      try {
        const local = `http://localhost:${server.port}`
        const loop = `http://127.0.0.1:${server.port}`
        const email = 'second-owner@example.com'
        const [, link, token] = await server.waitForOutput(LINK)
        assert.equal(link, `${loop}/admin/setup?token=${token}`)

        const first = await newContext(browser, problems)
        await first.page.goto(`${local}/admin/setup?token=${token}`)
        await first.page.getByRole('heading', { name: 'Set up portico' }).waitFor()
        await setUp(first.page, email, PASSWORD)
        await first.page.waitForURL(`${local}/admin/settings`)
        await first.page.locator('.who .email', { hasText: email }).waitFor()
        assert.equal(await saveFromPage(first.page), 200)

        const other = await newContext(browser, problems)
        await signIn(other.page, loop, email, PASSWORD)
        assert.equal(await saveFromPage(other.page), 200)
        await first.context.close()
        await other.context.close()
      } finally {
        await server.stop()
      }
    })

    assert.deepEqual(problems, [], 'no script errors and no CSP violations')
  } finally {
    await browser.close()
  }
})
