import { describe, expect, it } from 'vitest'
import { changed, scoreLabel, share, summaryText, type Rating } from '../src/logic/ratings'

describe('ratings', () => {
  it('labels the scores and leaves unknown ones alone', () => {
    expect(scoreLabel('good')).toBe('👍 Good')
    expect(scoreLabel('okay')).toBe('😐 Okay')
    expect(scoreLabel('bad')).toBe('👎 Bad')
    expect(scoreLabel('great')).toBe('great')
  })

  it('gives shares in whole percent, and none of nothing', () => {
    expect(share(1, 3)).toBe(33)
    expect(share(2, 3)).toBe(67)
    expect(share(3, 3)).toBe(100)
    expect(share(0, 0)).toBe(0)
  })

  it('says how many answers the period holds', () => {
    const s = { days: 30, since: '', good: 0, okay: 0, bad: 0, total: 0 }
    expect(summaryText(s)).toBe('No answers in the last 30 days yet.')
    expect(summaryText({ ...s, good: 1, total: 1 })).toBe('1 answer in the last 30 days.')
    expect(summaryText({ ...s, good: 2, bad: 1, total: 3 })).toBe('3 answers in the last 30 days.')
  })

  it('tells a changed answer', () => {
    const r: Rating = { id: 1, contact_id: 2, score: 'bad', comment: '', created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:00:00Z' }
    expect(changed(r)).toBe(false)
    expect(changed({ ...r, updated_at: '2026-01-02T10:00:00Z' })).toBe(true)
  })
})
