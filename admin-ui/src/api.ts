// The admin API client. Every call is same-origin with the session cookie;
// the browser adds Origin to unsafe methods, which the server insists on.

export class ApiError extends Error {
  status: number
  /** Field errors of a 422 {errors:{field:msg}}. */
  fields: Record<string, string>
  retryAfter: number

  constructor(status: number, message: string, fields: Record<string, string> = {}, retryAfter = 0) {
    super(message)
    this.status = status
    this.fields = fields
    this.retryAfter = retryAfter
  }
}

let onUnauthorized: (() => void) | null = null

/** Called when the session ends (401 on any call but sign-in). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  }
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  let res: Response
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.')
  }
  if (res.status === 204) return undefined as T
  let data: unknown = null
  const text = await res.text()
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (res.ok) return data as T
  const obj = (data ?? {}) as { error?: string; errors?: Record<string, string> }
  const fields = obj.errors ?? {}
  const message =
    obj.error ?? (Object.keys(fields).length ? 'Some fields need attention.' : `The server answered ${res.status}.`)
  const err = new ApiError(res.status, message, fields, Number(res.headers.get('Retry-After') ?? 0) || 0)
  // A wrong password or set-up link is no ended session.
  if (res.status === 401 && path !== SESSION && path !== SETUP) onUnauthorized?.()
  throw err
}

export const SESSION = '/support/admin/api/session'
/** First run: GET → 200 {required: true} while no admin exists, else 410; POST {token, email, password} → Me. */
export const SETUP = '/support/admin/api/setup'

export interface Me {
  id: number
  email: string
}

export interface ServerInfo {
  base_url: string
  github_repository: string
  github_web_url: string
  version: string
  /** Set when the mirror repository is public (customers' mail is readable there). */
  github_repository_warning?: string
}

export const get = <T>(path: string) => api<T>('GET', path)
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body)
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body)

/** The message next to a failed save: the field's, or the general one. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message
  return 'Something went wrong. Try again.'
}

/** Whether the server has no admin yet (the first run); false when it cannot tell. */
export async function setupRequired(): Promise<boolean> {
  try {
    const r = await get<{ required?: boolean }>(SETUP)
    return r?.required === true
  } catch {
    return false
  }
}
