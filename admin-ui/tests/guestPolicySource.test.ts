import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import GuestPolicySource from '../src/components/GuestPolicySource.vue'
import {
  canReset,
  describePolicy,
  formFromPolicy,
  sourceText,
  type GuestPolicy,
  type GuestPolicyState,
} from '../src/logic/guestPolicy'

const startup: GuestPolicy = { guest_policy_mode: 'guest_user', guest_policy_user_id: 77, guest_policy_signup_url_template: null }
const signup: GuestPolicy = {
  guest_policy_mode: 'prompt_signup',
  guest_policy_user_id: null,
  guest_policy_signup_url_template: 'https://app.example.com/join?t={token}',
}
const byDefault: GuestPolicyState = { ...startup, source: 'default', default: startup }
const saved: GuestPolicyState = { ...signup, source: 'saved', default: startup }

const render = (state: GuestPolicyState, busy = false) => renderToString(createSSRApp(GuestPolicySource, { state, busy }))

describe('guest policy source', () => {
  it('says which policy is in force', () => {
    expect(sourceText('default')).toBe('In force: start-up default (from PORTICO_GUEST_POLICY_*)')
    expect(sourceText('saved')).toBe('In force: saved here')
  })

  it('describes a policy in a few words', () => {
    expect(describePolicy(startup)).toBe('File under one user (id 77)')
    expect(describePolicy(signup)).toBe('Invite to sign up (https://app.example.com/join?t={token})')
    expect(describePolicy({ guest_policy_mode: 'unassigned', guest_policy_user_id: null, guest_policy_signup_url_template: null })).toBe(
      'Unassigned',
    )
    expect(describePolicy({ ...startup, guest_policy_user_id: null })).toBe('File under one user (no user id)')
  })

  it('offers the reset only while a saved policy is in force', () => {
    expect(canReset(saved)).toBe(true)
    expect(canReset(byDefault)).toBe(false)
  })

  it('the form shows the policy in force, not the default', () => {
    expect(formFromPolicy(saved)).toEqual({ mode: 'prompt_signup', userId: '', template: 'https://app.example.com/join?t={token}' })
    expect(formFromPolicy(byDefault)).toEqual({ mode: 'guest_user', userId: '77', template: '' })
  })
})

describe('GuestPolicySource on the settings page', () => {
  it('shows the start-up default in force, without a reset button', async () => {
    const html = await render(byDefault)
    expect(html).toContain('data-source="default"')
    expect(html).toContain('In force: start-up default (from PORTICO_GUEST_POLICY_*)')
    expect(html).toContain('Start-up default: File under one user (id 77)')
    expect(html).not.toContain('Reset to start-up default')
  })

  it('shows a saved policy with the default it would reset to, and the reset button', async () => {
    const html = await render(saved)
    expect(html).toContain('data-source="saved"')
    expect(html).toContain('In force: saved here')
    expect(html).toContain('Start-up default: File under one user (id 77)')
    expect(html).toMatch(/<button type="button" class="secondary small"[^>]*>\s*Reset to start-up default\s*<\/button>/)
    expect(html).not.toMatch(/<button[^>]*disabled[^>]*>\s*Reset/)
  })

  it('disables the reset while a request is under way', async () => {
    expect(await render(saved, true)).toMatch(/<button[^>]*disabled[^>]*>\s*Reset to start-up default/)
  })

  it('escapes what the server sent', async () => {
    const html = await render({ ...saved, default: { ...signup, guest_policy_signup_url_template: '<img src=x onerror=alert(1)>' } })
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;img')
  })
})
