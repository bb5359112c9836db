// Contact export and erasure, and the retention purge setting.
import { formatDate } from './tickets'
import { count, trimSpace } from './text'

/** What POST /support/admin/contacts/:id/erase answers. */
export interface Erasure {
  contact: { id: number; email: string; name: string; user_id: number | null }
  erased_at: string
  erased_by: string
  already_erased: boolean
  tickets_erased: number
  messages_erased: number
  attachments_deleted: number
  portal_links_revoked: number
}

/** GET|PUT /support/admin/settings/privacy. */
export interface PrivacySettings {
  purge_closed_after: string | null
}

const PSEUDONYM = /^erased-\d+@invalid$/

/** Whether a contact's address is the pseudonym erasure leaves. */
export function isErased(email: string): boolean {
  return PSEUDONYM.test(email)
}

/** The typed confirmation matches the contact's address (case and spaces aside). */
export function eraseConfirmed(typed: string, email: string): boolean {
  return email !== '' && trimSpace(typed).toLowerCase() === email.toLowerCase()
}

/** The name of the downloaded export. */
export function exportFilename(contactID: number): string {
  return `portico-contact-${contactID}.json`
}

/** The line shown after an erasure. */
export function erasureText(e: Erasure, locale?: string): string {
  const when = formatDate(e.erased_at, locale)
  const who = e.erased_by === 'api token' ? 'the API token' : e.erased_by || 'someone'
  if (e.already_erased) return `Already erased on ${when} by ${who}; nothing changed.`
  return (
    `Erased: ${count(e.tickets_erased, 'ticket')}, ${count(e.messages_erased, 'message')}, ` +
    `${count(e.attachments_deleted, 'attachment')} and ${count(e.portal_links_revoked, 'portal link')}.`
  )
}

