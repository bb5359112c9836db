import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import GitHubDeskFields from '../src/components/GitHubDeskFields.vue'
import {
  backfillDeskText,
  backfillResultText,
  backfillStatusText,
  canBackfill,
  deskNotes,
  deskPayload,
  deskText,
  formFromDesk,
  validateDesk,
  type BackfillResult,
  type DeskMode,
} from '../src/logic/github'

const result: BackfillResult = { dry_run: false, queued: 2, comments: 3, tickets: [], in_progress: 0, erased: 0, left: 0 }

describe('GitHub backfill', () => {
  it('says what is missing', () => {
    expect(backfillStatusText({ enabled: true, missing: 0, in_progress: 0, erased: 0 })).toBe('Every ticket has its GitHub issue.')
    expect(backfillStatusText({ enabled: true, missing: 1, in_progress: 2, erased: 1 })).toBe(
      '1 ticket has no GitHub issue. 2 tickets are getting one now. 1 erased ticket will never get one.',
    )
    expect(backfillStatusText({ enabled: true, missing: 0, in_progress: 1, erased: 0 })).toBe('1 ticket is getting one now.')
    expect(backfillStatusText({ enabled: false, missing: 3, in_progress: 0, erased: 0 })).toBe(
      '3 tickets have no GitHub issue; they get one once the sync is on and you backfill.',
    )
  })

  it('offers the button only when it can act', () => {
    expect(canBackfill(null)).toBe(false)
    expect(canBackfill({ enabled: false, missing: 3, in_progress: 0, erased: 0 })).toBe(false)
    expect(canBackfill({ enabled: true, missing: 0, in_progress: 1, erased: 0 })).toBe(false)
    expect(canBackfill({ enabled: true, missing: 1, in_progress: 0, erased: 0 })).toBe(true)
  })

  it('waits while new tickets go to Discussions, and says why', () => {
    const missing = { enabled: true, missing: 1, in_progress: 0, erased: 0 }
    expect(canBackfill(missing, 'discussions')).toBe(false)
    expect(canBackfill(missing, 'issues')).toBe(true)
    expect(canBackfill(missing, '')).toBe(true) // not known yet: the server decides
    expect(backfillDeskText('discussions')).toBe(
      'The backfill opens issues, so it waits while new tickets go to Discussions: choose Issues above to run it.',
    )
    expect(backfillDeskText('issues')).toBe('')
  })

  it('says what was queued', () => {
    expect(backfillResultText(result)).toBe('Queued 2 tickets with 3 comments: their issues open in the background.')
    expect(backfillResultText({ ...result, queued: 1, comments: 1, left: 4 })).toBe(
      'Queued 1 ticket with 1 comment: their issues open in the background. 4 tickets left for another run.',
    )
    expect(backfillResultText({ ...result, queued: 0, comments: 0 })).toBe('Nothing to do: no ticket is missing its issue.')
  })
})

describe('GitHub desk', () => {
  it('reads the setting into the form', () => {
    expect(formFromDesk({ desk: 'issues', discussion_category: null })).toEqual({ desk: 'issues', category: '' })
    expect(formFromDesk({ desk: 'discussions', discussion_category: 'Support' })).toEqual({ desk: 'discussions', category: 'Support' })
    // The category kept while the desk is issues comes back with a switch.
    expect(formFromDesk({ desk: 'issues', discussion_category: 'Support' })).toEqual({ desk: 'issues', category: 'Support' })
    expect(formFromDesk({ desk: 'wiki', discussion_category: null }).desk).toBe('issues')
  })

  it('sends the category only with discussions, so that issues keep it', () => {
    expect(deskPayload({ desk: 'issues', category: 'Support' })).toEqual({ desk: 'issues' })
    expect(deskPayload({ desk: 'discussions', category: '  Q&A \n' })).toEqual({ desk: 'discussions', discussion_category: 'Q&A' })
  })

  it('checks the category like the server before asking GitHub', () => {
    expect(validateDesk({ desk: 'issues', category: '' })).toEqual({})
    expect(validateDesk({ desk: 'discussions', category: ' ' })).toEqual({
      discussion_category: 'Enter the name or slug of a discussion category, like Support.',
    })
    expect(validateDesk({ desk: 'discussions', category: 'é'.repeat(100) })).toEqual({})
    expect(validateDesk({ desk: 'discussions', category: 'é'.repeat(101) })).toEqual({
      discussion_category: 'Must be at most 100 characters.',
    })
    expect(validateDesk({ desk: 'discussions', category: 'Sup\nport' })).toEqual({
      discussion_category: 'Must be one line without control characters.',
    })
    expect(validateDesk({ desk: 'discussions', category: 'Support' })).toEqual({})
  })

  it("notes GitHub's spelling of the category", () => {
    expect(deskNotes({ desk: 'discussions', category: 'support ' }, { desk: 'discussions', discussion_category: 'Support' })).toEqual([
      'Category stored as “Support”, its name on GitHub.',
    ])
    expect(deskNotes({ desk: 'discussions', category: 'Support' }, { desk: 'discussions', discussion_category: 'Support' })).toEqual([])
    expect(deskNotes({ desk: 'issues', category: 'x' }, { desk: 'issues', discussion_category: 'Support' })).toEqual([])
  })

  it('says where new tickets go', () => {
    expect(deskText({ desk: 'issues', discussion_category: 'Support' }, 'acme/help')).toBe('New tickets open an issue on acme/help.')
    expect(deskText({ desk: 'discussions', discussion_category: 'Support' }, 'acme/help')).toBe(
      'New tickets start a discussion in “Support” on acme/help.',
    )
    expect(deskText({ desk: 'issues', discussion_category: null }, '')).toBe(
      'New tickets would open an issue, but the GitHub sync is off (PORTICO_GITHUB_REPOSITORY is not set).',
    )
  })
})

describe('GitHubDeskFields', () => {
  const render = (desk: DeskMode, category: string, errors: Record<string, string> = {}) =>
    renderToString(createSSRApp(GitHubDeskFields, { desk, category, errors }))

  it('asks for no category while the desk is issues', async () => {
    const html = await render('issues', 'Support')
    expect(html).toContain('<legend>New tickets go to</legend>')
    expect(html).toMatch(/<input checked type="radio" name="desk" value="issues"/)
    expect(html).toMatch(/<input type="radio" name="desk" value="discussions"/)
    expect(html).toContain('<label class="checked radio-card"><input checked type="radio" name="desk" value="issues"')
    expect(html).not.toContain('Discussion category')
  })

  it('asks for the category with discussions', async () => {
    const html = await render('discussions', 'Support')
    expect(html).toMatch(/<input checked type="radio" name="desk" value="discussions"/)
    expect(html).toContain('<label for="github-category">Discussion category</label>')
    expect(html).toMatch(/<input id="github-category" value="Support" name="discussion_category"[^>]*aria-describedby="github-category-help"/)
    expect(html).not.toContain('aria-invalid')
  })

  it("shows the server's errors next to their fields", async () => {
    const html = await render('discussions', 'Nope', {
      desk: 'discussions need the GitHub sync: set PORTICO_GITHUB_REPOSITORY',
      discussion_category: 'no category "Nope"; the repository has: General, Q&A',
    })
    expect(html).toMatch(/<fieldset class="radio-cards two" aria-invalid="true" aria-describedby="github-desk-error">/)
    expect(html).toContain('<p id="github-desk-error" class="field-error" role="alert">discussions need the GitHub sync')
    expect(html).toMatch(/id="github-category"[^>]*aria-invalid="true" aria-describedby="github-category-help github-category-error"/)
    expect(html).toContain('<p id="github-category-error" class="field-error" role="alert">no category &quot;Nope&quot;; the repository has: General, Q&amp;A</p>')
  })
})
