import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import LanguageSelect from '../src/components/LanguageSelect.vue'
import { LANGUAGES, languageLabel, languageOptions } from '../src/logic/languages'

const render = (modelValue: string, extra: Record<string, unknown> = {}) =>
  renderToString(createSSRApp(LanguageSelect, { id: 'lang', name: 'default_language', modelValue, ...extra }))

describe('default customer language', () => {
  it("offers the server's languages, English first, each by its own name", () => {
    // server/i18n.Languages
    expect(LANGUAGES.map((l) => l.value)).toEqual(['en', 'de', 'fr', 'es', 'pt'])
    expect(LANGUAGES.map((l) => l.label)).toEqual(['English', 'Deutsch', 'Français', 'Español', 'Português'])
    expect(languageLabel('fr')).toBe('Français')
    expect(languageLabel('it')).toBe('it')
  })

  it('keeps a language it does not know selectable', () => {
    expect(languageOptions('de')).toEqual(LANGUAGES)
    expect(languageOptions('it').map((l) => l.value)).toEqual(['en', 'de', 'fr', 'es', 'pt', 'it'])
    expect(languageOptions('').length).toBe(5)
  })
})

describe('LanguageSelect', () => {
  it('selects the stored language and marks each name with its language', async () => {
    const html = await render('de')
    expect(html).toMatch(/^<select id="lang" name="default_language" class="short"/)
    expect(html).toContain('<option value="de" lang="de" selected>Deutsch</option>')
    expect(html).toContain('<option value="en" lang="en">English</option>')
    expect(html.match(/<option/g)?.length).toBe(5)
    expect(html).not.toContain('aria-invalid')
  })

  it('shows an unknown stored language by its code, selected', async () => {
    const html = await render('it')
    expect(html).toContain('<option value="it" selected>it</option>')
  })

  it('is marked invalid and points at its error', async () => {
    const html = await render('en', { invalid: true, describedby: 'help err' })
    expect(html).toContain('aria-invalid="true"')
    expect(html).toContain('aria-describedby="help err"')
  })
})
