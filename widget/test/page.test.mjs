// Unit tests of what the loader reads from the embedding page
// (src/page.js): the API address, and the settings the form falls back on
// when <widget-path>/config fails.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pageSettings } from '../src/page.js'

const origin = 'https://support.example.com'

test('the tag alone: data-* attributes, the API under the script origin', () => {
  const s = pageSettings({}, { color: '#0f766e', position: 'bottom-left', title: 'Help', greeting: 'Hello!', locale: 'de' }, origin)
  assert.deepEqual(s, {
    api: 'https://support.example.com/support/widget',
    color: '#0f766e',
    position: 'bottom-left',
    title: 'Help',
    greeting: 'Hello!',
    locale: 'de',
  })
})

test('window.PorticoWidget or window.EscalatedWidget wins over data-*', () => {
  const page = { baseUrl: 'https://help.example.org/', widget_path: '/custom/widget/', color: '#111', title: 'Ask us' }
  const s = pageSettings(page, { baseUrl: 'https://ignored.example', color: '#222', position: 'bottom-left', greeting: 'From the tag' }, origin)
  assert.equal(s.api, 'https://help.example.org/custom/widget')
  assert.equal(s.color, '#111')
  assert.equal(s.title, 'Ask us')
  // What the object leaves out comes from the tag.
  assert.equal(s.position, 'bottom-left')
  assert.equal(s.greeting, 'From the tag')
  // Escalated's spellings of the base URL.
  assert.equal(pageSettings({ baseURL: 'https://a.example' }, {}, origin).api, 'https://a.example/support/widget')
  assert.equal(pageSettings({ base_url: 'https://b.example//' }, {}, origin).api, 'https://b.example/support/widget')
})

test('nothing set: no branding of its own, so the defaults and the server decide', () => {
  const s = pageSettings({}, {}, origin)
  assert.deepEqual(s, { api: origin + '/support/widget', color: undefined, position: undefined, title: undefined, greeting: undefined, locale: undefined })
  // Empty values count as unset, and values are strings.
  assert.deepEqual(pageSettings({ color: '', position: 0 }, { dataset: 'x', widgetPath: 'w' }, origin).api, origin + '/w')
  assert.equal(pageSettings({ title: 42 }, {}, origin).title, '42')
})

test('the language: window.PorticoWidget.locale (or EscalatedWidget.locale) wins over data-locale', () => {
  assert.equal(pageSettings({ locale: 'fr' }, { locale: 'de' }, origin).locale, 'fr')
  assert.equal(pageSettings({}, { locale: 'pt-BR' }, origin).locale, 'pt-BR')
  assert.equal(pageSettings({ locale: '' }, { locale: 'es' }, origin).locale, 'es')
  // Passed on as the page wrote it: the server decides what it speaks.
  assert.equal(pageSettings({ locale: 'xx-nonsense' }, {}, origin).locale, 'xx-nonsense')
})
