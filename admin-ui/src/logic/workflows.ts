// Workflow rules: the API's shapes, the editor's draft and the conversion
// between them, with the checks the server makes that the form can make
// first. Pure: no Vue, no fetch.

export const TRIGGERS = [
  ['ticket.created', 'Ticket created'],
  ['reply.created', 'Reply added'],
  ['ticket.closed', 'Ticket closed'],
  ['ticket.reopened', 'Ticket reopened'],
  ['ticket.priority_changed', 'Priority changed'],
] as const
export type Trigger = (typeof TRIGGERS)[number][0]

export const FIELDS = [
  ['channel', 'Channel'],
  ['subject', 'Subject'],
  ['description', 'Description'],
  ['priority', 'Priority'],
  ['email', 'Email'],
  ['email_domain', 'Email domain'],
  ['tags', 'Tags'],
  ['author', 'Reply author'],
] as const
export type Field = (typeof FIELDS)[number][0]

export const OPERATORS = [
  ['equals', 'is'],
  ['not_equals', 'is not'],
  ['contains', 'contains'],
  ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'],
  ['ends_with', 'ends with'],
  ['matches', 'matches (RE2)'],
  ['in', 'is one of'],
  ['is_empty', 'is empty'],
  ['is_not_empty', 'is not empty'],
] as const
export type Operator = (typeof OPERATORS)[number][0]

export const ACTIONS = [
  ['add_tag', 'Add tag'],
  ['remove_tag', 'Remove tag'],
  ['set_priority', 'Set priority'],
  ['set_department', 'Set department'],
  ['assign', 'Assign on GitHub'],
  ['send_webhook', 'Send webhook'],
  ['close', 'Close ticket'],
  ['delay', 'Wait, then'],
] as const
export type ActionType = (typeof ACTIONS)[number][0]

export const ACTION_HINTS: Record<ActionType, string> = {
  add_tag: 'a tag, e.g. billing (also a GitHub label)',
  remove_tag: 'a tag',
  set_priority: '',
  set_department: 'e.g. billing (tag and label dept:billing)',
  assign: 'GitHub logins, e.g. octocat, hubot',
  send_webhook: 'https://hooks.example.com/portico',
  close: '',
  delay: 'e.g. 30m, 2h, 7d, 4w',
}

const label = (table: readonly (readonly [string, string])[], key: string) => table.find(([k]) => k === key)?.[1] ?? key
export const triggerLabel = (t: string) => label(TRIGGERS, t)
export const fieldLabel = (f: string) => label(FIELDS, f)
export const operatorLabel = (o: string) => label(OPERATORS, o)
export const actionLabel = (a: string) => label(ACTIONS, a)

export interface Condition {
  field: Field
  operator: Operator
  value?: string | string[]
}

export interface Action {
  type: ActionType
  value?: string
}

export interface Rule {
  id: number
  name: string
  trigger: Trigger
  conditions: { all?: Condition[]; any?: Condition[] }
  actions: Action[]
  stop_processing: boolean
  enabled: boolean
  position: number
  webhook_secret: string
  version: number
  created_at: string
  updated_at: string
}

export interface Run {
  id: number
  rule_id: number | null
  rule_name: string
  ticket: string
  event: string
  status: 'running' | 'waiting' | 'done' | 'failed' | 'canceled' | string
  error: string
  step: number
  actions: Action[]
  due_at: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
}

export interface Check extends Condition {
  matched: boolean
  actual: string | string[]
}

export interface DryRunRule {
  rule_id: number
  name: string
  trigger: string
  enabled: boolean
  applies: boolean
  matched: boolean
  would_run: boolean
  stopped_by: number | null
  all: Check[]
  any: Check[]
  actions: Action[]
}

export interface DryRun {
  ticket: string
  trigger: string
  rules: DryRunRule[]
}

/** Operators that take no value. */
export const noValue = (op: string) => op === 'is_empty' || op === 'is_not_empty'
/** Action types that take no value. */
export const actionNoValue = (t: string) => t === 'close'

/** Operators offered for a field: who wrote a reply is only compared. */
export function operatorsFor(field: string): (readonly [Operator, string])[] {
  if (field === 'author') return OPERATORS.filter(([o]) => o === 'equals' || o === 'not_equals' || o === 'in')
  return [...OPERATORS]
}

/** Fields offered for a trigger: the reply's author only for replies. */
export function fieldsFor(trigger: string): (readonly [Field, string])[] {
  return FIELDS.filter(([f]) => f !== 'author' || trigger === 'reply.created')
}

export interface ConditionDraft {
  field: Field
  operator: Operator
  /** The value as typed; for "is one of", values separated by commas. */
  value: string
}

export interface ActionDraft {
  type: ActionType
  value: string
}

export interface Draft {
  name: string
  trigger: Trigger
  all: ConditionDraft[]
  any: ConditionDraft[]
  actions: ActionDraft[]
  stop_processing: boolean
  enabled: boolean
}

export const newCondition = (): ConditionDraft => ({ field: 'subject', operator: 'contains', value: '' })
export const newAction = (): ActionDraft => ({ type: 'add_tag', value: '' })

export function emptyDraft(): Draft {
  return { name: '', trigger: 'ticket.created', all: [newCondition()], any: [], actions: [newAction()], stop_processing: false, enabled: true }
}

function conditionDraft(c: Condition): ConditionDraft {
  const v = c.value
  return { field: c.field, operator: c.operator, value: Array.isArray(v) ? v.join(', ') : (v ?? '') }
}

/** The editor's draft of a stored rule. */
export function draftOf(r: Rule): Draft {
  return {
    name: r.name,
    trigger: r.trigger,
    all: (r.conditions.all ?? []).map(conditionDraft),
    any: (r.conditions.any ?? []).map(conditionDraft),
    actions: r.actions.map((a) => ({ type: a.type, value: a.value ?? '' })),
    stop_processing: r.stop_processing,
    enabled: r.enabled,
  }
}

/** Splits "a, b ,c" into values. */
export function splitValues(s: string): string[] {
  return s
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

function conditionBody(c: ConditionDraft): Condition {
  if (noValue(c.operator)) return { field: c.field, operator: c.operator }
  if (c.operator === 'in') return { field: c.field, operator: c.operator, value: splitValues(c.value) }
  return { field: c.field, operator: c.operator, value: c.operator === 'matches' ? c.value : c.value.trim() }
}

/** What the API is sent: a group without conditions is left out. */
export function ruleBody(d: Draft): Record<string, unknown> {
  const conditions: Record<string, Condition[]> = {}
  if (d.all.length) conditions.all = d.all.map(conditionBody)
  if (d.any.length) conditions.any = d.any.map(conditionBody)
  return {
    name: d.name.trim(),
    trigger: d.trigger,
    conditions,
    actions: d.actions.map((a) => (actionNoValue(a.type) ? { type: a.type } : { type: a.type, value: a.value.trim() })),
    stop_processing: d.stop_processing,
    enabled: d.enabled,
  }
}

/**
 * The errors the form can find before sending, keyed like the server's
 * (name, conditions, conditions.all[0].value, actions[1].value, …).
 */
export function checkDraft(d: Draft): Record<string, string> {
  const errs: Record<string, string> = {}
  if (!d.name.trim()) errs.name = 'Name is required.'
  if (!d.all.length && !d.any.length) errs.conditions = 'Add at least one condition: a rule without conditions would act on every ticket.'
  for (const [group, list] of [
    ['all', d.all],
    ['any', d.any],
  ] as const) {
    list.forEach((c, i) => {
      const key = `conditions.${group}[${i}].value`
      if (noValue(c.operator)) return
      if (c.operator === 'in' ? splitValues(c.value).length === 0 : c.value.trim() === '') errs[key] = 'Enter a value.'
    })
  }
  if (!d.actions.length) errs.actions = 'Add at least one action.'
  d.actions.forEach((a, i) => {
    if (!actionNoValue(a.type) && !a.value.trim()) errs[`actions[${i}].value`] = 'Enter a value.'
  })
  const last = d.actions[d.actions.length - 1]
  if (last?.type === 'delay') errs[`actions[${d.actions.length - 1}].type`] = 'A wait must be followed by the actions it delays.'
  return errs
}

/** One line that says what a rule does, for the list. */
export function summary(r: Pick<Rule, 'conditions' | 'actions'>): string {
  const cond = (c: Condition) => {
    const v = c.value === undefined ? '' : Array.isArray(c.value) ? ` ${c.value.join(', ')}` : ` “${c.value}”`
    return `${fieldLabel(c.field).toLowerCase()} ${operatorLabel(c.operator)}${v}`
  }
  const parts: string[] = []
  if (r.conditions.all?.length) parts.push(r.conditions.all.map(cond).join(' and '))
  if (r.conditions.any?.length) parts.push((parts.length ? 'and any of: ' : 'any of: ') + r.conditions.any.map(cond).join(' or '))
  const acts = r.actions
    .map((a) => (a.type === 'delay' ? `wait ${a.value}` : `${actionLabel(a.type).toLowerCase()}${a.value ? ` ${a.value}` : ''}`))
    .join(', ')
  return `When ${parts.join(' ')}: ${acts}`
}

/** The rule ids with the one at index moved by delta (-1 up, +1 down). */
export function moved(ids: number[], index: number, delta: -1 | 1): number[] {
  const to = index + delta
  if (to < 0 || to >= ids.length) return ids
  const out = [...ids]
  const [id] = out.splice(index, 1)
  if (id !== undefined) out.splice(to, 0, id)
  return out
}
