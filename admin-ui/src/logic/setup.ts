// The first-run set-up form (/admin/setup?token=…): the rules the server
// applies (validate.AdminPassword, an address with @ and a domain), checked
// before sending so that typos do not cost a rate-limited attempt.
import { runes, trimSpace } from './text'

export const MIN_PASSWORD = 8
export const MAX_PASSWORD = 1024

export interface SetupInput {
  email: string
  password: string
  repeat: string
}

export type SetupErrors = Partial<Record<'email' | 'password' | 'repeat', string>>

/** The token of the set-up link, or '' when the URL has none. */
export function setupToken(search: string): string {
  const token = new URLSearchParams(search).get('token') ?? ''
  return /^[0-9a-f]{64}$/.test(token) ? token : ''
}

/** Field errors of the set-up form; empty when it may be sent. */
export function setupErrors(input: SetupInput): SetupErrors {
  const errors: SetupErrors = {}
  const email = trimSpace(input.email)
  if (email === '') errors.email = 'Enter the address you will sign in with.'
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = 'Enter an email address like you@example.com.'
  const n = runes(input.password)
  if (n === 0) errors.password = 'Choose a password.'
  else if (n < MIN_PASSWORD) errors.password = `Use at least ${MIN_PASSWORD} characters.`
  else if (n > MAX_PASSWORD) errors.password = `Use at most ${MAX_PASSWORD.toLocaleString('en')} characters.`
  if (!errors.password && input.repeat !== input.password) errors.repeat = 'The passwords differ.'
  return errors
}
