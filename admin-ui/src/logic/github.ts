// The GitHub backfill: tickets that have no issue (filed while the sync was
// off, or whose issue job gave up) get one, with their replies as comments.

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

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
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

/** Whether the backfill button does something. */
export function canBackfill(s: BackfillStatus | null): boolean {
  return s !== null && s.enabled && s.missing > 0
}

/** The line shown after the button was pressed. */
export function backfillResultText(r: BackfillResult): string {
  if (r.queued === 0) return 'Nothing to do: no ticket is missing its issue.'
  let text = `Queued ${count(r.queued, 'ticket')} with ${count(r.comments, 'comment')}: their issues open in the background.`
  if (r.left > 0) text += ` ${count(r.left, 'ticket')} left for another run.`
  return text
}
