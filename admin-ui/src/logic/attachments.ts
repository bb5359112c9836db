// What customers may attach in the widget, the hosted form and the portal:
// GET|PUT /support/admin/settings/attachments (server/settings/attachments.go).
import type { FieldErrors } from './guestPolicy'

export const ATTACHMENTS = '/support/admin/settings/attachments'

/** GET|PUT /support/admin/settings/attachments. */
export interface AttachmentSettings {
  /** The sniffed types allowed; [] switches uploads off. */
  allowed_types: string[]
  /** Every type that may be allowed (server/settings.AttachmentTypes). */
  choices: string[]
}

/** The fixed upload limits of server/attachments (MaxFiles, MaxFileSize, MaxTotal). */
export const MAX_FILES = 5
export const MAX_FILE_MB = 10
export const MAX_TOTAL_MB = 25

/** server/settings.DefaultAttachments: offered when uploads are switched back on. */
export const DEFAULT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain', 'application/zip']

const NAMES: Record<string, string> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
  'image/bmp': 'BMP',
  'image/x-icon': 'Icon (ICO)',
  'application/pdf': 'PDF',
  'text/plain': 'Plain text',
  'application/zip': 'ZIP',
  'application/x-gzip': 'gzip',
  'application/x-rar-compressed': 'RAR',
  'audio/mpeg': 'MP3',
  'audio/wave': 'WAV',
  'audio/aiff': 'AIFF',
  'audio/midi': 'MIDI',
  'application/ogg': 'Ogg',
  'video/mp4': 'MP4',
  'video/webm': 'WebM',
  'video/avi': 'AVI',
}

/** What an admin reads next to a type: "PNG" for image/png; a type this app does not know as it is. */
export function typeName(type: string): string {
  return NAMES[type] ?? type
}

/** What is worth knowing about a type: Office documents sniff as ZIP. */
export function typeNote(type: string): string {
  return type === 'application/zip' ? 'also Word, Excel and PowerPoint files' : ''
}

export interface TypeGroup {
  name: string
  types: string[]
}

const GROUPS: [string, (t: string) => boolean][] = [
  ['Pictures', (t) => t.startsWith('image/')],
  ['Documents', (t) => t === 'application/pdf' || t.startsWith('text/')],
  ['Archives', (t) => ['application/zip', 'application/x-gzip', 'application/x-rar-compressed'].includes(t)],
  ['Audio', (t) => t.startsWith('audio/') || t === 'application/ogg'],
  ['Video', (t) => t.startsWith('video/')],
]

/** The server's choices by kind, in its order within each; empty kinds left out. */
export function groupTypes(choices: string[]): TypeGroup[] {
  const groups = GROUPS.map(([name]) => ({ name, types: [] as string[] }))
  const other: TypeGroup = { name: 'Other', types: [] }
  for (const t of choices) {
    const i = GROUPS.findIndex(([, has]) => has(t))
    ;(i < 0 ? other : groups[i]!).types.push(t)
  }
  return [...groups, other].filter((g) => g.types.length > 0)
}

/** The form: uploads on or off, and the types ticked (kept while off). */
export interface AttachmentsForm {
  enabled: boolean
  types: string[]
}

export function formFromSettings(s: AttachmentSettings): AttachmentsForm {
  return { enabled: s.allowed_types.length > 0, types: [...s.allowed_types] }
}

/** Switching uploads on with nothing ticked ticks the defaults the server can take. */
export function switchUploads(f: AttachmentsForm, enabled: boolean, choices: string[]): AttachmentsForm {
  if (!enabled || f.types.length > 0) return { ...f, enabled }
  return { enabled, types: DEFAULT_TYPES.filter((t) => choices.includes(t)) }
}

/** The body of the PUT: the ticked types in the server's order, or [] for off. */
export function payloadFromForm(f: AttachmentsForm, choices: string[]): { allowed_types: string[] } {
  if (!f.enabled) return { allowed_types: [] }
  const known = choices.filter((t) => f.types.includes(t))
  // A ticked type missing from the choices is sent too: the server says why not.
  return { allowed_types: [...known, ...f.types.filter((t) => !choices.includes(t))] }
}

/** Errors to fix before saving; the server's 422 uses the same field. */
export function validateAttachments(f: AttachmentsForm): FieldErrors {
  if (f.enabled && f.types.length === 0) return { allowed_types: 'Tick at least one type, or switch attachments off.' }
  return {}
}

/** One line on what customers may attach now. */
export function allowedText(allowed: string[]): string {
  if (allowed.length === 0) return 'Customers cannot attach files.'
  return `Customers can attach: ${allowed.map(typeName).join(', ')}.`
}
