import { describe, expect, it } from 'vitest'
import { backfillResultText, backfillStatusText, canBackfill, type BackfillResult } from '../src/logic/github'

const result: BackfillResult = { dry_run: false, queued: 2, comments: 3, tickets: [], in_progress: 0, erased: 0, left: 0 }

describe('GitHub backfill', () => {
  it('says what is missing', () => {
    expect(backfillStatusText({ enabled: true, missing: 0, in_progress: 0, erased: 0 })).toBe('Every ticket has its GitHub issue.')
    expect(backfillStatusText({ enabled: true, missing: 1, in_progress: 2, erased: 1 })).toBe(
      '1 ticket has no GitHub issue. 2 tickets are getting one now. 1 erased ticket will never get one.',
    )
    expect(backfillStatusText({ enabled: true, missing: 0, in_progress: 1, erased: 0 })).toBe('1 ticket is getting one now.')
    expect(backfillStatusText({ enabled: false, missing: 3, in_progress: 0, erased: 0 })).toBe(
      '3 tickets have no GitHub issue; they get one once the sync is on and you backfill.',
    )
  })

  it('offers the button only when it can act', () => {
    expect(canBackfill(null)).toBe(false)
    expect(canBackfill({ enabled: false, missing: 3, in_progress: 0, erased: 0 })).toBe(false)
    expect(canBackfill({ enabled: true, missing: 0, in_progress: 1, erased: 0 })).toBe(false)
    expect(canBackfill({ enabled: true, missing: 1, in_progress: 0, erased: 0 })).toBe(true)
  })

  it('says what was queued', () => {
    expect(backfillResultText(result)).toBe('Queued 2 tickets with 3 comments: their issues open in the background.')
    expect(backfillResultText({ ...result, queued: 1, comments: 1, left: 4 })).toBe(
      'Queued 1 ticket with 1 comment: their issues open in the background. 4 tickets left for another run.',
    )
    expect(backfillResultText({ ...result, queued: 0, comments: 0 })).toBe('Nothing to do: no ticket is missing its issue.')
  })
})
