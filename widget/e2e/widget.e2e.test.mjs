// Browser tests of the widget: playwright-core drives Debian's Chromium
// against the built binary (../bin/portico) on a temporary SQLite database;
// the pages that embed the tag are served from a second local port, so the
// widget runs cross-origin as on a customer's site. The set-up is
// harness.mjs's, shared with the other *.e2e.test.mjs.
//
// Without /usr/bin/chromium the tests skip, except under CI=true, where they
// fail. Screenshots go to widget/e2e/artifacts/ (gitignored).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { collectErrors, launchChromium, requireChromiumInCI, shot, skipReason, startHost, startPortico } from './harness.mjs'

requireChromiumInCI()

describe('support widget', { skip: skipReason }, () => {
  let portico, host, browser, base, origin
  const admin = (path, init) => portico.admin(path, init)
  let counter = 0
  const unique = (what) => `${what} ${Date.now()}-${++counter}`

  // pages served by the "customer site" (another origin than portico)
  const pages = {
    '/plain': () => page(`<a href="#top">Home</a><h1>Acme</h1><p>A customer's marketing page.</p>`, tag()),
    '/hostile': () =>
      page(
        `<style>* { all: unset !important; } html, body { display: block !important; }
          .cover { display: block !important; position: fixed !important; inset: 0 !important; z-index: 2147483647 !important; background: rgba(255, 0, 0, .08) !important; }
          div, p, h1 { position: relative !important; z-index: 999999999 !important; font-size: 40px !important; }
          portico-widget { display: none !important; z-index: -1 !important; }</style>
        <h1>Hostile</h1><div class="cover"></div>`,
        tag(),
      ),
    '/csp': () => ({
      headers: {
        'Content-Security-Policy': `default-src 'self'; script-src 'self' ${base}; connect-src 'self' ${base}; style-src 'self'; img-src 'self'`,
      },
      html: page(`<h1>Strict page</h1><p>No 'wasm-unsafe-eval' here.</p>`, tag()).html,
    }),
    // The tag carries all the form needs when <path>/config fails.
    '/fallback': () =>
      page(
        `<h1>Fallback</h1>`,
        `<script src="${base}/support/widget/widget.js" data-base-url="${base}" data-color="#0f766e" data-position="bottom-left" data-title="Write to Acme" data-greeting="Our own greeting, from the tag." async></script>`,
      ),
    '/escalated': () =>
      page(
        `<h1>Old Escalated snippet</h1><script>window.EscalatedWidget = { baseUrl: ${JSON.stringify(base)}, color: '#0f766e' }</script>`,
        `<script src="${base}/escalated-widget.js" async></script>`,
      ),
  }
  const tag = () => `<script src="${base}/support/widget/widget.js" data-base-url="${base}" data-color="#4F46E5" data-position="bottom-right" async></script>`
  const page = (content, script) => ({
    headers: {},
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Customer site</title></head><body>${content}${script}</body></html>`,
  })

  before(async () => {
    portico = await startPortico({ name: 'widget', env: { PORTICO_WIDGET_LIMIT_PER_EMAIL: '3/1h' } })
    base = portico.base
    host = await startHost(pages)
    origin = host.origin
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    await host?.close()
    await portico?.stop()
  })

  // open a page of the customer site; errors of the page are collected.
  const open = async (path, options = {}) => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options })
    const p = collectErrors(await context.newPage())
    p.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && p.errors.push(`${r.status()} ${r.url()}`))
    await p.goto(path.startsWith('http') ? path : origin + path)
    return p
  }
  const launcher = (p) => p.getByRole('button', { name: 'Contact support' })
  const dialog = (p) => p.getByRole('dialog', { name: /./ })
  const openForm = async (p) => {
    await launcher(p).click()
    await dialog(p).waitFor()
    await p.getByLabel('Email').waitFor()
  }
  const fill = async (p, fields) => {
    for (const [label, value] of Object.entries(fields)) await p.getByLabel(label, { exact: false }).fill(value)
  }

  test('the launcher shows at once, in a shadow root, without touching page globals', { timeout: 60_000 }, async () => {
    const p = await open('/plain')
    await launcher(p).waitFor()
    const info = await p.evaluate(() => {
      const h = document.querySelector('portico-widget')
      return { shadow: !!h.shadowRoot, expanded: h.shadowRoot.querySelector('button.l').getAttribute('aria-expanded'), api: typeof window.PorticoWidget?.open }
    })
    assert.deepEqual(info, { shadow: true, expanded: 'false', api: 'function' })
    await shot(p, 'launcher')
    // The form (wasm) comes on intent; then the page's globals are untouched.
    await openForm(p)
    const globals = await p.evaluate(() => ['Go', 'fs', 'process', 'path', 'portico'].filter((k) => k in window))
    assert.deepEqual(globals, [])
    assert.deepEqual(p.errors, [])
    await p.evaluate(() => window.PorticoWidget.close())
    await dialog(p).waitFor({ state: 'hidden' })
    await p.evaluate(() => window.PorticoWidget.open())
    await dialog(p).waitFor()
    await p.context().close()
  })

  test('a ticket is filed and appears through the admin API', { timeout: 60_000 }, async () => {
    const p = await open('/plain')
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r.url()))
    await openForm(p)
    const subject = unique('Cannot log in')
    await fill(p, { Email: 'ada@example.com', Name: 'Ada Lovelace', Subject: subject, 'How can we help?': 'The button does nothing.' })
    await p.getByLabel('Priority').selectOption('high')
    await shot(p, 'form')
    await p.getByRole('button', { name: 'Send request' }).click()
    const ref = p.getByText(/Your reference is/)
    await ref.waitFor()
    const reference = (await ref.textContent()).match(/TK-\d+/)[0]
    await p.getByText('We emailed you a link to follow this request.').waitFor()
    await shot(p, 'success')
    assert.deepEqual(posts, [base + '/support/widget/tickets'])

    const list = await admin('/support/admin/tickets?q=' + encodeURIComponent(reference))
    const found = list.tickets.find((t) => t.reference === reference)
    assert.ok(found, `ticket ${reference} not listed: ${JSON.stringify(list)}`)
    const detail = await admin('/support/admin/tickets/' + reference)
    assert.equal(detail.subject, subject)
    assert.equal(detail.priority, 'high')
    assert.equal(detail.contact.email, 'ada@example.com')
    assert.equal(detail.messages[0].body, 'The button does nothing.')
    assert.equal(detail.messages[0].source, 'widget')
    // Where it was filed from (issue 17), and the way to all of one's tickets.
    assert.equal(detail.origin.page_url, origin + '/plain')
    assert.equal(detail.origin.page_title, 'Customer site')
    assert.match(detail.origin.locale, /^[a-z]{2,3}(-|$)/i)
    assert.equal(await p.getByRole('link', { name: 'My tickets' }).getAttribute('href'), base + '/portal')
    await p.context().close()
  })

  test('field errors: the Go rules in the browser, and a 422 from the server', { timeout: 60_000 }, async () => {
    const p = await open('/plain')
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r.url()))
    await openForm(p)
    await fill(p, { Email: 'ada@@example', Subject: 'Hello' })
    await p.getByRole('button', { name: 'Send request' }).click()
    await p.getByText('Email is not a valid email address').waitFor()
    await p.getByText('How can we help? is required').waitFor()
    assert.equal(await p.getByLabel('Email').getAttribute('aria-invalid'), 'true')
    assert.equal(await p.evaluate(() => document.querySelector('portico-widget').shadowRoot.activeElement?.id), 'pw-email')
    assert.deepEqual(posts, [], 'invalid input must not be sent')
    await shot(p, 'client-errors')

    // The server's answer wins: drop the priority the form offers, then send.
    const before = await admin('/support/admin/settings/widget')
    await admin('/support/admin/settings/widget', { method: 'PUT', body: JSON.stringify({ priorities: ['low', 'high'] }) })
    try {
      await fill(p, { Email: 'grace@example.com', 'How can we help?': 'Details' })
      await p.getByLabel('Priority').selectOption('medium')
      await p.getByRole('button', { name: 'Send request' }).click()
      await p.getByText('Priority must be one of: low, high').waitFor()
      assert.equal(posts.length, 1)
      assert.equal(await p.getByLabel('Email').getAttribute('aria-invalid'), null)
      await shot(p, 'server-422')
    } finally {
      await admin('/support/admin/settings/widget', { method: 'PUT', body: JSON.stringify({ priorities: before.priorities }) })
    }
    await p.context().close()
  })

  test('429: a kind message once the per-email limit is reached', { timeout: 60_000 }, async () => {
    const email = `busy-${Date.now()}@example.com`
    for (let i = 0; i < 3; i++) {
      const res = await fetch(base + '/support/widget/tickets', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, subject: unique('Again'), description: 'Once more' }),
      })
      assert.equal(res.status, 201)
    }
    const p = await open('/plain')
    await openForm(p)
    await fill(p, { Email: email, Subject: 'Fourth', 'How can we help?': 'Too many?' })
    await p.getByRole('button', { name: 'Send request' }).click()
    await p.getByText(/several requests in a short time\. Please try again in about \d+ minutes\./).waitFor()
    assert.equal(await p.getByLabel('Subject').inputValue(), 'Fourth', 'the text is kept')
    await shot(p, 'rate-limited')
    await p.context().close()
  })

  test('hostile page CSS and huge z-indexes do not break it', { timeout: 60_000 }, async () => {
    const p = await open('/hostile')
    const b = launcher(p)
    await b.waitFor()
    const box = await b.boundingBox()
    assert.equal(Math.round(box.width), 56)
    assert.equal(Math.round(box.height), 56)
    assert.equal(Math.round(box.x + box.width), 1100 - 20)
    assert.equal(Math.round(box.y + box.height), 800 - 20)
    await b.click() // fails if anything of the page covers it
    await dialog(p).waitFor()
    const email = p.getByLabel('Email')
    await email.waitFor()
    const style = await email.evaluate((e) => {
      const s = getComputedStyle(e)
      return { display: s.display, border: s.borderTopStyle, width: e.getBoundingClientRect().width }
    })
    assert.equal(style.display, 'block')
    assert.equal(style.border, 'solid')
    assert.ok(style.width > 250, `input width ${style.width}`)
    await email.click()
    await email.fill('ok@example.com')
    await shot(p, 'hostile')
    await p.context().close()
  })

  test('keyboard only: open, trapped focus, Esc closes and focus returns', { timeout: 60_000 }, async () => {
    const p = await open('/plain')
    await launcher(p).waitFor()
    const active = () => p.evaluate(() => {
      const root = document.querySelector('portico-widget').shadowRoot
      const a = root.activeElement
      return a ? a.id || a.className || a.tagName : document.activeElement?.tagName
    })
    const inPanel = () => p.evaluate(() => !!document.querySelector('portico-widget').shadowRoot.activeElement?.closest('[role=dialog]'))
    for (let i = 0; i < 5 && (await active()) !== 'l'; i++) await p.keyboard.press('Tab')
    assert.equal(await active(), 'l', 'Tab reaches the launcher')
    await p.keyboard.press('Enter')
    await dialog(p).waitFor()
    await p.waitForFunction(() => document.querySelector('portico-widget').shadowRoot.activeElement?.id === 'pw-email')
    for (let i = 0; i < 12; i++) {
      await p.keyboard.press('Tab')
      assert.ok(await inPanel(), `Tab ${i + 1} left the dialog`)
    }
    await p.keyboard.press('Shift+Tab')
    assert.ok(await inPanel())

    // Fill and send with the keyboard alone.
    await p.getByLabel('Email').focus()
    await p.keyboard.type('keys@example.com')
    await p.keyboard.press('Tab')
    await p.keyboard.type('Kay')
    await p.keyboard.press('Tab')
    await p.keyboard.type(unique('Keyboard'))
    await p.keyboard.press('Tab')
    await p.keyboard.type('Typed without a mouse.')
    await p.keyboard.press('Tab') // priority
    await p.keyboard.press('Tab') // attachments
    await p.keyboard.press('Tab') // send
    assert.equal(await active(), 's')
    await p.keyboard.press('Enter')
    await p.getByText(/Your reference is TK-\d+/).waitFor()
    assert.equal(await active(), 'H3', 'focus moves to the confirmation')

    await p.keyboard.press('Escape')
    await dialog(p).waitFor({ state: 'hidden' })
    assert.equal(await active(), 'l', 'focus returns to the launcher')
    await p.context().close()
  })

  test('a page whose CSP forbids WebAssembly falls back to the hosted form', { timeout: 60_000 }, async () => {
    const p = await open('/csp')
    const b = launcher(p)
    await b.waitFor()
    assert.equal(Math.round((await b.boundingBox()).width), 56, 'styles apply under style-src without inline styles')
    const [form] = await Promise.all([p.context().waitForEvent('page'), b.click()])
    await form.waitForLoadState()
    assert.equal(form.url(), base + '/support/widget/form')
    assert.equal(await dialog(p).isVisible(), false)
    await form.getByLabel('Email').fill('csp@example.com')
    await form.getByLabel('Subject').fill(unique('From a strict page'))
    await form.getByLabel('How can we help?').fill('No wasm here.')
    await shot(form, 'hosted-form')
    await form.getByRole('button', { name: 'Send request' }).click()
    await form.getByText(/Your reference is TK-\d+/).waitFor()
    await form.getByText('We emailed you a link to follow this request.').waitFor()
    await shot(form, 'hosted-form-success')
    await p.context().close()
  })

  test('the hosted form keeps values on 422 without JavaScript', { timeout: 60_000 }, async () => {
    const p = await open(base + '/support/widget/form', { javaScriptEnabled: false })
    await p.getByLabel('Email').fill('nope')
    await p.getByLabel('Subject').fill('Kept')
    await p.getByRole('button', { name: 'Send request' }).click()
    await p.getByText('Email is not a valid email address').waitFor()
    assert.equal(await p.getByLabel('Subject').inputValue(), 'Kept')
    assert.equal(await p.getByLabel('Email').inputValue(), 'nope')
    await p.context().close()
  })

  test('the old /escalated-widget.js tag and window.EscalatedWidget work', { timeout: 60_000 }, async () => {
    const p = await open('/escalated')
    await openForm(p)
    const color = await launcher(p).evaluate((e) => getComputedStyle(e).backgroundColor)
    assert.equal(color, 'rgb(15, 118, 110)')
    await shot(p, 'escalated')
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  // open, with the widget's config answered by answer (a playwright route
  // handler) instead of the server.
  const openWithConfig = async (path, answer) => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } })
    await context.route(base + '/support/widget/config', answer)
    const p = await context.newPage()
    p.errors = []
    p.warnings = []
    p.on('pageerror', (e) => p.errors.push(e.message))
    p.on('console', (m) => (m.type() === 'warning' ? p.warnings : m.type() === 'error' && !m.text().startsWith('Failed to load resource') ? p.errors : []).push(m.text()))
    await p.goto(origin + path)
    return p
  }
  const cors = { 'Access-Control-Allow-Origin': '*' }

  test('config answers 500: the form opens with the tag\'s settings and files a ticket', { timeout: 60_000 }, async () => {
    const p = await openWithConfig('/fallback', (route) => route.fulfill({ status: 500, headers: cors, contentType: 'application/json', body: '{"error":"internal error"}' }))
    await openForm(p)
    // The tag's title, greeting, colour and corner; no priority without
    // the server's list.
    await dialog(p).getByRole('heading', { name: 'Write to Acme' }).waitFor()
    await p.getByText('Our own greeting, from the tag.').waitFor()
    assert.equal(await launcher(p).evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(15, 118, 110)')
    assert.equal(await p.evaluate(() => document.querySelector('portico-widget').dataset.pos), 'bottom-left')
    assert.equal(await p.getByLabel('Priority').count(), 0)
    assert.ok(p.warnings.some((w) => w.includes('/support/widget/config failed (status 500)')), `console warnings: ${JSON.stringify(p.warnings)}`)
    await shot(p, 'config-500')

    const subject = unique('Config was down')
    await fill(p, { Email: 'fallback@example.com', Subject: subject, 'How can we help?': 'Filed without the config.' })
    await p.getByRole('button', { name: 'Send request' }).click()
    const ref = p.getByText(/Your reference is/)
    await ref.waitFor()
    const reference = (await ref.textContent()).match(/TK-\d+/)[0]
    const detail = await admin('/support/admin/tickets/' + reference)
    assert.equal(detail.subject, subject)
    assert.equal(detail.priority, 'medium', 'the server picks the default priority')
    assert.equal(detail.contact.email, 'fallback@example.com')
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  test('config unreachable, not JSON, or silent: the form opens all the same', { timeout: 60_000 }, async () => {
    const cases = [
      ['network error', (route) => route.abort('connectionrefused'), 'no answer'],
      ['not JSON', (route) => route.fulfill({ status: 200, headers: cors, contentType: 'text/html', body: '<h1>Maintenance</h1>' }), 'the answer is not a JSON object'],
      // Never answered: the widget gives up after 5 s.
      ['timeout', () => {}, 'no answer'],
    ]
    for (const [name, answer, why] of cases) {
      const p = await openWithConfig('/plain', answer)
      await openForm(p)
      await dialog(p).getByRole('heading', { name: 'Contact support' }).waitFor()
      await p.getByLabel('Subject').waitFor()
      assert.ok(p.warnings.some((w) => w.includes(`/support/widget/config failed (${why})`)), `${name}: console warnings ${JSON.stringify(p.warnings)}`)
      assert.deepEqual(p.errors, [], name)
      await p.context().close()
    }
  })

  test('fits a 320 px phone, follows dark mode and reduced motion', { timeout: 60_000 }, async () => {
    const p = await open('/plain', { viewport: { width: 320, height: 640 }, colorScheme: 'dark', reducedMotion: 'reduce', hasTouch: true, isMobile: true })
    await openForm(p)
    const panel = await dialog(p).boundingBox()
    assert.ok(panel.x >= 0 && panel.x + panel.width <= 320, `panel ${JSON.stringify(panel)}`)
    assert.ok(panel.y >= 0, `panel top ${panel.y}`)
    const look = await dialog(p).evaluate((e) => ({ bg: getComputedStyle(e).backgroundColor, animation: getComputedStyle(e).animationName }))
    assert.equal(look.bg, 'rgb(28, 28, 33)')
    assert.equal(look.animation, 'none')
    await shot(p, 'phone-dark')
    await p.context().close()
  })

  test('the demo page at / shows the widget under its own CSP', { timeout: 60_000 }, async () => {
    const p = await open(base + '/')
    await openForm(p)
    assert.deepEqual(p.errors, [])
    await shot(p, 'demo')
    await p.context().close()
  })
})
