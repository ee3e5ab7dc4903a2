import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MAX_TOOL_NAMES_PER_CHANGE, TOOL_NAME_MAX, TOOL_NAME_SEPARATOR, TOOL_PATTERN } from '../../protocols/index.ts'
import type { ToolSpec } from '../../protocols/index.ts'
import { MessageCheck } from './message-check.ts'

/**
 * Which tools one user's agent may use: what an admin granted (qualified names, or `<source>__*`
 * for all of a source's tools), less what the user turned off. A granted tool is on until its user
 * turns it off; the most precise switch wins (`clock__now` on beats `clock__*` off).
 */
export interface ToolPolicyView {
  /** What an admin granted, sorted. */
  readonly granted: readonly string[]
  /** Tools the user turned on again under a `<source>__*` they turned off (exact names), sorted. */
  readonly enabled: readonly string[]
  /** Tools and `<source>__*` the user turned off, sorted. */
  readonly disabled: readonly string[]
}

/** The policy's state is what it shows: three short sorted lists (plain data, so it moves). */
export type ToolPolicyState = ToolPolicyView

export type ToolPolicyMsg =
  | { readonly type: 'get', readonly replyTo: ReplyTo<ToolPolicyView> }
  /** An admin's (the admin API authorizes it): grants what is not granted yet. Granting
   * `<source>__*` takes the place of the source's single grants. */
  | { readonly type: 'grant', readonly tools: readonly string[], readonly replyTo: ReplyTo<ToolPolicyView> }
  /** An admin's: revokes what is granted (a tool not granted is left as it is). Revoking
   * `<source>__*` revokes the source's single grants too. */
  | { readonly type: 'revoke', readonly tools: readonly string[], readonly replyTo: ReplyTo<ToolPolicyView> }
  /** The user's own switches: `user` must be the policy's (PermissionDeniedError otherwise), and a
   * tool turned on must be granted (ToolNotGrantedError); turning off needs no grant. */
  | { readonly type: 'switch', readonly user: string, readonly enable: readonly string[], readonly disable: readonly string[], readonly replyTo: ReplyTo<ToolPolicyView> }

export type ToolPolicyEvent =
  | { readonly type: 'tools-granted', readonly tools: readonly string[], readonly ts: number }
  | { readonly type: 'tools-revoked', readonly tools: readonly string[], readonly ts: number }
  | { readonly type: 'tools-switched', readonly enable: readonly string[], readonly disable: readonly string[], readonly ts: number }

/** Each user's tool policy: `tool-policy/<user>`. */
export const TOOL_POLICY = entityTypeKey<ToolPolicyMsg>('tool-policy')

const PATTERN = new RegExp(TOOL_PATTERN)
const WILDCARD_SUFFIX = `${TOOL_NAME_SEPARATOR}*`

/** What a tool named in a grant or a switch looks like, in words. */
export const TOOL_PATTERN_RULE = '<source>__<tool> or <source>__* (a source: a-z, 0-9 and -, starting with a letter, at most 24; a tool: letters, digits, _ and -; at most 64 in all)'

/** Whether `value` names a tool as a grant or a switch does (TOOL_PATTERN, at most TOOL_NAME_MAX). */
export function isToolPattern (value: unknown): value is string {
  return typeof value === 'string' && value.length <= TOOL_NAME_MAX && PATTERN.test(value)
}

/** The source a tool pattern names (what comes before `__`). */
export function sourceOf (pattern: string): string {
  return pattern.slice(0, pattern.indexOf(TOOL_NAME_SEPARATOR))
}

/** `<source>__*` */
export function wildcardOf (source: string): string {
  return `${source}${WILDCARD_SUFFIX}`
}

export function isWildcard (pattern: string): boolean {
  return pattern.endsWith(WILDCARD_SUFFIX)
}

/** Whether a grant covers `pattern`: the name itself or its source's `*`; a `<source>__*` is
 * covered by any grant of that source (turning it on clears the user's own offs of the source). */
export function grantCovers (granted: readonly string[], pattern: string): boolean {
  const source = sourceOf(pattern)
  if (isWildcard(pattern)) return granted.some((g) => sourceOf(g) === source)
  return granted.includes(pattern) || granted.includes(wildcardOf(source))
}

/** Whether the policy lets its user's agent use `tool`: granted, and not turned off. */
export function toolPermitted (policy: ToolPolicyView, tool: Pick<ToolSpec, 'name' | 'source'>): boolean {
  const all = wildcardOf(tool.source.name)
  if (!policy.granted.includes(tool.name) && !policy.granted.includes(all)) return false
  if (policy.enabled.includes(tool.name)) return true
  return !policy.disabled.includes(tool.name) && !policy.disabled.includes(all)
}

/** Every type of ToolPolicyMsg (a type added to it and missing here does not compile). */
const TOOL_POLICY_MSG_TYPES = Object.keys({ get: true, grant: true, revoke: true, switch: true } satisfies Record<ToolPolicyMsg['type'], true>)

/** The tool policy's EntityType.check: tools are TOOL_PATTERN names, at most
 * MAX_TOOL_NAMES_PER_CHANGE in a change, none twice, and none both turned on and off. */
export function checkToolPolicyMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'tool policy message')
  switch (m.type) {
    case 'get':
      m.replyTo()
      return
    case 'grant':
    case 'revoke':
      if (toolList(m, 'tools').length === 0) m.refuse('tools', 'at least one tool')
      m.replyTo()
      return
    case 'switch': {
      m.userName('user')
      const enable = toolList(m, 'enable')
      const disable = toolList(m, 'disable')
      if (enable.length + disable.length === 0) m.refuse('enable', 'at least one tool to enable or disable')
      if (enable.some((t) => disable.includes(t))) m.refuse('enable', 'no tool that is also disabled')
      m.replyTo()
      return
    }
    default:
      m.unknownType(TOOL_POLICY_MSG_TYPES)
  }
}

function toolList (m: MessageCheck, field: string): readonly string[] {
  const value = m.raw(field)
  if (!Array.isArray(value) || value.length > MAX_TOOL_NAMES_PER_CHANGE) m.refuse(field, `an array of at most ${MAX_TOOL_NAMES_PER_CHANGE} tools`)
  const list = value as unknown[]
  if (!list.every(isToolPattern)) m.refuse(field, `tools named ${TOOL_PATTERN_RULE}`)
  if (new Set(list).size !== list.length) m.refuse(field, 'each tool once')
  return list as string[]
}
