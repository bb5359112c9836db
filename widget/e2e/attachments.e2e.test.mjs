// Browser tests of attachments: files sent from the widget (with the
// progress shown, and a file too large refused before anything is sent) and
// from the portal page, whose thumbnail the browser then shows; the portal
// and the hosted form do the same with their small script (views/upload.js).
// Set up by harness.mjs, like widget.e2e.test.mjs: playwright-core drives
// Debian's Chromium against the built binary (../bin/portico) on a temporary
// SQLite database, the widget embedded in a page of another local origin.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { collectErrors, launchChromium, shot, skipReason, sleep, startHost, startPortico } from './harness.mjs'

// A 2×2 PNG: a real picture, so the portal's thumbnail has a size.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGP8z8DwnwEIGBmBAAQAPgsD/WWLvmQAAAAASUVORK5CYII=', 'base64')
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

describe('attachments', { skip: skipReason }, () => {
  let portico, host, browser, base, origin
  let counter = 0
  const unique = (what) => `${what} ${Date.now()}-${++counter}`
  const admin = (path) => portico.admin(path)

  // The one page of the customer site: the widget's tag, nothing else.
  const pages = {
    '/plain': () => ({
      headers: {},
      html:
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer site</title></head><body><h1>Acme</h1>` +
        `<script src="${base}/support/widget/widget.js" data-base-url="${base}" async></script></body></html>`,
    }),
  }

  before(async () => {
    portico = await startPortico({ name: 'attach' })
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

  const open = async (url) => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const p = collectErrors(await context.newPage())
    await p.goto(url.startsWith('http') ? url : origin + url)
    return p
  }
  const openForm = async (p) => {
    await p.getByRole('button', { name: 'Contact support' }).click()
    await p.getByRole('dialog', { name: /./ }).waitFor()
    await p.getByLabel('Email').waitFor()
  }
  const fill = async (p, email, subject) => {
    await p.getByLabel('Email').fill(email)
    await p.getByLabel('Subject', { exact: false }).fill(subject)
    await p.getByLabel('How can we help?', { exact: false }).fill('The screenshot shows it.')
  }
  // The portal link of the confirmation mailed (log://) to email.
  const portalLink = async (email) => {
    for (let i = 0; i < 100; i++) {
      const log = portico.log()
      const at = log.lastIndexOf('portico mail: to=' + email + ' ')
      const m = at >= 0 && log.slice(at).match(/^[^\n]* links: (\S+\/portal\/[0-9a-f]{64})/)
      if (m) return m[1]
      await sleep(100)
    }
    assert.fail(`no portal link mailed to ${email}:\n${portico.log().slice(-3000)}`)
  }

  test('the widget sends files with its ticket, showing the progress', { timeout: 90_000 }, async () => {
    const p = await open('/plain')
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r.headers()['content-type'] || ''))
    await openForm(p)
    const subject = unique('Screenshot')
    await fill(p, 'ada@example.com', subject)
    // 3 MB at 1 MB/s: long enough to see the progress move.
    const cdp = await p.context().newCDPSession(p)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1 << 20 })
    const big = Buffer.concat([pdf, Buffer.alloc(3 << 20, 32)])
    await p.getByLabel('Attachments').setInputFiles([
      { name: 'screen.png', mimeType: 'image/png', buffer: png },
      { name: 'report.pdf', mimeType: 'application/pdf', buffer: big },
    ])
    await p.getByRole('button', { name: 'Send request' }).click()
    await p.getByText(/Sending your files… [1-9]\d? %/).waitFor({ timeout: 20_000 })
    await shot(p, 'upload-progress')
    const ref = p.getByText(/Your reference is/)
    await ref.waitFor({ timeout: 30_000 })
    const reference = (await ref.textContent()).match(/TK-\d+/)[0]
    assert.equal(posts.length, 1)
    assert.match(posts[0], /^multipart\/form-data; boundary=/)
    const detail = await admin('/support/admin/tickets/' + reference)
    assert.deepEqual(detail.attachments.map((a) => [a.filename, a.content_type, a.size]), [
      ['screen.png', 'image/png', png.length],
      ['report.pdf', 'application/pdf', big.length],
    ])
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  test('a file too large is refused before anything is sent', { timeout: 60_000 }, async () => {
    const p = await open('/plain')
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r.url()))
    await openForm(p)
    await fill(p, 'grace@example.com', unique('Too big'))
    await p.getByLabel('Attachments').setInputFiles([{ name: 'huge.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([pdf, Buffer.alloc(11 << 20)]) }])
    // Said as soon as the file is chosen…
    await p.getByText(/“huge\.pdf” \(11 MB\) is too large to send: each file can be at most 10 MB/).waitFor()
    assert.equal(await p.getByLabel('Attachments').getAttribute('aria-invalid'), 'true')
    // …and sending does not send.
    await p.getByRole('button', { name: 'Send request' }).click()
    await p.getByText('Please correct the highlighted fields.').waitFor()
    await shot(p, 'upload-too-large')
    assert.deepEqual(posts, [])
    // Six files: too many.
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.pdf`, mimeType: 'application/pdf', buffer: pdf }))
    await p.getByLabel('Attachments').setInputFiles(six)
    await p.getByText(/you can attach at most 5 files/).waitFor()
    assert.deepEqual(posts, [])
    await p.context().close()
  })

  test('the portal reply form takes a file and shows the picture', { timeout: 60_000 }, async () => {
    const email = `portal-${Date.now()}@example.com`
    const res = await fetch(base + '/support/widget/tickets', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, subject: unique('Portal'), description: 'Hello' }),
    })
    assert.equal(res.status, 201)
    const p = await open(await portalLink(email))
    await p.getByLabel('Your message').fill('Here is the screenshot.')
    await p.getByLabel('Attach files', { exact: false }).setInputFiles([{ name: 'shot.png', mimeType: 'image/png', buffer: png }])
    await p.getByRole('button', { name: 'Send reply' }).click()
    await p.getByText('your reply was sent').waitFor()
    const img = p.locator('a.thumb img[src$="/image"]')
    await img.waitFor()
    await p.waitForFunction((el) => el.complete && el.naturalWidth === 2, await img.elementHandle())
    await shot(p, 'portal-upload')
    const link = p.getByRole('link', { name: 'shot.png' })
    assert.match(await link.getAttribute('href'), /\/attachments\/\d+$/)
    const dl = await p.request.get(await link.getAttribute('href').then((h) => new URL(h, p.url()).href))
    assert.equal(dl.status(), 200)
    assert.match(dl.headers()['content-disposition'], /^attachment; filename\*=UTF-8''shot\.png$/)
    assert.equal(dl.headers()['content-security-policy'], "sandbox; default-src 'none'")
    assert.deepEqual(p.errors, [])
    assert.equal(readdirSync(join(portico.dir, 'attachments', 'tmp')).length, 0, 'no staged upload left behind')
    await p.context().close()
  })

  // A portal page of a new ticket of email.
  const newPortal = async (email) => {
    const res = await fetch(base + '/support/widget/tickets', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, subject: unique('Progress'), description: 'Hello' }),
    })
    assert.equal(res.status, 201)
    return portalLink(email)
  }
  const huge = { name: 'huge.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([pdf, Buffer.alloc(11 << 20)]) }

  test('the portal refuses a file too large before sending anything', { timeout: 60_000 }, async () => {
    const p = await open(await newPortal(`big-${Date.now()}@example.com`))
    await p.waitForFunction(() => document.querySelector('#f-files-check'))
    const requests = []
    p.on('request', (r) => requests.push(r.method() + ' ' + r.url()))
    await p.getByLabel('Your message').fill('Here is the recording.')
    const files = p.getByLabel('Attach files', { exact: false })
    await files.setInputFiles([huge])
    const msg = p.getByText('“huge.pdf” is larger than 10 MB. Please choose a smaller file.')
    await msg.waitFor()
    assert.equal(await msg.getAttribute('aria-live'), 'polite')
    assert.equal(await files.getAttribute('aria-invalid'), 'true')
    assert.match(await files.getAttribute('aria-describedby'), /\bf-files-check\b/)
    const send = p.getByRole('button', { name: 'Send reply' })
    assert.equal(await send.isDisabled(), true)
    await shot(p, 'portal-too-large')
    // Six files: too many; then one good file: fine again.
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.pdf`, mimeType: 'application/pdf', buffer: pdf }))
    await files.setInputFiles(six)
    await p.getByText('You chose more than 5 files. Please choose fewer.').waitFor()
    await files.setInputFiles([{ name: 'ok.pdf', mimeType: 'application/pdf', buffer: pdf }])
    await p.waitForFunction(() => document.querySelector('#f-files-check').textContent === '')
    assert.equal(await send.isDisabled(), false)
    assert.equal(await files.getAttribute('aria-invalid'), null)
    assert.deepEqual(requests, [])
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  test('the portal shows the progress of a reply with files, then the page with them', { timeout: 90_000 }, async () => {
    const p = await open(await newPortal(`progress-${Date.now()}@example.com`))
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push([r.resourceType(), r.headers()['content-type'] || '']))
    // 3 MB at 1 MB/s: long enough to see the progress move.
    const cdp = await p.context().newCDPSession(p)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1 << 20 })
    const big = Buffer.concat([pdf, Buffer.alloc(3 << 20, 32)])
    await p.getByLabel('Your message').fill('The full report.')
    await p.getByLabel('Attach files', { exact: false }).setInputFiles([{ name: 'report.pdf', mimeType: 'application/pdf', buffer: big }])
    await p.getByRole('button', { name: 'Send reply' }).click()
    const bar = p.getByRole('progressbar', { name: 'Sending your reply…' })
    await bar.waitFor()
    await p.waitForFunction(() => document.querySelector('progress').value > 0, null, { timeout: 20_000 })
    await p.getByText(/^[1-9]\d?%$/).waitFor()
    assert.equal(await p.getByRole('button', { name: 'Send reply' }).isDisabled(), true)
    await shot(p, 'portal-upload-progress')
    await p.getByText('your reply was sent').waitFor({ timeout: 30_000 })
    assert.match(p.url(), /\/portal\/[0-9a-f]{64}\?sent=1$/)
    await p.getByRole('link', { name: 'report.pdf' }).waitFor()
    assert.deepEqual(posts, [['xhr', posts[0][1]]])
    assert.match(posts[0][1], /^multipart\/form-data; boundary=/)
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  test('the hosted form refuses a file too large before sending; its answer replaces the page', { timeout: 60_000 }, async () => {
    const p = await open(base + '/support/widget/form?locale=de')
    await p.waitForFunction(() => document.querySelector('#f-files-check'))
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r.resourceType()))
    const files = p.getByLabel('Dateien anhängen', { exact: false })
    await files.setInputFiles([huge])
    await p.getByText('„huge.pdf“ ist größer als 10 MB. Bitte wählen Sie eine kleinere Datei.').waitFor()
    assert.equal(await p.getByRole('button', { name: 'Anfrage senden' }).isDisabled(), true)
    await shot(p, 'form-too-large')
    assert.deepEqual(posts, [])
    // A good file and a bad address: the form comes back with the reason,
    // styled (its nonce made ours) and enhanced again.
    await files.setInputFiles([{ name: 'shot.png', mimeType: 'image/png', buffer: png }])
    await p.getByLabel('E-Mail', { exact: false }).fill('not-an-address')
    await p.getByRole('button', { name: 'Anfrage senden' }).click()
    await p.locator('#form-notice').waitFor()
    assert.deepEqual(posts, ['xhr'])
    await p.waitForFunction(() => document.querySelector('#f-files-check'))
    assert.equal(await p.locator('#form-notice').evaluate((el) => getComputedStyle(el).paddingLeft), '16px')
    assert.equal(await p.locator('#f-email').getAttribute('aria-invalid'), 'true')
    await shot(p, 'form-refused')
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })
})
