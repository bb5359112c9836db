// The languages customers' pages and mails speak (server/i18n.Languages),
// for the portal's default_language setting.

export interface Language {
  value: string
  /** The language's own name, as a customer would look for it. */
  label: string
}

export const LANGUAGES: readonly Language[] = [
  { value: 'en', label: 'English' },
  { value: 'de', label: 'Deutsch' },
  { value: 'fr', label: 'Français' },
  { value: 'es', label: 'Español' },
  { value: 'pt', label: 'Português' },
]

/**
 * The choices of the select. A value this app does not know (a newer
 * server's language) stays selectable, shown by its code, so that saving
 * other fields never changes it.
 */
export function languageOptions(current: string): Language[] {
  if (current === '' || LANGUAGES.some((l) => l.value === current)) return [...LANGUAGES]
  return [...LANGUAGES, { value: current, label: current }]
}

/** A language's name ("de" → "Deutsch"); an unknown code as it is. */
export function languageLabel(code: string): string {
  return LANGUAGES.find((l) => l.value === code)?.label ?? code
}
