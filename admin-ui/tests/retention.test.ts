import { describe, expect, it } from 'vitest'
import {
  describeRetention,
  formatRetention,
  MSG_RETENTION,
  MSG_RETENTION_MAX,
  MSG_RETENTION_MIN,
  parseRetention,
  validateRetention,
} from '../src/logic/retention'

// The same table as server/validate/validate_test.go TestRetention.
const day = 24 * 60
const week = 7 * day

describe('retention after close, validated like the server', () => {
  it.each([
    ['30m', 30],
    ['1m', 1],
    ['2h', 120],
    ['7d', 7 * day],
    ['4w', 4 * week],
    ['007d', 7 * day],
    ['3650d', 3650 * day],
    ['87600h', 3650 * day],
    ['5256000m', 3650 * day],
    ['521w', 521 * week],
  ])('accepts %s', (input, minutes) => {
    expect(parseRetention(input)).toEqual({ minutes, error: '' })
  })

  it.each([
    ['', MSG_RETENTION],
    ['d', MSG_RETENTION],
    ['30', MSG_RETENTION],
    ['30 d', MSG_RETENTION],
    ['30D', MSG_RETENTION],
    ['30s', MSG_RETENTION],
    ['1y', MSG_RETENTION],
    ['1.5h', MSG_RETENTION],
    ['-1d', MSG_RETENTION],
    ['+1d', MSG_RETENTION],
    ['1h30m', MSG_RETENTION],
    ['30dd', MSG_RETENTION],
    ['٣d', MSG_RETENTION],
    ['0d', MSG_RETENTION_MIN],
    ['00m', MSG_RETENTION_MIN],
    ['3651d', MSG_RETENTION_MAX],
    ['522w', MSG_RETENTION_MAX],
    ['87601h', MSG_RETENTION_MAX],
    ['5256001m', MSG_RETENTION_MAX],
    ['110000d', MSG_RETENTION_MAX],
    ['15250w', MSG_RETENTION_MAX],
    ['99999999999999999999999999d', MSG_RETENTION_MAX],
  ])('refuses %j', (input, msg) => {
    expect(validateRetention(input)).toBe(msg)
  })

  it('trims spaces first, as the settings service does before validating', () => {
    expect(validateRetention(' 30d ')).toBe('')
    expect(validateRetention('\t2w\n')).toBe('')
  })

  it('formats with the largest exact unit, like the server stores it', () => {
    expect(formatRetention(10080)).toBe('1w')
    expect(formatRetention(14 * day)).toBe('2w')
    expect(formatRetention(90)).toBe('90m')
    expect(formatRetention(48 * 60)).toBe('2d')
    expect(formatRetention(0)).toBe('')
    expect(formatRetention(parseRetention('87600h').minutes)).toBe('3650d')
  })

  it('describes a valid value in words', () => {
    expect(describeRetention('30d')).toBe('30 days')
    expect(describeRetention('14d')).toBe('2 weeks')
    expect(describeRetention('1h')).toBe('1 hour')
    expect(describeRetention('60m')).toBe('1 hour')
    expect(describeRetention('nope')).toBe('')
  })
})
