// Retention after close, validated exactly as server/validate/retention.go
// does: an integer of at least 1 followed by one unit (m, h, d or w), at most
// 3650 days, nothing else around it (the server trims spaces first).
import { trimSpace } from './text'

export const MSG_RETENTION = 'use a number followed by m, h, d or w, e.g. 30d'
export const MSG_RETENTION_MIN = 'must be at least 1m'
export const MSG_RETENTION_MAX = 'must be at most 3650d'

const MINUTE = 1
const UNITS: Record<string, number> = { w: 7 * 24 * 60, d: 24 * 60, h: 60, m: MINUTE }
/** 3650 days, in minutes. */
export const MAX_RETENTION_MINUTES = 3650 * 24 * 60

export interface Retention {
  minutes: number
  error: string
}

/** Parses "30d" into minutes, or returns the server's error message. */
export function parseRetention(input: string): Retention {
  const s = trimSpace(input)
  if (s.length < 2) return { minutes: 0, error: MSG_RETENTION }
  const unit = UNITS[s[s.length - 1] ?? '']
  if (unit === undefined) return { minutes: 0, error: MSG_RETENTION }
  const max = Math.floor(MAX_RETENTION_MINUTES / unit)
  let n = 0
  for (const c of s.slice(0, -1)) {
    if (c < '0' || c > '9') return { minutes: 0, error: MSG_RETENTION }
    n = n * 10 + (c.charCodeAt(0) - 48)
    if (n > max) return { minutes: 0, error: MSG_RETENTION_MAX }
  }
  if (n === 0) return { minutes: 0, error: MSG_RETENTION_MIN }
  return { minutes: n * unit, error: '' }
}

/** '' when valid, else the message the server would answer. */
export function validateRetention(input: string): string {
  return parseRetention(input).error
}

/** The server's canonical form: the largest unit that divides exactly. */
export function formatRetention(minutes: number): string {
  if (minutes <= 0) return ''
  for (const [suffix, per] of Object.entries(UNITS)) {
    if (minutes % per === 0) return `${minutes / per}${suffix}`
  }
  return `${minutes}m`
}

/** "30d" → "30 days", for the help text next to the field. */
export function describeRetention(input: string): string {
  const r = parseRetention(input)
  if (r.error) return ''
  const s = formatRetention(r.minutes)
  const n = Number(s.slice(0, -1))
  const names: Record<string, string> = { m: 'minute', h: 'hour', d: 'day', w: 'week' }
  const name = names[s[s.length - 1] ?? 'm'] ?? 'minute'
  return `${n} ${name}${n === 1 ? '' : 's'}`
}
