// Browser test of the admin app against the real server binary: Debian's
// Chromium driven by playwright-core, run by node's own test runner.
//
//   npm run e2e                      uses ../bin/portico (make build)
//   PORTICO_BIN=/path/portico npm run e2e
//
// Without Chromium or the binary the test is skipped, except under CI=true,
// where either missing is a failure. Screenshots and the server's log land in
// e2e/artifacts/ (not committed).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, requirePrerequisites, startServer, why } from './server.mjs'

const ADMIN_EMAIL = 'admin@example.com'
const ADMIN_PASSWORD = 'correct horse battery staple'
const STARTUP_TEMPLATE = 'https://app.example.com/welcome?invite={token}'

requirePrerequisites('admin e2e')

test('admin app in a real browser against the real server', { skip: why || false, timeout: 180_000 }, async (t) => {
  const { chromium } = await import('playwright-core')
  mkdirSync(ARTIFACTS, { recursive: true })
  const server = await startServer({
    env: {
      PORTICO_ADMIN_EMAIL: ADMIN_EMAIL,
      PORTICO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The guest policy's start-up default, in force until one is saved.
      PORTICO_GUEST_POLICY_MODE: 'prompt_signup',
      PORTICO_GUEST_POLICY_SIGNUP_URL_TEMPLATE: STARTUP_TEMPLATE,
    },
  })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  })
  const problems = []
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`)
    })
    const base = server.base
    const shot = (name, opts = {}) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts })
    const api = async (path) => {
      const r = await context.request.get(`${base}${path}`)
      return { status: r.status(), body: r.status() === 200 ? await r.json() : null }
    }
    const guestPolicy = async () => (await api('/support/admin/settings/public-tickets')).body

    await t.test('sign in: a wrong password gets a generic error, the right one the settings', async () => {
      await page.goto(`${base}/admin/settings`)
      await page.waitForURL(/\/admin\/login\?next=/)
      await page.getByLabel('Email').fill(ADMIN_EMAIL)
      await page.getByLabel('Password').fill('wrong password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('Wrong email or password.').waitFor()
      await shot('01-login')
      await page.getByLabel('Password').fill(ADMIN_PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(`${base}/admin/settings`)
      await page.getByRole('heading', { name: 'Public tickets' }).waitFor()

      const cookie = (await context.cookies()).find((c) => c.name === 'portico_session')
      assert.ok(cookie, 'session cookie set')
      assert.equal(cookie.httpOnly, true)
      assert.equal(cookie.sameSite, 'Strict')
      // A cross-site write with the cookie is refused.
      const forged = await fetch(`${base}/support/admin/settings/portal`, {
        method: 'PUT',
        headers: { Cookie: `portico_session=${cookie.value}`, Origin: 'https://evil.example', 'Content-Type': 'application/json' },
        body: JSON.stringify({ enabled: false }),
      })
      assert.equal(forged.status, 403)
    })

    await t.test('guest_user with id 42 survives a reload', async () => {
      // Nothing saved yet: the start-up default is in force, and shown.
      const source = page.getByTestId('gp-source')
      await source.getByText('In force: start-up default (from PORTICO_GUEST_POLICY_*)').waitFor()
      assert.equal(await page.getByLabel('Signup URL template').inputValue(), STARTUP_TEMPLATE)
      assert.equal(await page.getByRole('button', { name: 'Reset to start-up default' }).count(), 0)
      await page.getByLabel('File under one user').check()
      const userId = page.getByLabel('User id')
      await userId.fill('42')
      await page.getByRole('button', { name: 'Save guest policy' }).click()
      await page.locator('#guest-policy').getByText('Saved.').waitFor()
      assert.equal((await guestPolicy()).guest_policy_user_id, 42)

      await page.reload()
      await page.getByLabel('User id').waitFor()
      assert.equal(await page.getByLabel('File under one user').isChecked(), true)
      assert.equal(await page.getByLabel('User id').inputValue(), '42')
      assert.equal(await page.getByTestId('gp-stored-mode').textContent(), 'guest_user')
      await page.getByTestId('gp-source').getByText('In force: saved here').waitFor()
    })

    await t.test('prompt_signup clears the user id; a 600-character template is cut at 500', async () => {
      await page.getByLabel('Invite to sign up').check()
      assert.equal(await page.getByLabel('User id').count(), 0, 'the user id field is hidden')
      const head = 'https://app.example.com/signup?invite={token}&pad='
      const template = head + 'x'.repeat(600 - head.length)
      assert.equal(template.length, 600)
      const field = page.getByLabel('Signup URL template')
      await field.focus()
      await page.keyboard.insertText(template) // what a paste does
      await page.getByText('600 / 500 characters').waitFor()
      await page.getByText('the server keeps only the first 500').waitFor()
      const example = await page.getByTestId('example-link').getAttribute('href')
      assert.match(example, /^https:\/\/app\.example\.com\/signup\?invite=42\.1767225600\./)

      await page.getByRole('button', { name: 'Save guest policy' }).click()
      await page.locator('#guest-policy').getByText('Saved.').waitFor()
      await page.getByText('the server kept the first 500').waitFor()
      assert.equal((await field.inputValue()).length, 500)
      assert.equal(await field.inputValue(), template.slice(0, 500))
      assert.equal(await page.getByTestId('gp-stored-user-id').textContent(), 'none')

      const stored = await guestPolicy()
      assert.equal(stored.guest_policy_mode, 'prompt_signup')
      assert.equal(stored.guest_policy_user_id, null)
      assert.equal(stored.guest_policy_signup_url_template, template.slice(0, 500))

      await page.reload()
      await page.getByLabel('Signup URL template').waitFor()
      assert.equal((await page.getByLabel('Signup URL template').inputValue()).length, 500)
      await page.getByLabel('File under one user').check()
      assert.equal(await page.getByLabel('User id').inputValue(), '', 'the old user id is gone')
      await page.getByLabel('Invite to sign up').check()
      assert.equal(await page.getByLabel('Signup URL template').inputValue(), '', 'switching back does not bring back unsaved text')
      await page.reload()
    })

    await t.test('reset to the start-up default', async () => {
      const source = page.getByTestId('gp-source')
      await source.getByText('In force: saved here').waitFor()
      await source.getByText('Start-up default: Invite to sign up (' + STARTUP_TEMPLATE + ')').waitFor()
      await shot('02b-guest-policy-saved')
      await page.getByRole('button', { name: 'Reset to start-up default' }).click()
      await page.getByTestId('gp-reset-status').getByText('the start-up default is in force again').waitFor()
      await source.getByText('In force: start-up default (from PORTICO_GUEST_POLICY_*)').waitFor()
      assert.equal(await page.getByRole('button', { name: 'Reset to start-up default' }).count(), 0)
      assert.equal(await page.getByLabel('Signup URL template').inputValue(), STARTUP_TEMPLATE, 'the form shows the default')
      const stored = await guestPolicy()
      assert.equal(stored.source, 'default')
      assert.equal(stored.guest_policy_signup_url_template, STARTUP_TEMPLATE)
      await page.reload()
      await page.getByTestId('gp-source').getByText('In force: start-up default (from PORTICO_GUEST_POLICY_*)').waitFor()
    })

    await t.test('portal retention is validated like the server and stored canonically', async () => {
      const retention = page.getByLabel('Retention after close')
      await retention.fill('3 days')
      await retention.blur()
      await page.getByText('Retention use a number followed by m, h, d or w, e.g. 30d.').waitFor()
      assert.equal(await retention.getAttribute('aria-invalid'), 'true')
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      assert.equal((await api('/support/admin/settings/portal')).body.retention_after_close, '30d', 'nothing was sent')

      await retention.fill('14d')
      await page.getByLabel('Allow replies').uncheck()
      await page.getByLabel('Status mails').uncheck()
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      await page.getByText('Retention stored as 2w (2 weeks).').waitFor()
      assert.equal(await retention.inputValue(), '2w')
      await page.getByTestId('retention-scope').getByText('A change applies to tickets closed from then on.').waitFor()
      const portal = (await api('/support/admin/settings/portal')).body
      assert.deepEqual(portal, { enabled: true, allow_reply: false, retention_after_close: '2w', status_mails: false, default_language: 'en' })
      await page.getByLabel('Allow replies').check()
      await page.getByLabel('Status mails').check()
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      await page.locator('#portal').getByText('Saved.').waitFor()
      assert.equal((await api('/support/admin/settings/portal')).body.status_mails, true)
      // The home page's ratings card: nothing answered yet.
      await page.getByTestId('ratings-total').getByText('No answers in the last 30 days yet.').waitFor()
    })

    await t.test("portal: the default customer language is stored; the server's refusal shows next to it", async () => {
      const section = page.locator('#portal')
      const lang = page.getByLabel('Default customer language')
      assert.equal(await lang.inputValue(), 'en')
      await section.getByText("Pages and mails use the customer's own language when known").waitFor()
      await lang.selectOption({ label: 'Deutsch' })
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      await section.getByText('Saved.').waitFor()
      assert.equal((await api('/support/admin/settings/portal')).body.default_language, 'de')
      await page.reload()
      await page.getByLabel('Default customer language').waitFor()
      assert.equal(await page.getByLabel('Default customer language').inputValue(), 'de')

      // A language the server does not speak (as an older app might send) is refused with a 422.
      await lang.evaluate((el) => el.add(new Option('Klingon', 'tlh')))
      await lang.selectOption('tlh')
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      const error = section.locator('#portal-default-language-error')
      await error.getByText('Default customer language must be one of: en, de, fr, es, pt.').waitFor()
      assert.equal(await lang.getAttribute('aria-invalid'), 'true')
      assert.match(await lang.getAttribute('aria-describedby'), /portal-default-language-error/)
      await section.screenshot({ path: join(ARTIFACTS, '04b-portal-language.png') })
      assert.equal((await api('/support/admin/settings/portal')).body.default_language, 'de', 'nothing was stored')
      await lang.selectOption('en')
      assert.equal(await error.count(), 0, 'the error goes with a change')
      await page.getByRole('button', { name: 'Save portal settings' }).click()
      await section.getByText('Saved.').waitFor()
      assert.equal((await api('/support/admin/settings/portal')).body.default_language, 'en')
    })

    await t.test('widget: errors next to fields, live snippet and preview', async () => {
      const origins = page.getByLabel('Allowed origins')
      await origins.fill('https://www.example.com\nhttps://Shop.example.com/cart')
      await page.getByRole('button', { name: 'Save widget settings' }).click()
      await page.locator('#widget-allowed_origins-error').getByText('must not contain a path').waitFor()
      assert.equal(await origins.getAttribute('aria-invalid'), 'true')

      await origins.fill('https://www.example.com\nhttps://shop.example.com')
      await page.getByLabel('Color', { exact: true }).fill('#0F766E')
      await page.getByLabel('Bottom left').check()
      await page.getByLabel('Title').fill('Need help?')
      const snippet = await page.getByTestId('snippet').inputValue()
      assert.equal(
        snippet,
        `<script src="${base}/support/widget/widget.js" data-base-url="${base}" data-color="#0F766E" data-position="bottom-left" async></script>`,
      )
      const launcher = page.getByTestId('launcher-preview')
      assert.equal((await launcher.textContent()).trim(), 'Need help?')
      assert.equal(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(15, 118, 110)')
      const box = await launcher.boundingBox()
      const frame = await page.locator('.preview').boundingBox()
      assert.ok(box.x - frame.x < frame.width / 2, 'the preview button sits on the left')
      await launcher.click()
      await page.getByTestId('preview-panel').waitFor()

      await page.getByRole('button', { name: 'Save widget settings' }).click()
      await page.locator('#widget').getByText('Saved.').waitFor()
      const w = (await api('/support/admin/settings/widget')).body
      assert.equal(w.color, '#0F766E')
      assert.equal(w.position, 'bottom-left')
      assert.deepEqual(w.allowed_origins, ['https://www.example.com', 'https://shop.example.com'])
      await shot('02-settings')

      // Usable on a phone: nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 })
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll at 390 px')
      await shot('03-settings-phone')
      await page.setViewportSize({ width: 1280, height: 900 })

      await page.emulateMedia({ colorScheme: 'dark' })
      const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      assert.notEqual(dark, 'rgb(246, 247, 249)', 'dark mode changes the page')
      await shot('04-settings-dark')
      await page.emulateMedia({ colorScheme: 'light' })
    })

    await t.test('privacy: the purge is off by default, validated like the server, stored and switched off', async () => {
      const section = page.locator('#privacy')
      const purge = page.getByLabel('Erase closed tickets automatically')
      assert.equal(await purge.isChecked(), false)
      assert.deepEqual((await api('/support/admin/settings/privacy')).body, { purge_closed_after: null })
      await purge.check()
      const after = page.getByLabel('Erase tickets closed for longer than')
      await after.fill('1 year')
      await page.getByRole('button', { name: 'Save privacy settings' }).click()
      await section.getByText('Purge after use a number followed by m, h, d or w, e.g. 30d.').waitFor()
      assert.deepEqual((await api('/support/admin/settings/privacy')).body, { purge_closed_after: null }, 'nothing was sent')
      await after.fill('56d')
      await page.getByRole('button', { name: 'Save privacy settings' }).click()
      await section.getByText('Stored as 8w (8 weeks).').waitFor()
      assert.deepEqual((await api('/support/admin/settings/privacy')).body, { purge_closed_after: '8w' })
      await page.reload()
      await page.getByLabel('Erase tickets closed for longer than').waitFor()
      assert.equal(await page.getByLabel('Erase tickets closed for longer than').inputValue(), '8w')
      await page.getByLabel('Erase closed tickets automatically').uncheck()
      await page.getByRole('button', { name: 'Save privacy settings' }).click()
      await section.getByText('Saved.').waitFor()
      assert.deepEqual((await api('/support/admin/settings/privacy')).body, { purge_closed_after: null })
    })

    await t.test('attachments: types ticked by kind, uploads switched off and on', async () => {
      const section = page.locator('#attachments')
      const stored = async () => (await api('/support/admin/settings/attachments')).body.allowed_types
      await section.getByText('Customers can attach: PNG, JPEG, GIF, WebP, PDF, Plain text, ZIP.').waitFor()
      assert.equal(await section.getByLabel('PNG').isChecked(), true)
      assert.equal(await section.getByLabel('MP4').isChecked(), false)
      await section.getByRole('group', { name: 'Video' }).waitFor()
      await section.getByLabel('MP4').check()
      await section.getByLabel('GIF').uncheck()
      await page.getByRole('button', { name: 'Save attachment settings' }).click()
      await section.getByText('Saved.').waitFor()
      const types = ['image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain', 'application/zip', 'video/mp4']
      assert.deepEqual(await stored(), types)
      await section.getByText('Customers can attach: PNG, JPEG, WebP, PDF, Plain text, ZIP, MP4.').waitFor()
      await section.screenshot({ path: join(ARTIFACTS, '04c-attachments.png') })

      // Off: the list goes, [] is stored, and the hosted form has no file field.
      const uploads = section.getByLabel('Customers may attach files')
      await uploads.uncheck()
      assert.equal(await section.getByLabel('PNG').count(), 0)
      await page.getByRole('button', { name: 'Save attachment settings' }).click()
      await section.getByText('Customers cannot attach files.').waitFor()
      assert.deepEqual(await stored(), [])
      assert.doesNotMatch(await (await fetch(`${base}/support/widget/form`)).text(), /type="file"/)

      // On again after a reload: the defaults are offered; none ticked is refused before sending.
      await page.reload()
      await page.getByLabel('Customers may attach files').check()
      assert.equal(await section.getByLabel('PNG').isChecked(), true)
      assert.equal(await section.getByLabel('MP4').isChecked(), false)
      const ticked = section.locator('.type-groups input:checked')
      assert.equal(await ticked.count(), 7)
      while ((await ticked.count()) > 0) await ticked.first().uncheck()
      await page.getByRole('button', { name: 'Save attachment settings' }).click()
      await section.getByText('Tick at least one type, or switch attachments off.').waitFor()
      assert.deepEqual(await stored(), [], 'nothing was sent')
      await section.getByLabel('PDF').check()
      await page.getByRole('button', { name: 'Save attachment settings' }).click()
      await section.getByText('Customers can attach: PDF.').waitFor()
      assert.deepEqual(await stored(), ['application/pdf'])
      assert.match(await (await fetch(`${base}/support/widget/form`)).text(), /type="file"[^>]*accept="application\/pdf"|accept="application\/pdf"[^>]*type="file"/)
    })

    await t.test('GitHub desk: discussions want a category and the sync, and say so', async () => {
      const section = page.locator('#github')
      const desk = async () => (await api('/support/admin/settings/github')).body
      assert.deepEqual(await desk(), { desk: 'issues', discussion_category: null })
      await section
        .getByText('New tickets would open an issue, but the GitHub sync is off (PORTICO_GITHUB_REPOSITORY is not set).')
        .waitFor()
      assert.equal(await section.getByLabel('Discussion category').count(), 0)
      await section.getByLabel('Discussions').check()
      const category = section.getByLabel('Discussion category')
      await page.getByRole('button', { name: 'Save GitHub desk' }).click()
      await section.getByText('Enter the name or slug of a discussion category, like Support.').waitFor()
      assert.equal(await category.getAttribute('aria-invalid'), 'true')
      await category.fill('Support')
      await page.getByRole('button', { name: 'Save GitHub desk' }).click()
      // This server has no GitHub repository: its 422 names the setting to set.
      await section.locator('#github-desk-error').getByText('discussions need the GitHub sync').waitFor()
      assert.equal(await section.getByRole('group', { name: 'New tickets go to' }).getAttribute('aria-invalid'), 'true')
      assert.deepEqual(await desk(), { desk: 'issues', discussion_category: null }, 'nothing was stored')
      await section.screenshot({ path: join(ARTIFACTS, '04d-github-desk.png') })
      await section.getByLabel('Issues').check()
      await page.getByRole('button', { name: 'Save GitHub desk' }).click()
      await section.getByTestId('github-desk').getByText('Saved.').waitFor()
      assert.deepEqual(await desk(), { desk: 'issues', discussion_category: null })
      await section.getByTestId('backfill-status').waitFor()
    })

    await t.test('keyboard: skip link first, visible focus', async () => {
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur())
      await page.goto(`${base}/admin/settings`)
      await page.getByRole('heading', { name: 'Public tickets' }).waitFor()
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content')
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)
      assert.equal(outline, 'solid')
    })

    let portalURL = ''
    let reference = ''
    await t.test('a ticket filed through the widget API mails a working portal link', async () => {
      const r = await fetch(`${base}/support/widget/tickets`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'carol@example.com', name: 'Carol', subject: 'Printer on fire', description: 'Smoke everywhere.' }),
      })
      assert.equal(r.status, 201)
      reference = (await r.json()).reference
      const m = await server.waitForOutput(/portico mail: to=carol@example\.com .*? links: .*?(http\S+\/portal\/[0-9a-f]{64})/)
      portalURL = m[1]
      assert.equal((await fetch(portalURL)).status, 200)
    })

    await t.test('tickets: search finds it; the ticket page revokes its links', async () => {
      await page.getByRole('link', { name: 'Tickets' }).click()
      await page.getByRole('heading', { name: 'Tickets' }).waitFor()
      await page.getByLabel('Search').fill('carol@example.com')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL(/\/admin\/tickets\?q=carol%40example\.com/)
      await page.getByRole('link', { name: reference }).waitFor()
      await page.getByText('Showing 1–1 of 1').waitFor()
      await shot('05-tickets')

      await page.getByLabel('Status').selectOption('closed')
      await page.getByText('No ticket matches.').waitFor()
      await page.goBack()
      await page.getByRole('link', { name: reference }).click()
      await page.waitForURL(`${base}/admin/tickets/${reference}`)
      await page.getByRole('heading', { name: /Printer on fire/ }).waitFor()
      await page.getByText('Smoke everywhere.').waitFor()
      const row = page.locator('table.links tbody tr')
      assert.equal(await row.count(), 1)
      assert.equal(await row.getAttribute('data-state'), 'active')
      await row.getByText('carol@example.com').waitFor()
      await page.getByText('GitHub sync is off').waitFor()
      await page.getByText('Asked once the ticket is closed (in the close mail and on the portal).').waitFor()

      await page.getByRole('button', { name: 'Revoke portal links…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Revoke portal links?' })
      await dialog.waitFor()
      await shot('06-ticket-revoke-confirm')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await dialog.waitFor({ state: 'hidden' })
      assert.equal((await fetch(portalURL)).status, 200, 'cancel revokes nothing')

      await page.getByRole('button', { name: 'Revoke portal links…' }).click()
      await dialog.getByRole('button', { name: 'Revoke links' }).click()
      await page.getByTestId('revoke-status').getByText('Revoked 1 link.').waitFor()
      await page.locator('table.links tbody tr[data-state="revoked"]').waitFor()
      assert.equal(await page.getByRole('button', { name: 'Revoke portal links…' }).isDisabled(), true)
      await shot('07-ticket')
      assert.equal((await fetch(portalURL)).status, 404, 'the revoked portal link is gone')
    })

    await t.test('ticket page: mail a new link, stop and resume the portal', async () => {
      // The confirmation's subject is fixed; the new link's mail keeps the ticket's.
      await page.getByLabel('Mail a new link to').selectOption('carol@example.com')
      await page.getByRole('button', { name: 'Mail a new link' }).click()
      await page.getByTestId('issue-status').getByText('is on its way to carol@example.com').waitFor()
      const m = await server.waitForOutput(/portico mail: to=carol@example\.com subject="\[TK-\d+\] Printer on fire" links: (http\S+\/portal\/[0-9a-f]{64})/)
      const fresh = m[1]
      assert.equal((await fetch(fresh)).status, 200, 'the new link works')
      assert.equal((await fetch(portalURL)).status, 404, 'the revoked one stays revoked')
      // The link is minted when the mail goes out, after the page reloaded.
      await page.reload()
      await page.locator('table.links tbody tr[data-state="active"]').waitFor()

      await page.getByRole('button', { name: 'Stop the portal for this ticket' }).click()
      await page.getByTestId('portal-stopped').waitFor()
      await page.locator('table.links tbody tr[data-state="stopped"]').waitFor()
      assert.equal(await page.getByRole('button', { name: 'Mail a new link' }).isDisabled(), true)
      assert.equal((await fetch(fresh)).status, 404, 'a stopped portal answers not found')
      await shot('07b-ticket-portal-stopped')
      await page.getByRole('button', { name: 'Resume the portal' }).click()
      await page.getByTestId('portal-stopped').waitFor({ state: 'hidden' })
      assert.equal((await fetch(fresh)).status, 200, 'resumed')

      await page.getByRole('button', { name: 'Revoke portal links…' }).click()
      await page.getByRole('dialog', { name: 'Revoke portal links?' }).getByRole('button', { name: 'Revoke links' }).click()
      await page.locator('table.links tbody tr[data-state="revoked"]').waitFor()
      assert.equal((await fetch(fresh)).status, 404)
    })

    await t.test('contact page: promote to user', async () => {
      await page.getByTestId('contact-link').click()
      await page.getByRole('heading', { name: 'Carol' }).waitFor()
      const userId = page.getByLabel('User id')
      await userId.fill('0')
      await page.getByRole('button', { name: 'Promote to user' }).click()
      await page.getByText('Must be a positive whole number').waitFor()
      await userId.fill('77')
      await page.getByRole('button', { name: 'Promote to user' }).click()
      await page.getByText('Promoted to user 77; 1 ticket now filed under that user.').waitFor()
      assert.equal(await page.getByTestId('contact-user').textContent(), 'user 77')
      await shot('08-contact')
      const detail = (await api(`/support/admin/tickets/${reference}`)).body
      assert.equal(detail.requester_id, 77)
    })

    await t.test('contact page: export, then erase after typing the address', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export data' }).click()])
      assert.match(download.suggestedFilename(), /^portico-contact-\d+\.json$/)
      const doc = JSON.parse(readFileSync(await download.path(), 'utf8'))
      assert.equal(doc.format, 'portico.contact-export.v1')
      assert.equal(doc.contact.email, 'carol@example.com')
      assert.equal(doc.tickets.length, 1)
      assert.equal(doc.tickets[0].messages[0].body, 'Smoke everywhere.')
      assert.equal(doc.tickets[0].portal_links[0].state, 'revoked')
      await page.getByTestId('export-status').getByText('(1 ticket)').waitFor()

      await page.getByRole('button', { name: 'Erase contact…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Erase this contact for good?' })
      await dialog.waitFor()
      const confirm = dialog.getByLabel('Type the address carol@example.com to confirm')
      const go = dialog.getByRole('button', { name: 'Erase for good' })
      assert.equal(await go.isDisabled(), true)
      await confirm.fill('carol@example.co')
      assert.equal(await go.isDisabled(), true, 'a near miss does not enable it')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await dialog.waitFor({ state: 'hidden' })
      assert.equal((await api(`/support/admin/tickets/${reference}`)).body.contact.email, 'carol@example.com', 'cancel erases nothing')

      await page.getByRole('button', { name: 'Erase contact…' }).click()
      assert.equal(await confirm.inputValue(), '', 'the confirmation starts empty')
      await confirm.fill(' Carol@Example.com ')
      await shot('09-contact-erase-confirm')
      await go.click()
      await page.getByTestId('erase-status').getByText('Erased: 1 ticket, 1 message, 0 attachments and 0 portal links.').waitFor()
      await page.getByRole('heading', { name: /^erased-\d+@invalid$/ }).waitFor()
      await page.getByTestId('erased-note').waitFor()
      assert.equal(await page.getByRole('button', { name: 'Erase contact…' }).count(), 0)
      assert.equal(await page.getByRole('button', { name: /Promote to user|Change user/ }).count(), 0)
      await shot('10-contact-erased')
      const detail = (await api(`/support/admin/tickets/${reference}`)).body
      assert.equal(detail.subject, '(erased)')
      assert.equal(detail.messages[0].body, '')
      assert.equal(detail.requester_id, 0, 'the user link went with the contact')
      assert.match(detail.contact.email, /^erased-\d+@invalid$/)
    })

    await t.test('workflows: a rule made in the editor sets urgent on a new outage ticket from the widget', async () => {
      await page.getByRole('link', { name: 'Workflows' }).click()
      await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor()
      await page.locator('tr[data-rule="Tag widget tickets"]').waitFor()
      await page.getByRole('link', { name: 'New rule' }).click()
      await page.waitForURL(`${base}/admin/workflows/new`)
      await page.getByRole('heading', { name: 'New rule' }).waitFor()
      // The form refuses what the server would, before sending.
      await page.getByRole('button', { name: 'Create rule' }).click()
      await page.getByText('Name is required.').waitFor()
      await page.getByLabel('Name', { exact: true }).fill('Outages are urgent')
      await page.getByLabel('When', { exact: true }).selectOption('ticket.created')
      await page.getByLabel('All of these: condition 1 field').selectOption('subject')
      await page.getByLabel('All of these: condition 1 operator').selectOption('contains')
      await page.getByLabel('All of these: condition 1 value').fill('outage')
      await page.getByLabel('Action 1', { exact: true }).selectOption('set_priority')
      await page.getByLabel('Action 1 value').selectOption('urgent')
      await page.getByRole('button', { name: 'Add action' }).click()
      await page.getByLabel('Action 2', { exact: true }).selectOption('add_tag')
      await page.getByLabel('Action 2 value').fill('Incident')
      await shot('11-workflow-rule')
      await page.getByRole('button', { name: 'Create rule' }).click()
      await page.waitForURL(`${base}/admin/workflows`)
      await page.locator('tr[data-rule="Outages are urgent"]').getByText('When subject contains “outage”: set priority urgent, add tag incident').waitFor()

      const r = await fetch(`${base}/support/widget/tickets`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'dave@example.com', name: 'Dave', subject: 'Checkout outage', description: 'Nobody can pay.', priority: 'low' }),
      })
      assert.equal(r.status, 201)
      const ref = (await r.json()).reference
      const deadline = Date.now() + 20_000
      while ((await api(`/support/admin/tickets/${ref}`)).body.priority !== 'urgent') {
        assert.ok(Date.now() < deadline, 'the rule did not set the priority within 20 s')
        await new Promise((ok) => setTimeout(ok, 200))
      }
      await page.goto(`${base}/admin/tickets/${ref}`)
      await page.getByTestId('ticket-priority').getByText('urgent', { exact: true }).waitFor()
      await page.getByTestId('ticket-tags').getByText('incident', { exact: true }).waitFor()
      await page.getByTestId('ticket-tags').getByText('from-widget', { exact: true }).waitFor()
      await shot('12-ticket-urgent')

      // The run log and a dry run tell the same story.
      await page.getByRole('link', { name: 'Workflows' }).click()
      await page.locator('table.runs tr[data-status="done"]', { hasText: 'Outages are urgent' }).waitFor()
      await page.getByLabel('Ticket', { exact: true }).fill(ref)
      await page.getByRole('button', { name: 'Try', exact: true }).click()
      await page.getByTestId('dry-run').locator('li.run', { hasText: 'Outages are urgent' }).waitFor()
      await shot('13-workflows')
    })

    await t.test('sign out', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForURL(`${base}/admin/login`)
      assert.equal((await api('/support/admin/api/session')).status, 401)
      await page.goto(`${base}/admin/tickets/${reference}`)
      await page.waitForURL(/\/admin\/login\?next=%2Fadmin%2Ftickets%2F/)
    })

    assert.deepEqual(problems, [], 'no script errors and no CSP violations')
  } finally {
    await browser.close()
    await server.stop()
  }
})
