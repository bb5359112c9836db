// Periods such as 30d are the server's to read: the page asks
// GET /support/admin/settings/period?value=… (the rule lives once, in
// server/validate) and shows its answer. Nothing here parses a period.
import { ref, watch, type Ref } from 'vue'
import { ApiError, get } from '../api'

/** The server's reading of a period. */
export interface Period {
  /** Canonical form, as a PUT would store it ("14d" → "2w"). */
  value: string
  /** In words: "2 weeks". */
  description: string
  seconds: number
}

export const PERIOD_ENDPOINT = '/support/admin/settings/period'

/** The URL that asks the server about one typed period. */
export function periodURL(input: string): string {
  return `${PERIOD_ENDPOINT}?value=${encodeURIComponent(input)}`
}

/** Asks the server; error is the message a PUT would give ('' when valid). */
export async function checkPeriod(input: string): Promise<{ period: Period | null; error: string }> {
  try {
    return { period: await get<Period>(periodURL(input)), error: '' }
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) return { period: null, error: e.fields.value ?? e.message }
    throw e
  }
}

/**
 * Follows a period field: `description` is the server's reading of what is
 * typed (after a short pause), `error` its complaint. `check()` asks at once
 * and resolves to the error, for a save that must not send a bad value.
 */
export function usePeriod(source: Ref<string>, delayMs = 200) {
  const description = ref('')
  const error = ref('')
  let timer: ReturnType<typeof setTimeout> | undefined
  let asked = 0

  async function check(): Promise<string> {
    clearTimeout(timer)
    const n = ++asked
    const typed = source.value
    try {
      const r = await checkPeriod(typed)
      if (n === asked) {
        description.value = r.period?.description ?? ''
        error.value = r.error
      }
      return r.error
    } catch {
      // The server cannot be reached: say nothing of the value; the save
      // itself will report the connection.
      if (n === asked) {
        description.value = ''
        error.value = ''
      }
      return ''
    }
  }

  watch(source, () => {
    clearTimeout(timer)
    timer = setTimeout(() => void check(), delayMs)
  }, { immediate: true })

  return { description, error, check }
}
