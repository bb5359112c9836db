import { describe, expect, it } from 'vitest'
import { eraseConfirmed, erasureText, exportFilename, isErased, type Erasure } from '../src/logic/privacy'

const erasure: Erasure = {
  contact: { id: 7, email: 'erased-7@invalid', name: '', user_id: null },
  erased_at: '2026-11-25T10:00:00Z',
  erased_by: 'admin@example.com',
  already_erased: false,
  tickets_erased: 2,
  messages_erased: 1,
  attachments_deleted: 0,
  portal_links_revoked: 1,
}

describe('contact erasure', () => {
  it('knows the pseudonym', () => {
    expect(isErased('erased-7@invalid')).toBe(true)
    expect(isErased('erased-x@invalid')).toBe(false)
    expect(isErased('ada@example.com')).toBe(false)
    expect(isErased('erased-7@invalid.example')).toBe(false)
  })

  it('wants the address typed out', () => {
    expect(eraseConfirmed(' Ada@Example.com ', 'ada@example.com')).toBe(true)
    expect(eraseConfirmed('ada@example', 'ada@example.com')).toBe(false)
    expect(eraseConfirmed('', '')).toBe(false)
  })

  it('says what was erased', () => {
    expect(erasureText(erasure, 'en-GB')).toBe('Erased: 2 tickets, 1 message, 0 attachments and 1 portal link.')
    expect(erasureText({ ...erasure, already_erased: true, erased_by: 'api token' }, 'en-GB')).toMatch(
      /^Already erased on .+ by the API token; nothing changed\.$/,
    )
  })

  it('names the export file', () => {
    expect(exportFilename(7)).toBe('portico-contact-7.json')
  })
})
