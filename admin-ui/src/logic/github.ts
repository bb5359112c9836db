// The GitHub backfill: tickets that have no issue (filed while the sync was
// off, or whose issue job gave up) get one, with their replies as comments.
// And the desk setting: issues or discussions.
import type { FieldErrors } from './guestPolicy'
import { count, runes, trimSpace } from './text'

export const BACKFILL = '/support/admin/api/github/backfill'

/** GET /support/admin/api/github/backfill. */
export interface BackfillStatus {
  enabled: boolean
  missing: number
  in_progress: number
  erased: number
}

/** POST /support/admin/api/github/backfill. */
export interface BackfillResult {
  dry_run: boolean
  queued: number
  comments: number
  tickets: { reference: string; comments: number; closed: boolean }[]
  in_progress: number
  erased: number
  left: number
}

/** What the page says about tickets without an issue. */
export function backfillStatusText(s: BackfillStatus): string {
  const parts: string[] = []
  if (s.missing === 0 && s.in_progress === 0) parts.push('Every ticket has its GitHub issue.')
  else if (s.missing === 0) {
    // Only the tickets on their way, below.
  } else if (s.enabled) parts.push(`${count(s.missing, 'ticket has', 'tickets have')} no GitHub issue.`)
  else parts.push(`${count(s.missing, 'ticket has', 'tickets have')} no GitHub issue; they get one once the sync is on and you backfill.`)
  if (s.in_progress > 0) parts.push(`${count(s.in_progress, 'ticket is', 'tickets are')} getting one now.`)
  if (s.erased > 0) parts.push(`${count(s.erased, 'erased ticket')} will never get one.`)
  return parts.join(' ')
}

/**
 * Whether the backfill button does something: not while new tickets go to
 * Discussions (the backfill opens issues; the server answers 409).
 */
export function canBackfill(s: BackfillStatus | null, desk = 'issues'): boolean {
  return s !== null && s.enabled && s.missing > 0 && desk !== 'discussions'
}

/** Why the backfill waits on the Discussions desk ('' on issues). */
export function backfillDeskText(desk: string): string {
  return desk === 'discussions'
    ? 'The backfill opens issues, so it waits while new tickets go to Discussions: choose Issues above to run it.'
    : ''
}

/** The line shown after the button was pressed. */
export function backfillResultText(r: BackfillResult): string {
  if (r.queued === 0) return 'Nothing to do: no ticket is missing its issue.'
  let text = `Queued ${count(r.queued, 'ticket')} with ${count(r.comments, 'comment')}: their issues open in the background.`
  if (r.left > 0) text += ` ${count(r.left, 'ticket')} left for another run.`
  return text
}

// The desk: where new tickets are mirrored on GitHub (server/settings/desk.go).

export const DESK = '/support/admin/settings/github'

export type DeskMode = 'issues' | 'discussions'

/** GET|PUT /support/admin/settings/github. */
export interface DeskSettings {
  desk: DeskMode | string
  /** A category's name (as GitHub spells it) or null; kept while the desk is issues. */
  discussion_category: string | null
}

export interface DeskForm {
  desk: DeskMode
  category: string
}

export const DESKS: { value: DeskMode; label: string; help: string }[] = [
  { value: 'issues', label: 'Issues', help: 'Each new ticket opens an issue; the conversation goes on in its comments.' },
  {
    value: 'discussions',
    label: 'Discussions',
    help: 'Each new ticket starts a discussion in the category below; the conversation goes on in its comments.',
  },
]

/** server/settings.MaxDiscussionCategory. */
export const MAX_CATEGORY = 100

export function formFromDesk(d: DeskSettings): DeskForm {
  return { desk: d.desk === 'discussions' ? 'discussions' : 'issues', category: d.discussion_category ?? '' }
}

/**
 * The body of the PUT. The category goes only with discussions: while the
 * desk is issues the server keeps the stored one, ready for a switch back.
 */
export function deskPayload(f: DeskForm): { desk: DeskMode; discussion_category?: string } {
  if (f.desk !== 'discussions') return { desk: 'issues' }
  return { desk: 'discussions', discussion_category: trimSpace(f.category) }
}

/** The field rules of server/settings.SetDesk; whether GitHub knows the category is checked on save. */
export function validateDesk(f: DeskForm): FieldErrors {
  if (f.desk !== 'discussions') return {}
  const c = trimSpace(f.category)
  if (c === '') return { discussion_category: 'Enter the name or slug of a discussion category, like Support.' }
  if (runes(c) > MAX_CATEGORY) return { discussion_category: `Must be at most ${MAX_CATEGORY} characters.` }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(c)) return { discussion_category: 'Must be one line without control characters.' }
  return {}
}

/** Notes after a save: GitHub's spelling of the category when it differs from what was typed. */
export function deskNotes(sent: DeskForm, stored: DeskSettings): string[] {
  const typed = trimSpace(sent.category)
  if (sent.desk !== 'discussions' || stored.discussion_category === null || stored.discussion_category === typed) return []
  return [`Category stored as “${stored.discussion_category}”, its name on GitHub.`]
}

/** Where new tickets go now, in a sentence; repository is "" while the sync is off. */
export function deskText(d: DeskSettings, repository: string): string {
  const where = d.desk === 'discussions' ? `start a discussion in “${d.discussion_category ?? ''}”` : 'open an issue'
  if (repository === '') return `New tickets would ${where}, but the GitHub sync is off (PORTICO_GITHUB_REPOSITORY is not set).`
  return `New tickets ${where} on ${repository}.`
}
