// Ticket list and ticket page helpers.
import type { Rating } from './ratings'

export interface TicketSummary {
  id: number
  reference: string
  subject: string
  status: string
  priority: string
  channel: string
  contact_id: number | null
  requester_id: number
  closed_at: string | null
  github_issue_number: number | null
  created_at: string
  updated_at: string
}

export interface TicketList {
  tickets: TicketSummary[]
  total: number
  page: number
  page_size: number
}

export interface Contact {
  id: number
  email: string
  name: string
  user_id: number | null
}

export interface Message {
  id: number
  direction: 'inbound' | 'outbound' | string
  source: string
  author_name: string
  author_email: string
  body: string
  created_at: string
}

export interface PortalLink {
  id: number
  email: string
  state: 'active' | 'expired' | 'revoked' | 'stopped' | string
  expires_at: string | null
  revoked_at: string | null
  created_at: string
}

export interface TicketDetail {
  id: number
  reference: string
  subject: string
  status: string
  priority: string
  channel: string
  requester_id: number
  closed_at: string | null
  github_issue_number: number | null
  created_at: string
  contact: Contact | null
  messages: Message[]
  portal_links: PortalLink[]
  /** Workflow tags (older servers send none). */
  tags?: string[]
  /** Set while the portal of this ticket is stopped (older servers send none). */
  portal_stopped_at?: string | null
  /** People besides the requester on the customer's mails (older servers send none). */
  participants?: { email: string; name: string }[]
  /** Customers' answers to "How did we do?" (older servers send none). */
  ratings?: Rating[]
  /** Where a widget ticket was filed from; null when unknown (older servers send none). */
  origin?: TicketOrigin | null
}

/** Where a widget ticket was filed from: the page and the browser's language ('' when unknown). */
export interface TicketOrigin {
  page_url: string
  page_title: string
  locale: string
}

/** The origin's page as a link target: an http(s) URL only, never javascript: or the like. */
export function originHref(o: TicketOrigin | null | undefined): string | null {
  if (!o?.page_url) return null
  try {
    const u = new URL(o.page_url)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null
  } catch {
    return null
  }
}

export interface ListQuery {
  q: string
  status: '' | 'open' | 'closed'
  page: number
}

/** Reads the list's state from the page URL's query (so reload and back work). */
export function queryFromSearch(search: string): ListQuery {
  const p = new URLSearchParams(search)
  const status = p.get('status') ?? ''
  const page = Number(p.get('page') ?? '1')
  return {
    q: p.get('q') ?? '',
    status: status === 'open' || status === 'closed' ? status : '',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  }
}

/** The query string for both the page URL and the API ("" when default). */
export function searchFromQuery(q: ListQuery): string {
  const p = new URLSearchParams()
  if (q.q.trim() !== '') p.set('q', q.q.trim())
  if (q.status) p.set('status', q.status)
  if (q.page > 1) p.set('page', String(q.page))
  const s = p.toString()
  return s ? `?${s}` : ''
}

export function pageCount(total: number, pageSize: number): number {
  if (pageSize <= 0) return 1
  return Math.max(1, Math.ceil(total / pageSize))
}

/** "Showing 26–50 of 73". */
export function rangeText(page: number, pageSize: number, shown: number, total: number): string {
  if (total === 0 || shown === 0) return 'No tickets'
  const from = (page - 1) * pageSize + 1
  return `Showing ${from}–${from + shown - 1} of ${total}`
}

/** The web address of a ticket's GitHub issue, or null when not linked. */
export function githubIssueURL(webURL: string, repository: string, issue: number | null): string | null {
  if (!repository || !issue || !/^[\w.-]+\/[\w.-]+$/.test(repository)) return null
  const base = (webURL || 'https://github.com').replace(/\/+$/, '')
  if (!/^https?:\/\//.test(base)) return null
  return `${base}/${repository}/issues/${issue}`
}

export function formatDate(iso: string | null | undefined, locale?: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' })
}

/** "Active, no expiry yet", "Active, expires …", "Expired …", "Revoked …", "Stopped …". */
export function linkStateText(l: PortalLink, locale?: string): string {
  switch (l.state) {
    case 'active':
      return l.expires_at ? `Active, expires ${formatDate(l.expires_at, locale)}` : 'Active, no expiry while the ticket is open'
    case 'expired':
      return l.expires_at ? `Expired ${formatDate(l.expires_at, locale)}` : 'Expired'
    case 'revoked':
      return l.revoked_at
        ? `Revoked ${formatDate(l.revoked_at, locale)}; the next mail carries a new link`
        : 'Revoked; the next mail carries a new link'
    case 'stopped':
      return 'The portal of this ticket is stopped'
    default:
      return l.state
  }
}

/** The links a revoke would end: those not revoked or expired (a stopped portal's too). */
export function activeLinks(links: PortalLink[]): number {
  return links.filter((l) => l.state === 'active' || l.state === 'stopped').length
}

/**
 * Who may be mailed a new portal link: the requester, the participants and
 * everyone a mail about the ticket went to, each once, in that order. Erased
 * people (addresses under .invalid) never get one.
 */
export function linkRecipients(t: Pick<TicketDetail, 'contact' | 'participants' | 'portal_links'>): string[] {
  const all = [t.contact?.email ?? '', ...(t.participants ?? []).map((p) => p.email), ...t.portal_links.map((l) => l.email)]
  const out: string[] = []
  for (const e of all) {
    if (e && !e.endsWith('.invalid') && !e.endsWith('@invalid') && !out.includes(e)) out.push(e)
  }
  return out
}

/** Who wrote a message, for the timeline. */
export function authorText(m: Message): string {
  if (m.author_name && m.author_email) return `${m.author_name} <${m.author_email}>`
  return m.author_name || m.author_email || (m.direction === 'outbound' ? 'Support' : 'Customer')
}

export const SOURCE_LABEL: Record<string, string> = {
  widget: 'widget',
  email: 'email',
  portal: 'portal',
  github: 'GitHub',
}
