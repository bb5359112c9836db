import { describe, expect, it } from 'vitest'
import { setupErrors, setupToken } from '../src/logic/setup'

const token = 'ab'.repeat(32)

describe('set-up link', () => {
  it('reads a 64-hex token from the query', () => {
    expect(setupToken(`?token=${token}`)).toBe(token)
    expect(setupToken(`?x=1&token=${token}`)).toBe(token)
  })
  it('ignores anything else', () => {
    expect(setupToken('')).toBe('')
    expect(setupToken('?token=')).toBe('')
    expect(setupToken(`?token=${token.toUpperCase()}`)).toBe('')
    expect(setupToken(`?token=${token}0`)).toBe('')
    expect(setupToken('?token=<script>')).toBe('')
  })
})

describe('set-up form', () => {
  const ok = { email: ' ada@example.com ', password: 'correct horse', repeat: 'correct horse' }
  it('accepts a good address and password', () => {
    expect(setupErrors(ok)).toEqual({})
  })
  it('asks for an address', () => {
    expect(setupErrors({ ...ok, email: '  ' }).email).toBeTruthy()
    expect(setupErrors({ ...ok, email: 'ada' }).email).toBeTruthy()
    expect(setupErrors({ ...ok, email: 'ada@localhost' }).email).toBeTruthy()
  })
  it('counts password characters like the server', () => {
    expect(setupErrors({ ...ok, password: 'short12', repeat: 'short12' }).password).toBe('Use at least 8 characters.')
    // 8 code points, 16 UTF-16 units.
    expect(setupErrors({ ...ok, password: '😀'.repeat(8), repeat: '😀'.repeat(8) })).toEqual({})
    expect(setupErrors({ ...ok, password: '😀'.repeat(7), repeat: '😀'.repeat(7) }).password).toBeTruthy()
    expect(setupErrors({ ...ok, password: 'a'.repeat(1025), repeat: 'a'.repeat(1025) }).password).toBe('Use at most 1,024 characters.')
  })
  it('wants the password twice', () => {
    expect(setupErrors({ ...ok, repeat: 'correct horse!' }).repeat).toBe('The passwords differ.')
  })
})
