// Text helpers that count like the Go server does: in Unicode code points
// (Go's utf8.RuneCountInString), not in UTF-16 units like String.length.

/** Number of code points in s. */
export function runes(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

/** The first max code points of s. */
export function cutRunes(s: string, max: number): string {
  if (s.length <= max) return s
  let out = ''
  let n = 0
  for (const ch of s) {
    if (n === max) return out
    out += ch
    n++
  }
  return out
}

// Go's unicode.IsSpace: JS's \s without U+FEFF, plus U+0085.
const goSpace = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const trimRE = new RegExp(`^${goSpace}+|${goSpace}+$`, 'g')

/** Go's strings.TrimSpace. */
export function trimSpace(s: string): string {
  return s.replace(trimRE, '')
}

/** Whether s is a positive decimal integer that survives a JSON round trip. */
export function isPositiveInt(s: string): boolean {
  if (!/^[0-9]+$/.test(s)) return false
  const n = Number(s)
  return n >= 1 && Number.isSafeInteger(n)
}

/** "1 ticket", "3 tickets": n with the noun in the number it needs. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
