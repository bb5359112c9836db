import { describe, expect, it } from 'vitest'
import { promoteError } from '../src/logic/contact'
import { isAppURL, resolve } from '../src/logic/routes'
import {
  activeLinks,
  authorText,
  githubIssueURL,
  linkRecipients,
  linkStateText,
  originHref,
  pageCount,
  queryFromSearch,
  rangeText,
  searchFromQuery,
  type PortalLink,
} from '../src/logic/tickets'

describe('ticket list query', () => {
  it('round-trips through the URL, leaving defaults out', () => {
    expect(searchFromQuery({ q: '', status: '', page: 1 })).toBe('')
    const s = searchFromQuery({ q: ' ada@example.com ', status: 'open', page: 3 })
    expect(s).toBe('?q=ada%40example.com&status=open&page=3')
    expect(queryFromSearch(s)).toEqual({ q: 'ada@example.com', status: 'open', page: 3 })
  })

  it('ignores junk in the URL', () => {
    expect(queryFromSearch('?status=deleted&page=-2')).toEqual({ q: '', status: '', page: 1 })
    expect(queryFromSearch('?page=2.5')).toEqual({ q: '', status: '', page: 1 })
  })

  it('counts pages and says which tickets are shown', () => {
    expect(pageCount(0, 25)).toBe(1)
    expect(pageCount(25, 25)).toBe(1)
    expect(pageCount(26, 25)).toBe(2)
    expect(rangeText(2, 25, 25, 73)).toBe('Showing 26–50 of 73')
    expect(rangeText(1, 25, 0, 0)).toBe('No tickets')
  })
})

describe('ticket page', () => {
  it('links the GitHub issue only when configured', () => {
    expect(githubIssueURL('https://github.com', 'acme/help', 17)).toBe('https://github.com/acme/help/issues/17')
    expect(githubIssueURL('https://git.corp.example/', 'acme/help', 3)).toBe('https://git.corp.example/acme/help/issues/3')
    expect(githubIssueURL('', 'acme/help', 3)).toBe('https://github.com/acme/help/issues/3')
    expect(githubIssueURL('https://github.com', '', 17)).toBeNull()
    expect(githubIssueURL('https://github.com', 'acme/help', null)).toBeNull()
    expect(githubIssueURL('javascript:alert(1)', 'acme/help', 1)).toBeNull()
    expect(githubIssueURL('https://github.com', 'not a repo', 1)).toBeNull()
  })

  it('describes portal link states', () => {
    const base: PortalLink = { id: 1, email: 'a@example.com', state: 'active', expires_at: null, revoked_at: null, created_at: '2026-01-01T00:00:00Z' }
    expect(linkStateText(base)).toMatch(/^Active, no expiry/)
    expect(linkStateText({ ...base, expires_at: '2026-02-01T00:00:00Z' }, 'en-GB')).toMatch(/^Active, expires .*2026/)
    expect(linkStateText({ ...base, state: 'expired', expires_at: '2026-02-01T00:00:00Z' }, 'en-GB')).toMatch(/^Expired .*2026/)
    expect(linkStateText({ ...base, state: 'revoked', revoked_at: '2026-01-05T00:00:00Z' }, 'en-GB')).toMatch(
      /^Revoked .*2026.*; the next mail carries a new link$/,
    )
    expect(linkStateText({ ...base, state: 'stopped' })).toBe('The portal of this ticket is stopped')
    expect(activeLinks([base, { ...base, id: 2, state: 'revoked' }, { ...base, id: 3 }])).toBe(2)
    expect(activeLinks([{ ...base, state: 'stopped' }, { ...base, id: 2, state: 'expired' }])).toBe(1)
  })

  it('offers a new link to everyone on the ticket once, never to the erased', () => {
    const link = (id: number, email: string): PortalLink => ({ id, email, state: 'active', expires_at: null, revoked_at: null, created_at: '' })
    expect(
      linkRecipients({
        contact: { id: 1, email: 'ada@example.com', name: 'Ada', user_id: null },
        participants: [{ email: 'bob@example.com', name: 'Bob' }],
        portal_links: [link(1, 'ada@example.com'), link(2, 'boss@example.com'), link(3, 'erased-link-3@invalid')],
      }),
    ).toEqual(['ada@example.com', 'bob@example.com', 'boss@example.com'])
    expect(linkRecipients({ contact: { id: 2, email: 'erased-2@invalid', name: '', user_id: null }, portal_links: [] })).toEqual([])
    expect(linkRecipients({ contact: null, portal_links: [] })).toEqual([])
  })

  it('names message authors', () => {
    const m = { id: 1, direction: 'inbound', source: 'widget', author_name: 'Ada', author_email: 'ada@example.com', body: '', created_at: '' }
    expect(authorText(m)).toBe('Ada <ada@example.com>')
    expect(authorText({ ...m, author_name: '' })).toBe('ada@example.com')
    expect(authorText({ ...m, author_name: '', author_email: '', direction: 'outbound' })).toBe('Support')
  })

  it('accepts only positive whole user ids for promotion', () => {
    expect(promoteError('42')).toBe('')
    expect(promoteError(' 42 ')).toBe('')
    expect(promoteError('')).toMatch(/Enter/)
    expect(promoteError('0')).toMatch(/positive/)
    expect(promoteError('-1')).toMatch(/positive/)
    expect(promoteError('1.5')).toMatch(/positive/)
  })
})

describe('routes', () => {
  it('resolves the app’s pages', () => {
    expect(resolve('/admin').name).toBe('settings')
    expect(resolve('/admin/').name).toBe('settings')
    expect(resolve('/admin/login').name).toBe('login')
    expect(resolve('/admin/tickets').name).toBe('tickets')
    expect(resolve('/admin/tickets/TK-42')).toMatchObject({ name: 'ticket', params: { reference: 'TK-42' } })
    expect(resolve('/admin/tickets/%5BTK-042%5D').params.reference).toBe('[TK-042]')
    expect(resolve('/admin/contacts/7')).toMatchObject({ name: 'contact', params: { id: '7' } })
    expect(resolve('/admin/contacts/x').name).toBe('notfound')
    expect(resolve('/admin/nope').name).toBe('notfound')
  })

  it('follows only the app’s own URLs after sign-in', () => {
    expect(isAppURL('/admin/tickets?q=x')).toBe(true)
    expect(isAppURL('/admin')).toBe(true)
    for (const bad of ['https://evil.example/admin', '//evil.example/admin', '/administrator', '/admin/../portal/x', '/admin\\evil', '']) {
      expect(isAppURL(bad), bad).toBe(false)
    }
  })
})

describe('ticket origin', () => {
  it('links only http(s) pages', () => {
    const o = (page_url: string) => ({ page_url, page_title: 'Pricing', locale: 'en' })
    expect(originHref(o('https://shop.example/pricing?plan=pro'))).toBe('https://shop.example/pricing?plan=pro')
    expect(originHref(o('HTTP://Shop.Example/a'))).toBe('http://shop.example/a')
    expect(originHref(o('javascript:alert(1)'))).toBeNull()
    expect(originHref(o('data:text/html,x'))).toBeNull()
    expect(originHref(o('/relative'))).toBeNull()
    expect(originHref(o(''))).toBeNull()
    expect(originHref(null)).toBeNull()
    expect(originHref(undefined)).toBeNull()
  })
})
