import { describe, expect, it } from 'vitest'
import {
  formFromWidget,
  parseList,
  pickerColor,
  textColorOn,
  validateColor,
  validateOrigin,
  validateOrigins,
  validatePriorities,
  validateWidget,
  widgetFromForm,
  widgetSnippet,
  type WidgetSettings,
} from '../src/logic/widget'

const defaults: WidgetSettings = {
  color: '#4F46E5',
  position: 'bottom-right',
  title: 'Support',
  greeting: 'How can we help?',
  allowed_origins: ['*'],
  priorities: ['low', 'medium', 'high', 'urgent'],
}

describe('widget snippet', () => {
  it('is the script tag for this server with color and position', () => {
    expect(widgetSnippet('https://support.example.com', '#4F46E5', 'bottom-left')).toBe(
      '<script src="https://support.example.com/support/widget/widget.js" data-base-url="https://support.example.com" ' +
        'data-color="#4F46E5" data-position="bottom-left" async></script>',
    )
  })

  it('drops trailing slashes of the base URL', () => {
    expect(widgetSnippet('http://127.0.0.1:8080//', '#fff', 'bottom-right')).toContain(
      'src="http://127.0.0.1:8080/support/widget/widget.js" data-base-url="http://127.0.0.1:8080"',
    )
  })

  it('escapes attribute values', () => {
    const s = widgetSnippet('https://x.example/"><script>', '"onload="x', 'a<b')
    expect(s).not.toContain('"><script>')
    expect(s).toContain('data-color="&quot;onload=&quot;x"')
    expect(s).toContain('data-position="a&lt;b"')
    expect(s.match(/<script/g)).toHaveLength(1)
  })
})

describe('widget form', () => {
  it('round-trips the settings through the form (lists as lines)', () => {
    const f = formFromWidget(defaults)
    expect(f.priorities).toBe('low\nmedium\nhigh\nurgent')
    expect(widgetFromForm(f)).toEqual(defaults)
  })

  it('splits lists on lines and commas, trimmed, blanks dropped', () => {
    expect(parseList(' https://a.example ,\n\n https://b.example\n')).toEqual(['https://a.example', 'https://b.example'])
    expect(parseList('   ')).toEqual([])
  })

  it('accepts the defaults', () => {
    expect(validateWidget(defaults)).toEqual({})
  })

  it('validates every field like the server', () => {
    const errs = validateWidget({
      color: 'blue',
      position: 'top',
      title: ' '.trim(),
      greeting: 'g'.repeat(501),
      allowed_origins: [],
      priorities: [],
    })
    expect(Object.keys(errs).sort()).toEqual(['allowed_origins', 'color', 'greeting', 'position', 'priorities', 'title'])
    expect(validateWidget({ ...defaults, title: 't'.repeat(81) }).title).toBe('must be 1 to 80 characters')
    expect(validateWidget({ ...defaults, title: '😀'.repeat(80) }).title).toBeUndefined()
  })

  it('checks colors', () => {
    for (const ok of ['#fff', '#FFF', '#4f46e5', '#4F46E5']) expect(validateColor(ok)).toBe('')
    for (const bad of ['fff', '#ffff', '#ggg', '#4f46e', 'red', '']) expect(validateColor(bad)).not.toBe('')
  })

  it('checks origins like server/validate.Origin', () => {
    for (const ok of ['*', 'https://example.com', 'http://localhost:3000', 'https://a-b.c.example', 'http://[::1]:8080', 'http://127.0.0.1']) {
      expect(validateOrigin(ok), ok).toBe('')
    }
    const cases: [string, RegExp][] = [
      ['example.com', /origin like/],
      ['ftp://example.com', /origin like/],
      ['https://example.com/', /path/],
      ['https://example.com/page', /path/],
      ['https://Example.com', /lowercase/],
      ['https://example.com:0', /port/],
      ['https://example.com:99999', /port/],
      ['https://example.com:443', /default port/],
      ['http://example.com:80', /default port/],
      ['https://-bad.example', /origin like/],
      ['https://exa_mple.com', /origin like/],
      ['https://', /origin like/],
    ]
    for (const [bad, msg] of cases) expect(validateOrigin(bad), bad).toMatch(msg)
    expect(validateOrigins(['*', 'https://a.example', 'nope'])).toBe('"nope" must be * or an origin like https://example.com')
    expect(validateOrigins([])).toMatch(/at least one/)
  })

  it('checks priorities', () => {
    expect(validatePriorities(['low', 'p-1', 'x_y'])).toBe('')
    expect(validatePriorities([])).toMatch(/at least one/)
    expect(validatePriorities(Array.from({ length: 11 }, (_, i) => `p${i}`))).toMatch(/at most 10/)
    expect(validatePriorities(['Low'])).toMatch(/lowercase/)
    expect(validatePriorities(['a'.repeat(33)])).toMatch(/at most 32/)
    expect(validatePriorities(['low', 'low'])).toMatch(/more than once/)
  })

  it('gives the color picker a #rrggbb value', () => {
    expect(pickerColor('#ABC')).toBe('#aabbcc')
    expect(pickerColor('#4F46E5')).toBe('#4f46e5')
    expect(pickerColor('junk')).toBe('#4f46e5')
  })

  it('picks a readable text color for the launcher', () => {
    expect(textColorOn('#4F46E5')).toBe('#ffffff')
    expect(textColorOn('#000')).toBe('#ffffff')
    expect(textColorOn('#ffff00')).toBe('#000000')
    expect(textColorOn('#fff')).toBe('#000000')
  })
})
