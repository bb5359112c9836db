// The guest policy form: who a ticket filed without an account belongs to.
// The server (server/settings) is the authority: it coerces rather than
// refuses, so the form mirrors its rules to warn early and then shows what
// the server actually stored.
import { cutRunes, isPositiveInt, runes, trimSpace } from './text'

export type Mode = 'unassigned' | 'guest_user' | 'prompt_signup'

export const MAX_TEMPLATE = 500

export interface ModeInfo {
  value: Mode
  label: string
  help: string
}

export const MODES: readonly ModeInfo[] = [
  {
    value: 'unassigned',
    label: 'Unassigned',
    help: 'Guest tickets belong to no user of your app; the customer is known by email only.',
  },
  {
    value: 'guest_user',
    label: 'File under one user',
    help: 'Every guest ticket is filed under one user of your app, e.g. a shared “guest” account.',
  },
  {
    value: 'prompt_signup',
    label: 'Invite to sign up',
    help: 'Tickets stay unassigned, and the confirmation mail invites the customer to create an account.',
  },
]

/** What GET and PUT /support/admin/settings/public-tickets carry. */
export interface GuestPolicy {
  guest_policy_mode: string
  guest_policy_user_id: number | null
  guest_policy_signup_url_template: string | null
}

/** Where the policy in force comes from: the start-up default or a save here. */
export type Source = 'default' | 'saved'

/**
 * What GET, PUT and DELETE answer: the policy in force, its source and the
 * start-up default (PORTICO_GUEST_POLICY_*) that a reset brings back.
 */
export interface GuestPolicyState extends GuestPolicy {
  source: Source
  default: GuestPolicy
}

/** The variables that set the start-up default. */
export const STARTUP_VARIABLES = 'PORTICO_GUEST_POLICY_*'

/** The line that says which policy is in force. */
export function sourceText(source: Source): string {
  return source === 'saved' ? 'In force: saved here' : `In force: start-up default (from ${STARTUP_VARIABLES})`
}

/** What the source means for the admin, under that line. */
export function sourceHelp(source: Source): string {
  return source === 'saved'
    ? 'This policy was saved on this page and wins over the start-up default until you reset it.'
    : `Set by ${STARTUP_VARIABLES} when portico started (unassigned when unset). Saving here overrides it.`
}

/** A policy in a few words, e.g. “File under one user (id 42)”. */
export function describePolicy(p: GuestPolicy): string {
  const mode = MODES.find((m) => m.value === p.guest_policy_mode)
  const label = mode ? mode.label : p.guest_policy_mode
  if (p.guest_policy_mode === 'guest_user') {
    return p.guest_policy_user_id == null ? `${label} (no user id)` : `${label} (id ${p.guest_policy_user_id})`
  }
  if (p.guest_policy_mode === 'prompt_signup') {
    return p.guest_policy_signup_url_template ? `${label} (${p.guest_policy_signup_url_template})` : `${label} (no signup URL)`
  }
  return label
}

/** Only a saved policy can be reset; the default is in force otherwise. */
export function canReset(state: GuestPolicyState): boolean {
  return state.source === 'saved'
}

/** The form's state: inputs are text until sent. */
export interface GuestPolicyForm {
  mode: Mode
  userId: string
  template: string
}

export function isMode(s: string): s is Mode {
  return MODES.some((m) => m.value === s)
}

export function formFromPolicy(p: GuestPolicy): GuestPolicyForm {
  return {
    mode: isMode(p.guest_policy_mode) ? p.guest_policy_mode : 'unassigned',
    userId: p.guest_policy_user_id == null ? '' : String(p.guest_policy_user_id),
    template: p.guest_policy_signup_url_template ?? '',
  }
}

/**
 * Switching mode clears the other modes' fields, as the server does on save,
 * so the form never shows a value that would not be kept.
 */
export function switchMode(form: GuestPolicyForm, mode: Mode): GuestPolicyForm {
  return {
    mode,
    userId: mode === 'guest_user' ? form.userId : '',
    template: mode === 'prompt_signup' ? form.template : '',
  }
}

export type FieldErrors = Record<string, string>

/**
 * Errors the admin must fix before saving. The server would store an invalid
 * user id as empty; refusing it here is kinder. An over-long template is
 * not an error: it is cut, and the form says so.
 */
export function validateGuestPolicy(form: GuestPolicyForm): FieldErrors {
  const errors: FieldErrors = {}
  if (form.mode === 'guest_user') {
    const id = trimSpace(form.userId)
    if (id === '') errors.guest_policy_user_id = 'Enter the id of the user that guest tickets are filed under.'
    else if (!isPositiveInt(id)) errors.guest_policy_user_id = 'Must be a positive whole number, like 42.'
  }
  if (form.mode === 'prompt_signup' && trimSpace(form.template) === '') {
    errors.guest_policy_signup_url_template = 'Enter the signup URL; {token} is replaced by the invitation token.'
  }
  return errors
}

/** Hints that do not block saving. */
export function templateWarnings(template: string): string[] {
  const t = trimSpace(template)
  if (t === '') return []
  const out: string[] = []
  if (!t.includes('{token}')) out.push('The template has no {token}: the invitation will not identify the customer.')
  if (!/^https?:\/\//i.test(t)) out.push('The template should be an absolute http:// or https:// URL.')
  const n = runes(t)
  if (n > MAX_TEMPLATE) out.push(`It is ${n} characters long; the server keeps only the first ${MAX_TEMPLATE}.`)
  return out
}

/** The body of the PUT: only the chosen mode's field. */
export function payloadFromForm(form: GuestPolicyForm): GuestPolicy {
  const id = trimSpace(form.userId)
  const template = trimSpace(form.template)
  return {
    guest_policy_mode: form.mode,
    guest_policy_user_id: form.mode === 'guest_user' && isPositiveInt(id) ? Number(id) : null,
    guest_policy_signup_url_template: form.mode === 'prompt_signup' && template !== '' ? template : null,
  }
}

/** What the server will make of a template: trimmed, cut to 500 characters. */
export function normalizeTemplate(template: string): string {
  return cutRunes(trimSpace(template), MAX_TEMPLATE)
}

/** An example token, shaped like the real ones (contact.expiry.nonce.hmac). */
export const EXAMPLE_TOKEN = '42.1767225600.q7ZrYw3kT1c.9f86d081884c7d659a2feaa0c55ad015'

export interface ExampleLink {
  url: string
  /** Only http(s) URLs are rendered as links (never javascript: and friends). */
  linkable: boolean
}

/** The template with {token} filled in, as a customer would receive it. */
export function exampleSignupURL(template: string, token: string = EXAMPLE_TOKEN): ExampleLink | null {
  const t = normalizeTemplate(template)
  if (t === '') return null
  const url = t.split('{token}').join(encodeURIComponent(token))
  let linkable = false
  try {
    const u = new URL(url)
    linkable = u.protocol === 'https:' || u.protocol === 'http:'
  } catch {
    linkable = false
  }
  return { url, linkable }
}

/**
 * Sentences that explain how what the server stored differs from what was
 * typed, so that "saved" never hides a change.
 */
export function storedNotes(typed: GuestPolicyForm, stored: GuestPolicy): string[] {
  const notes: string[] = []
  if (stored.guest_policy_mode !== typed.mode) {
    notes.push(`The server stored the mode as “${stored.guest_policy_mode}”.`)
  }
  if (typed.mode === 'guest_user') {
    const id = trimSpace(typed.userId)
    if (stored.guest_policy_user_id == null && id !== '') {
      notes.push(`The user id “${id}” is not a positive whole number; the server stored none.`)
    } else if (stored.guest_policy_user_id != null && String(stored.guest_policy_user_id) !== id) {
      notes.push(`The server stored the user id as ${stored.guest_policy_user_id}.`)
    }
  }
  if (typed.mode === 'prompt_signup') {
    const raw = typed.template
    const trimmed = trimSpace(raw)
    const kept = stored.guest_policy_signup_url_template ?? ''
    if (trimmed !== raw && trimmed !== '') notes.push('Spaces around the template were removed.')
    if (runes(trimmed) > MAX_TEMPLATE && kept === cutRunes(trimmed, MAX_TEMPLATE)) {
      notes.push(`The template was ${runes(trimmed)} characters long; the server kept the first ${MAX_TEMPLATE}.`)
    } else if (kept !== trimmed && !(runes(trimmed) > MAX_TEMPLATE)) {
      notes.push('The server stored a different template than the one typed.')
    }
  }
  return notes
}
