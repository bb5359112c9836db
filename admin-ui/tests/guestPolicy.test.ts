import { describe, expect, it } from 'vitest'
import {
  exampleSignupURL,
  EXAMPLE_TOKEN,
  formFromPolicy,
  normalizeTemplate,
  payloadFromForm,
  storedNotes,
  switchMode,
  templateWarnings,
  validateGuestPolicy,
  type GuestPolicyForm,
} from '../src/logic/guestPolicy'

const guest: GuestPolicyForm = { mode: 'guest_user', userId: '42', template: '' }

describe('guest policy form', () => {
  it('reads the server value, nulls as empty fields and unknown modes as unassigned', () => {
    expect(
      formFromPolicy({ guest_policy_mode: 'guest_user', guest_policy_user_id: 42, guest_policy_signup_url_template: null }),
    ).toEqual({ mode: 'guest_user', userId: '42', template: '' })
    expect(
      formFromPolicy({ guest_policy_mode: 'bogus', guest_policy_user_id: null, guest_policy_signup_url_template: null }).mode,
    ).toBe('unassigned')
  })

  it('switching mode clears the other modes’ fields', () => {
    const signup = switchMode(guest, 'prompt_signup')
    expect(signup).toEqual({ mode: 'prompt_signup', userId: '', template: '' })
    const withTemplate = { ...signup, template: 'https://app.example.com/join?t={token}' }
    expect(switchMode(withTemplate, 'guest_user')).toEqual({ mode: 'guest_user', userId: '', template: '' })
    expect(switchMode(withTemplate, 'unassigned')).toEqual({ mode: 'unassigned', userId: '', template: '' })
    // Staying in the same mode keeps the field.
    expect(switchMode(guest, 'guest_user')).toEqual(guest)
  })

  it('sends only the chosen mode’s field', () => {
    expect(payloadFromForm(guest)).toEqual({
      guest_policy_mode: 'guest_user',
      guest_policy_user_id: 42,
      guest_policy_signup_url_template: null,
    })
    expect(payloadFromForm({ mode: 'prompt_signup', userId: '42', template: '  https://x.example/{token} ' })).toEqual({
      guest_policy_mode: 'prompt_signup',
      guest_policy_user_id: null,
      guest_policy_signup_url_template: 'https://x.example/{token}',
    })
    expect(payloadFromForm({ mode: 'unassigned', userId: '42', template: 'x' })).toEqual({
      guest_policy_mode: 'unassigned',
      guest_policy_user_id: null,
      guest_policy_signup_url_template: null,
    })
  })

  it('requires a positive whole user id in guest_user mode', () => {
    expect(validateGuestPolicy(guest)).toEqual({})
    for (const bad of ['', ' ', '0', '-3', '4.5', 'abc', '1e3', '99999999999999999999']) {
      expect(validateGuestPolicy({ ...guest, userId: bad }).guest_policy_user_id, bad).toBeTruthy()
    }
    expect(validateGuestPolicy({ ...guest, userId: ' 7 ' })).toEqual({})
  })

  it('requires a template in prompt_signup mode, and nothing in unassigned mode', () => {
    expect(validateGuestPolicy({ mode: 'prompt_signup', userId: '', template: '  ' }).guest_policy_signup_url_template).toBeTruthy()
    expect(validateGuestPolicy({ mode: 'unassigned', userId: 'junk', template: '' })).toEqual({})
  })

  it('trims and cuts the template at 500 characters, counting code points like Go', () => {
    const long = 'https://app.example.com/signup?t={token}&pad=' + 'x'.repeat(600)
    expect(normalizeTemplate(`  ${long}  `)).toHaveLength(500)
    expect(normalizeTemplate(`  ${long}  `)).toBe(long.slice(0, 500))
    const emoji = '😀'.repeat(501)
    expect([...normalizeTemplate(emoji)]).toHaveLength(500)
  })

  it('warns about a template without {token}, not http(s), or too long', () => {
    expect(templateWarnings('https://app.example.com/signup?t={token}')).toEqual([])
    expect(templateWarnings('https://app.example.com/signup').join(' ')).toMatch(/\{token\}/)
    expect(templateWarnings('app.example.com/{token}').join(' ')).toMatch(/http/)
    expect(templateWarnings('https://a.example/{token}' + 'x'.repeat(600)).join(' ')).toMatch(/first 500/)
  })

  it('builds the live example link with a URL-encoded token', () => {
    const ex = exampleSignupURL('https://app.example.com/signup?invite={token}&again={token}')
    expect(ex?.linkable).toBe(true)
    const enc = encodeURIComponent(EXAMPLE_TOKEN)
    expect(ex?.url).toBe(`https://app.example.com/signup?invite=${enc}&again=${enc}`)
    expect(exampleSignupURL('https://x.example/?t={token}', 'a b/c')?.url).toBe('https://x.example/?t=a%20b%2Fc')
    expect(exampleSignupURL('   ')).toBeNull()
  })

  it('never makes a javascript: or relative template a link', () => {
    expect(exampleSignupURL('javascript:alert(1)//{token}')?.linkable).toBe(false)
    expect(exampleSignupURL('data:text/html,{token}')?.linkable).toBe(false)
    expect(exampleSignupURL('/signup/{token}')?.linkable).toBe(false)
  })

  it('explains what the server changed on save', () => {
    const long = 'https://a.example/{token}' + 'y'.repeat(575)
    const notes = storedNotes(
      { mode: 'prompt_signup', userId: '', template: ` ${long}` },
      { guest_policy_mode: 'prompt_signup', guest_policy_user_id: null, guest_policy_signup_url_template: long.slice(0, 500) },
    )
    expect(notes.join(' ')).toMatch(/600 characters long; the server kept the first 500/)
    expect(notes.join(' ')).toMatch(/Spaces/)
    expect(
      storedNotes(guest, { guest_policy_mode: 'guest_user', guest_policy_user_id: 42, guest_policy_signup_url_template: null }),
    ).toEqual([])
    expect(
      storedNotes(
        { mode: 'guest_user', userId: 'x', template: '' },
        { guest_policy_mode: 'guest_user', guest_policy_user_id: null, guest_policy_signup_url_template: null },
      ).join(' '),
    ).toMatch(/stored none/)
    expect(
      storedNotes(guest, { guest_policy_mode: 'unassigned', guest_policy_user_id: null, guest_policy_signup_url_template: null }).join(' '),
    ).toMatch(/unassigned/)
  })
})
