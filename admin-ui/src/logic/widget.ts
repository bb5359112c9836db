// The widget settings form: validation mirrors server/validate (color,
// position, origin, priorities) and server/settings (title, greeting), and
// the embed snippet a marketing site pastes.
import { runes, trimSpace } from './text'
import type { FieldErrors } from './guestPolicy'

export type Position = 'bottom-right' | 'bottom-left'

export interface WidgetSettings {
  color: string
  position: Position | string
  title: string
  greeting: string
  allowed_origins: string[]
  priorities: string[]
}

/** The form keeps the two lists as text, one entry per line. */
export interface WidgetForm {
  color: string
  position: string
  title: string
  greeting: string
  origins: string
  priorities: string
}

export const MAX_TITLE = 80
export const MAX_GREETING = 500
export const MAX_PRIORITIES = 10
export const MAX_PRIORITY = 32

export function formFromWidget(w: WidgetSettings): WidgetForm {
  return {
    color: w.color,
    position: w.position,
    title: w.title,
    greeting: w.greeting,
    origins: w.allowed_origins.join('\n'),
    priorities: w.priorities.join('\n'),
  }
}

/** Lines (or commas) to a list, trimmed, blanks dropped, as the server does. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => trimSpace(s))
    .filter((s) => s !== '')
}

export function widgetFromForm(f: WidgetForm): WidgetSettings {
  return {
    color: trimSpace(f.color),
    position: trimSpace(f.position),
    title: trimSpace(f.title),
    greeting: trimSpace(f.greeting),
    allowed_origins: parseList(f.origins),
    priorities: parseList(f.priorities),
  }
}

const MSG_COLOR = 'must be a hex color like #1a73e8 or #fff'

export function validateColor(s: string): string {
  return /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s) ? '' : MSG_COLOR
}

export function validatePosition(s: string): string {
  return s === 'bottom-right' || s === 'bottom-left' ? '' : 'must be bottom-right or bottom-left'
}

const MSG_ORIGIN = 'must be * or an origin like https://example.com'

/** server/validate.Origin: "*" or scheme://host[:port], as browsers send it. */
export function validateOrigin(s: string): string {
  if (s === '*') return ''
  const i = s.indexOf('://')
  if (i < 0) return MSG_ORIGIN
  const scheme = s.slice(0, i)
  const rest = s.slice(i + 3)
  if (scheme !== 'http' && scheme !== 'https') return MSG_ORIGIN
  if (/[/?#]/.test(rest)) return 'must not contain a path, query or fragment (remove everything after the host and port)'
  if (/[A-Z]/.test(rest)) return 'must be lowercase, like https://example.com'
  let port = ''
  let hasPort = false
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']')
    if (end < 0 || !validIPv6(rest.slice(1, end))) return MSG_ORIGIN
    const after = rest.slice(end + 1)
    if (after !== '') {
      if (after[0] !== ':') return MSG_ORIGIN
      port = after.slice(1)
      hasPort = true
    }
  } else {
    let host = rest
    const c = rest.lastIndexOf(':')
    if (c >= 0) {
      host = rest.slice(0, c)
      port = rest.slice(c + 1)
      hasPort = true
    }
    if (!validHost(host)) return MSG_ORIGIN
  }
  if (hasPort) {
    if (!/^[1-9][0-9]*$/.test(port) || Number(port) > 65535) return 'must have a port between 1 and 65535'
    const n = Number(port)
    if ((scheme === 'http' && n === 80) || (scheme === 'https' && n === 443)) {
      return 'must leave out the default port (:80 for http, :443 for https)'
    }
  }
  return ''
}

function validHost(h: string): boolean {
  if (h === '' || h.length > 253) return false
  return h.split('.').every((l) => l.length > 0 && l.length <= 63 && !l.startsWith('-') && !l.endsWith('-') && /^[a-z0-9-]+$/.test(l))
}

function validIPv6(h: string): boolean {
  return h.length >= 2 && h.length <= 45 && (h.match(/:/g)?.length ?? 0) >= 2 && /^[0-9a-fA-F:.]+$/.test(h)
}

export function validateOrigins(list: string[]): string {
  if (list.length === 0) return 'must list at least one origin, or "*" for any'
  for (const o of list) {
    const msg = validateOrigin(o)
    if (msg) return `${JSON.stringify(o)} ${msg}`
  }
  return ''
}

export function validatePriorities(list: string[]): string {
  if (list.length === 0) return 'must list at least one priority'
  if (list.length > MAX_PRIORITIES) return `must list at most ${MAX_PRIORITIES} priorities`
  const seen = new Set<string>()
  for (const p of list) {
    if (!/^[a-z0-9_-]+$/.test(p)) return `priority ${JSON.stringify(p)} must use only lowercase letters, digits, - and _`
    if (p.length > MAX_PRIORITY) return `priority ${JSON.stringify(p)} must be at most ${MAX_PRIORITY} characters`
    if (seen.has(p)) return `priority ${JSON.stringify(p)} is listed more than once`
    seen.add(p)
  }
  return ''
}

/** Every field error, keyed like the server's 422 {errors}. */
export function validateWidget(w: WidgetSettings): FieldErrors {
  const errors: FieldErrors = {}
  const add = (k: string, msg: string) => {
    if (msg) errors[k] = msg
  }
  add('color', validateColor(w.color))
  add('position', validatePosition(w.position))
  const t = runes(w.title)
  add('title', t === 0 || t > MAX_TITLE ? `must be 1 to ${MAX_TITLE} characters` : '')
  add('greeting', runes(w.greeting) > MAX_GREETING ? `must be at most ${MAX_GREETING} characters` : '')
  add('allowed_origins', validateOrigins(w.allowed_origins))
  add('priorities', validatePriorities(w.priorities))
  return errors
}

/** #abc → #aabbcc, lowercase: what <input type="color"> accepts. */
export function pickerColor(c: string): string {
  if (/^#[0-9a-fA-F]{6}$/.test(c)) return c.toLowerCase()
  if (/^#[0-9a-fA-F]{3}$/.test(c)) return ('#' + [...c.slice(1)].map((x) => x + x).join('')).toLowerCase()
  return '#4f46e5'
}

/** Black or white, whichever reads better on the launcher's color. */
export function textColorOn(bg: string): '#000000' | '#ffffff' {
  const hex = pickerColor(bg).slice(1)
  const channel = (i: number) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  const lum = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
  // Contrast with white vs with black: pick the larger.
  return (1.05) / (lum + 0.05) >= (lum + 0.05) / 0.05 ? '#ffffff' : '#000000'
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The server's public base URL without a trailing slash. */
export function normalizeBase(base: string): string {
  return trimSpace(base).replace(/\/+$/, '')
}

/** The <script> tag a marketing site pastes to get the support button. */
export function widgetSnippet(base: string, color: string, position: string): string {
  const b = attr(normalizeBase(base))
  return `<script src="${b}/support/widget/widget.js" data-base-url="${b}" data-color="${attr(color)}" data-position="${attr(position)}" async></script>`
}
