// Route table of the admin app (pure: no window), used by router.ts.

export const BASE = '/admin'

export type RouteName = 'login' | 'setup' | 'settings' | 'tickets' | 'ticket' | 'contact' | 'workflows' | 'workflow' | 'notfound'

export interface Route {
  name: RouteName
  params: Record<string, string>
  path: string
  search: string
}

const table: [RouteName, RegExp][] = [
  ['login', /^\/login\/?$/],
  ['setup', /^\/setup\/?$/],
  ['settings', /^\/settings\/?$/],
  ['tickets', /^\/tickets\/?$/],
  ['ticket', /^\/tickets\/(?<reference>[^/]+)\/?$/],
  ['contact', /^\/contacts\/(?<id>[0-9]+)\/?$/],
  ['workflows', /^\/workflows\/?$/],
  ['workflow', /^\/workflows\/(?<id>new|[0-9]+)\/?$/],
]

/** Resolves a location (path and query) to a page. */
export function resolve(path: string, search = ''): Route {
  let rest = path.startsWith(BASE) ? path.slice(BASE.length) : path
  if (rest === '' || rest === '/') rest = '/settings'
  for (const [name, re] of table) {
    const m = re.exec(rest)
    if (m) {
      const params: Record<string, string> = {}
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = safeDecode(v)
      return { name, params, path, search }
    }
  }
  return { name: 'notfound', params: {}, path, search }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Only this app's own paths are followed after sign-in (no open redirect). */
export function isAppURL(to: string): boolean {
  if (to.includes('\\') || /(^|\/)\.\.?(\/|$|\?)/.test(to)) return false
  return to === BASE || to.startsWith(`${BASE}/`) || to.startsWith(`${BASE}?`)
}

export function href(path: string): string {
  return `${BASE}${path}`
}
