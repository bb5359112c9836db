// Browser tests of the widget in the customer's language (issue 17):
// playwright-core drives Debian's Chromium against the built binary
// (../bin/portico) on a temporary SQLite database; the customer's pages are
// served from a second local port, so the widget runs cross-origin as on a
// real site (the set-up is harness.mjs's). The browser itself asks for
// English (locale en-US): the page's data-locale must win over it.
//
// Without /usr/bin/chromium the tests skip, except under CI=true, where they
// fail. Screenshots go to widget/e2e/artifacts/ (gitignored).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { collectErrors, launchChromium, requireChromiumInCI, shot, skipReason, startHost, startPortico } from './harness.mjs'

requireChromiumInCI()

describe('support widget in the customer\'s language', { skip: skipReason }, () => {
  let portico, host, browser, base, origin
  const admin = (path, init) => portico.admin(path, init)

  const tag = (attrs = '') => `<script src="${base}/support/widget/widget.js" data-base-url="${base}" ${attrs} async></script>`
  const page = (lang, content, script, headers = {}) => ({
    headers,
    html: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Kundenseite</title></head><body>${content}${script}</body></html>`,
  })
  const pages = {
    '/de': () => page('de', '<h1>Acme GmbH</h1>', tag('data-locale="de"')),
    '/object': () => page('pt-BR', `<h1>Acme Brasil</h1><script>window.PorticoWidget = { baseUrl: ${JSON.stringify(base)}, locale: 'pt-BR' }</script>`, tag()),
    '/plain': () => page('en', '<h1>Acme</h1>', tag()),
    '/de-csp': () =>
      page('de', '<h1>Strenge Seite</h1>', tag('data-locale="de"'), {
        'Content-Security-Policy': `default-src 'self'; script-src 'self' ${base}; connect-src 'self' ${base}; style-src 'self'; img-src 'self'`,
      }),
  }

  before(async () => {
    portico = await startPortico({ name: 'widget-i18n' })
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

  const open = async (path, options = {}) => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-US', ...options })
    const p = collectErrors(await context.newPage())
    p.on('response', (r) => r.status() >= 400 && r.status() !== 422 && !r.url().endsWith('/favicon.ico') && p.errors.push(`${r.status()} ${r.url()}`))
    await p.goto(origin + path)
    return p
  }
  // The launcher by its place: its label changes with the language.
  const launcher = (p) => p.locator('portico-widget button.l')
  const dialog = (p) => p.getByRole('dialog')
  const openForm = async (p, emailLabel) => {
    await launcher(p).click()
    await dialog(p).waitFor()
    await p.getByLabel(emailLabel).waitFor()
  }

  test('data-locale="de": German labels, German field messages, the German thanks, and "de" stored on the contact', { timeout: 90_000 }, async () => {
    const p = await open('/de')
    const posts = []
    p.on('request', (r) => r.method() === 'POST' && posts.push(r))
    const configs = []
    p.on('request', (r) => r.url().startsWith(base + '/support/widget/config') && configs.push(r.url()))
    await openForm(p, 'E-Mail')
    assert.deepEqual(configs, [base + '/support/widget/config?locale=de'])

    // The form, its title and the loader's own labels speak German.
    await dialog(p).getByRole('heading', { name: 'Support kontaktieren' }).waitFor()
    await p.getByText('Hallo! Wie können wir Ihnen helfen? Wir antworten in der Regel innerhalb eines Tages.').waitFor()
    for (const label of ['Name', 'Betreff', 'Wie können wir Ihnen helfen?', 'Priorität', 'Anhänge']) await p.getByLabel(label).waitFor()
    assert.equal(await p.locator('label[for=pw-email] .q').textContent(), ' (Pflichtfeld)')
    assert.equal(await p.locator('label[for=pw-name] .q').textContent(), ' (optional)')
    assert.deepEqual(await p.getByLabel('Priorität').locator('option').allTextContents(), ['Niedrig', 'Mittel', 'Hoch', 'Dringend'])
    assert.equal(await launcher(p).getAttribute('aria-label'), 'Support kontaktieren')
    await p.getByRole('button', { name: 'Schließen' }).waitFor()
    assert.equal(await p.evaluate(() => document.querySelector('portico-widget').shadowRoot.querySelector('.w').lang), 'de')
    await p.getByRole('link', { name: 'Meine Tickets' }).waitFor()

    // Checked in the browser: German, and nothing is sent.
    await p.getByLabel('E-Mail').fill('erika@@example')
    await p.getByLabel('Betreff').fill('Anmeldung klappt nicht')
    await p.getByRole('button', { name: 'Anfrage senden' }).click()
    await p.getByText('E-Mail ist keine gültige E-Mail-Adresse').waitFor()
    await p.getByText('Wie können wir Ihnen helfen? ist erforderlich').waitFor()
    await p.getByText('Bitte korrigieren Sie die markierten Felder.').waitFor()
    assert.equal(await p.getByLabel('E-Mail').getAttribute('aria-invalid'), 'true')
    assert.deepEqual(posts, [], 'invalid input must not be sent')
    await shot(p, 'de-client-errors')

    // Refused by the server (the admin dropped a priority meanwhile): the
    // server answers in the language the form sent, over the browser's.
    const before = await admin('/support/admin/settings/widget')
    await admin('/support/admin/settings/widget', { method: 'PUT', body: JSON.stringify({ priorities: ['low', 'high'] }) })
    try {
      await p.getByLabel('E-Mail').fill('erika@example.com')
      await p.getByLabel('Wie können wir Ihnen helfen?').fill('Der Knopf tut nichts.')
      await p.getByLabel('Priorität').selectOption('medium')
      await p.getByRole('button', { name: 'Anfrage senden' }).click()
      await p.getByText('Priorität muss einer dieser Werte sein: low, high').waitFor()
      assert.equal(posts.length, 1)
      assert.equal(posts[0].postDataJSON().language, 'de')
      await shot(p, 'de-server-422')
    } finally {
      await admin('/support/admin/settings/widget', { method: 'PUT', body: JSON.stringify({ priorities: before.priorities }) })
    }

    // Filed: the German thanks, and the contact keeps "de" for later mails.
    const subject = `Anmeldung klappt nicht ${Date.now()}`
    await p.getByLabel('Name').fill('Erika Mustermann')
    await p.getByLabel('Betreff').fill(subject)
    await p.getByLabel('Priorität').selectOption('high')
    await p.getByRole('button', { name: 'Anfrage senden' }).click()
    await p.getByRole('heading', { name: 'Vielen Dank, wir haben Ihre Anfrage erhalten' }).waitFor()
    const ref = p.getByText(/^Ihre Ticketnummer lautet TK-\d+\.$/)
    await ref.waitFor()
    const reference = (await ref.textContent()).match(/TK-\d+/)[0]
    await p.getByText('Wir haben Ihnen einen Link per E-Mail geschickt, mit dem Sie diese Anfrage verfolgen können.').waitFor()
    await p.getByRole('button', { name: 'Weitere Anfrage senden' }).waitFor()
    await shot(p, 'de-success')

    const detail = await admin('/support/admin/tickets/' + reference)
    assert.equal(detail.subject, subject)
    assert.equal(detail.priority, 'high')
    assert.equal(detail.contact.email, 'erika@example.com')
    assert.equal(detail.contact.locale, 'de')
    assert.equal(detail.origin.locale, 'en-US', 'the browser\'s own language is still recorded as where it was filed from')
    assert.deepEqual(p.errors, [])
    await p.context().close()
  })

  test('window.PorticoWidget.locale (pt-BR) and the browser\'s language without one', { timeout: 60_000 }, async () => {
    const p = await open('/object')
    await openForm(p, 'E-mail')
    await p.getByLabel('Assunto').waitFor()
    await p.getByRole('button', { name: 'Enviar solicitação' }).waitFor()
    assert.deepEqual(p.errors, [])
    await p.context().close()

    // No locale on the page: Accept-Language (the browser's) decides.
    const f = await open('/plain', { locale: 'fr-FR' })
    await openForm(f, 'E-mail')
    await f.getByLabel('Objet').waitFor()
    await f.getByLabel('E-mail').fill('x@@y')
    await f.getByRole('button', { name: 'Envoyer la demande' }).click()
    await f.getByText('E-mail n’est pas une adresse e-mail valide').waitFor()
    await shot(f, 'fr-client-errors')
    await f.context().close()
  })

  test('the hosted form opened from a German page asks for German', { timeout: 60_000 }, async () => {
    const p = await open('/de-csp')
    const b = launcher(p)
    await b.waitFor()
    const [form] = await Promise.all([p.context().waitForEvent('page'), b.click()])
    await form.waitForLoadState()
    assert.equal(form.url(), base + '/support/widget/form?locale=de')
    await p.context().close()
  })

  test('before the form has loaded, the loader\'s own words are German already', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-US' })
    // Hold the WebAssembly back until the loading state has been seen.
    let release
    const held = new Promise((r) => (release = r))
    await context.route('**/*.wasm', async (route) => {
      await held
      await route.continue()
    })
    const p = collectErrors(await context.newPage())
    await p.goto(origin + '/de')
    await p.getByRole('button', { name: 'Support kontaktieren' }).click()
    await dialog(p).getByRole('status').getByText('Wird geladen…').waitFor()
    await dialog(p).getByRole('heading', { name: 'Support kontaktieren' }).waitFor()
    await dialog(p).getByRole('button', { name: 'Schließen' }).waitFor()
    release()
    await p.getByLabel('E-Mail').waitFor()
    assert.deepEqual(p.errors, [])
    await context.close()
  })
})
