// The "promote to user" form.
import { isPositiveInt, trimSpace } from './text'

/** '' when the user id can be sent, else the message next to the field. */
export function promoteError(userId: string): string {
  const s = trimSpace(userId)
  if (s === '') return 'Enter the id of the user in your app.'
  if (!isPositiveInt(s)) return 'Must be a positive whole number, like 42.'
  return ''
}
