import { count } from './text'
// Customers' answers to "How did we do?" (issue 17): on the ticket page and,
// counted over the last 30 days, on the home page.

export type Score = 'good' | 'okay' | 'bad'

/** One answer, as GET /support/admin/tickets/:reference lists it in `ratings`. */
export interface Rating {
  id: number
  contact_id: number
  score: Score | string
  /** Empty when none was given, or after the contact was erased. */
  comment: string
  created_at: string
  updated_at: string
}

/** GET /support/admin/ratings/summary. */
export interface RatingSummary {
  days: number
  since: string
  good: number
  okay: number
  bad: number
  total: number
}

export const SCORES: Score[] = ['good', 'okay', 'bad']

const LABEL: Record<Score, string> = { good: '👍 Good', okay: '😐 Okay', bad: '👎 Bad' }

/** "👍 Good"; an unknown score as it is. */
export function scoreLabel(score: string): string {
  return LABEL[score as Score] ?? score
}

/** The share of n in total, in whole percent (0 when there is nothing). */
export function share(n: number, total: number): number {
  if (total <= 0) return 0
  return Math.round((n / total) * 100)
}

/** "12 answers in the last 30 days", or that there are none yet. */
export function summaryText(s: RatingSummary): string {
  if (s.total === 0) return `No answers in the last ${s.days} days yet.`
  return `${count(s.total, 'answer')} in the last ${s.days} days.`
}

/** Whether the customer changed their answer after giving it. */
export function changed(r: Rating): boolean {
  return r.updated_at !== r.created_at
}
