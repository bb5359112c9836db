import { describe, expect, it } from 'vitest'
import { cutRunes, isPositiveInt, runes, trimSpace } from '../src/logic/text'

describe('text helpers count like Go', () => {
  it('counts code points', () => {
    expect(runes('abc')).toBe(3)
    expect(runes('😀x')).toBe(2)
    expect(cutRunes('😀😀😀', 2)).toBe('😀😀')
    expect(cutRunes('abc', 5)).toBe('abc')
  })

  it('trims what strings.TrimSpace trims', () => {
    expect(trimSpace(' \t\n x \u00a0\u3000')).toBe('x')
    expect(trimSpace('\u0085x\u0085')).toBe('x')
    // U+FEFF is not white space in Go.
    expect(trimSpace('\ufeffx')).toBe('\ufeffx')
  })

  it('knows positive integers', () => {
    expect(isPositiveInt('1')).toBe(true)
    expect(isPositiveInt('007')).toBe(true)
    expect(isPositiveInt('0')).toBe(false)
    expect(isPositiveInt('9007199254740993')).toBe(false)
  })
})
