// Browser tests of what a customer does outside the widget: "My tickets"
// (a one-time sign-in link mailed to them, then the list of their requests)
// and "How did we do?" on a closed request. Set up by harness.mjs, like
// attachments.e2e.test.mjs: playwright-core drives Debian's Chromium against
// the built binary (../bin/portico) on a temporary SQLite database; mail goes
// to log://, so the links customers would click are read from the server's
// output (kept in artifacts/customer-server.log). No Turnstile site key is
// configured, so the human check passes.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { artifacts, collectErrors, launchChromium, shot, skipReason, sleep, startPortico } from './harness.mjs'

describe('customer pages', { skip: skipReason }, () => {
  let portico, browser, base
  let counter = 0
  const unique = (what) => `${what} ${Date.now()}-${++counter}`
  const admin = (path, method = 'GET') => portico.admin(path, { method })

  before(async () => {
    portico = await startPortico({ name: 'customer' })
    base = portico.base
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    await portico?.stop()
    // The mails (log://) the tests read links from, for a failure's post-mortem.
    if (portico?.log()) writeFileSync(join(artifacts, 'customer-server.log'), portico.log())
  })

  // A fresh browser (its own cookies) in English.
  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' })
    context.setDefaultTimeout(10_000)
    return collectErrors(await context.newPage())
  }
  // The pages are long: all of each.
  const fullShot = (p, name) => shot(p, name, { fullPage: true })

  // The first link matching re in a mail (log://) to email printed after
  // offset in the server's output.
  const mailedLink = async (email, re, offset = 0) => {
    const head = 'portico mail: to=' + email + ' '
    for (let i = 0; i < 150; i++) {
      const log = portico.log()
      for (let at = log.indexOf(head, offset); at >= 0; at = log.indexOf(head, at + 1)) {
        const links = log.slice(at).match(/^[^\n]* links: ([^\n]*)/)
        const link = links && links[1].split(' ').find((l) => re.test(l))
        if (link) return link
      }
      await sleep(100)
    }
    assert.fail(`no link matching ${re} mailed to ${email}:\n${portico.log().slice(-3000)}`)
  }

  // Files a request the way the widget does; its reference and the portal
  // link of the confirmation mail.
  const file = async (email, subject) => {
    const offset = portico.log().length
    const res = await fetch(base + '/support/widget/tickets', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, name: 'Customer', subject, description: 'Please help.' }),
    })
    const body = await res.json()
    assert.equal(res.status, 201, JSON.stringify(body))
    return { reference: body.reference, portal: await mailedLink(email, /\/portal\/[0-9a-f]{64}$/, offset) }
  }

  test('My tickets: a mailed sign-in link lists the requests, and works once', { timeout: 90_000 }, async () => {
    const email = `lists-${Date.now()}@example.com`
    const first = unique('Invoice missing')
    const second = unique('Cannot log in')
    const a = await file(email, first)
    const b = await file(email, second)
    // One of them closed, so the list shows both states.
    await admin(`/support/admin/tickets/${a.reference}/close`, 'POST')

    const p = await newPage()
    await p.goto(base + '/portal')
    await p.getByRole('heading', { name: 'Your support requests' }).waitFor()
    await p.getByLabel('Email').fill(email)
    const offset = portico.log().length
    await p.getByRole('button', { name: 'Email me a link' }).click()
    await p.getByRole('heading', { name: 'Check your email' }).waitFor()
    await fullShot(p, 'mytickets-sent')
    // The page says nothing about the address, not even the address.
    assert.equal(await p.getByText(email).count(), 0)

    const signin = await mailedLink(email, /\/portal\/signin\/\S+$/, offset)
    assert.ok(signin.startsWith(base + '/portal/signin/'), signin)

    // A second browser opens the link too (a mail scanner, another tab):
    // opening it spends nothing.
    const other = await newPage()
    await other.goto(signin)
    await other.getByRole('button', { name: 'Continue' }).waitFor()

    await p.goto(signin)
    await p.getByRole('heading', { name: 'See your support requests' }).waitFor()
    await p.getByRole('button', { name: 'Continue' }).click()
    await p.waitForURL(base + '/portal/tickets')
    await p.getByText('The requests you sent us from').waitFor()
    await p.locator('header strong', { hasText: email }).waitFor()
    const rows = p.getByRole('listitem')
    assert.equal(await rows.count(), 2)
    const rowOf = (subject) => rows.filter({ has: p.getByRole('heading', { name: subject }) })
    const rowA = rowOf(first)
    const rowB = rowOf(second)
    await rowA.getByText(a.reference, { exact: true }).waitFor()
    await rowB.getByText(b.reference, { exact: true }).waitFor()
    assert.equal((await rowA.locator('.badge').textContent()).trim(), 'Closed')
    assert.equal((await rowB.locator('.badge').textContent()).trim(), 'Open')
    await fullShot(p, 'mytickets-list')

    // Each subject links to the request's portal page.
    await rowB.getByRole('link', { name: second }).click()
    await p.waitForURL(/\/portal\/[0-9a-f]{64}$/)
    await p.getByRole('heading', { level: 1, name: second }).waitFor()
    await p.getByText(b.reference, { exact: true }).first().waitFor()
    assert.deepEqual(p.errors, [])

    // The link worked once: the other browser's button no longer signs in…
    await other.getByRole('button', { name: 'Continue' }).click()
    await other.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor()
    assert.equal(await other.getByText('The requests you sent us from').count(), 0)
    const list = await other.request.get(base + '/portal/tickets', { maxRedirects: 0 })
    assert.equal(list.status(), 303, 'no session in the other browser')
    // …and opening it again, even where it was used, says so.
    const again = await p.goto(signin)
    assert.equal(again.status(), 410)
    await p.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor()
    assert.equal(await p.getByRole('button', { name: 'Continue' }).count(), 0)
    await p.getByRole('link', { name: 'Get a new link' }).waitFor()
    await fullShot(p, 'mytickets-link-used')
    await p.context().close()
    await other.context().close()
  })

  test('How did we do?: the customer rates a closed request from its portal page', { timeout: 90_000 }, async () => {
    const email = `rates-${Date.now()}@example.com`
    const subject = unique('Broken export')
    const t = await file(email, subject)

    // Open requests are not asked.
    const p = await newPage()
    await p.goto(t.portal)
    await p.getByRole('heading', { level: 1, name: subject }).waitFor()
    assert.equal(await p.getByRole('heading', { name: 'How did we do?' }).count(), 0)

    const offset = portico.log().length
    const closed = await admin(`/support/admin/tickets/${t.reference}/close`, 'POST')
    assert.equal(closed.status, 'closed')

    await p.goto(t.portal)
    const section = p.getByRole('region', { name: 'How did we do?' })
    await section.waitFor()
    await section.getByLabel('Okay').check()
    await section.getByLabel('Comment (optional)').fill('Fixed, but it took a while.')
    await section.getByRole('button', { name: 'Send rating' }).click()
    await p.waitForURL(/\?rated=1#rating$/)
    await section.getByText('Thank you for your rating.').waitFor()
    await section.getByText('Your answer: Okay.').waitFor()
    assert.equal(await section.getByLabel('Okay').isChecked(), true)
    assert.equal(await section.getByLabel('Comment (optional)').inputValue(), 'Fixed, but it took a while.')
    await fullShot(p, 'rating-thanks')
    assert.deepEqual(p.errors, [])

    let detail = await admin('/support/admin/tickets/' + t.reference)
    assert.deepEqual(
      detail.ratings.map((r) => [r.score, r.comment]),
      [['okay', 'Fixed, but it took a while.']],
    )

    // The close mail's "bad" link opens the form with that answer chosen;
    // opening it stores nothing, sending it replaces the answer.
    const bad = await mailedLink(email, /\/rate\?score=bad$/, offset)
    await p.goto(bad)
    await p.getByRole('heading', { level: 1, name: 'How did we do?' }).waitFor()
    assert.equal(await p.getByLabel('Bad').isChecked(), true)
    detail = await admin('/support/admin/tickets/' + t.reference)
    assert.equal(detail.ratings[0].score, 'okay', 'opening the link changed nothing')
    await p.getByLabel('Comment (optional)').fill('Still broken on Mondays.')
    await p.getByRole('button', { name: 'Send rating' }).click()
    await p.getByText('Thank you for your rating.').waitFor()
    detail = await admin('/support/admin/tickets/' + t.reference)
    assert.deepEqual(
      detail.ratings.map((r) => [r.score, r.comment]),
      [['bad', 'Still broken on Mondays.']],
    )
    const summary = await admin('/support/admin/ratings/summary')
    assert.equal(summary.bad, 1)
    assert.equal(summary.total, 1)
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })
})
