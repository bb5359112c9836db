import { describe, expect, it } from 'vitest'
import {
  checkDraft,
  draftOf,
  emptyDraft,
  fieldsFor,
  moved,
  operatorsFor,
  ruleBody,
  splitValues,
  summary,
  type Rule,
} from '../src/logic/workflows'

const stored: Rule = {
  id: 3,
  name: 'Billing',
  trigger: 'ticket.created',
  conditions: {
    all: [{ field: 'email_domain', operator: 'in', value: ['a.com', 'b.com'] }],
    any: [
      { field: 'tags', operator: 'is_empty' },
      { field: 'subject', operator: 'matches', value: '(?i)invoice ' },
    ],
  },
  actions: [
    { type: 'add_tag', value: 'billing' },
    { type: 'delay', value: '7d' },
    { type: 'close' },
  ],
  stop_processing: true,
  enabled: false,
  position: 1,
  webhook_secret: 's',
  version: 2,
  created_at: '',
  updated_at: '',
}

describe('workflow rules in the editor', () => {
  it('round-trips a stored rule through the draft', () => {
    const d = draftOf(stored)
    expect(d.all[0]!.value).toBe('a.com, b.com')
    expect(d.any[0]!.value).toBe('')
    expect(ruleBody(d)).toEqual({
      name: 'Billing',
      trigger: 'ticket.created',
      conditions: stored.conditions,
      actions: stored.actions,
      stop_processing: true,
      enabled: false,
    })
  })

  it('leaves empty groups out and trims values, but not patterns', () => {
    const d = emptyDraft()
    d.name = '  Outage '
    d.all[0]!.value = '  outage '
    d.any = []
    d.actions = [{ type: 'set_priority', value: 'urgent' }]
    expect(ruleBody(d)).toEqual({
      name: 'Outage',
      trigger: 'ticket.created',
      conditions: { all: [{ field: 'subject', operator: 'contains', value: 'outage' }] },
      actions: [{ type: 'set_priority', value: 'urgent' }],
      stop_processing: false,
      enabled: true,
    })
  })

  it('finds what the server would refuse', () => {
    const d = emptyDraft()
    d.all = []
    d.actions = [
      { type: 'add_tag', value: ' ' },
      { type: 'delay', value: '1d' },
    ]
    expect(checkDraft(d)).toEqual({
      name: 'Name is required.',
      conditions: 'Add at least one condition: a rule without conditions would act on every ticket.',
      'actions[0].value': 'Enter a value.',
      'actions[1].type': 'A wait must be followed by the actions it delays.',
    })
    d.name = 'x'
    d.any = [{ field: 'email_domain', operator: 'in', value: ' , ' }, { field: 'tags', operator: 'is_empty', value: '' }]
    d.actions = [{ type: 'close', value: '' }]
    expect(checkDraft(d)).toEqual({ 'conditions.any[0].value': 'Enter a value.' })
  })

  it('offers the author only for replies, and only comparisons on it', () => {
    expect(fieldsFor('ticket.created').map(([f]) => f)).not.toContain('author')
    expect(fieldsFor('reply.created').map(([f]) => f)).toContain('author')
    expect(operatorsFor('author').map(([o]) => o)).toEqual(['equals', 'not_equals', 'in'])
    expect(operatorsFor('subject')).toHaveLength(10)
  })

  it('moves rules and splits lists', () => {
    expect(moved([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(moved([1, 2, 3], 0, -1)).toEqual([1, 2, 3])
    expect(moved([1, 2, 3], 2, -1)).toEqual([1, 3, 2])
    expect(splitValues(' a ,, b,')).toEqual(['a', 'b'])
  })

  it('summarizes a rule in one line', () => {
    expect(summary(stored)).toBe(
      'When email domain is one of a.com, b.com and any of: tags is empty or subject matches (RE2) “(?i)invoice ”: add tag billing, wait 7d, close ticket',
    )
  })
})
