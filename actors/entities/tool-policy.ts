import { assertNever } from '../../protocols/index.ts'
import type { EntityContext, EntityType } from '../kernel/index.ts'
import { MAX_TOOL_GRANTS, MAX_TOOL_SWITCHES } from './constants.ts'
import { PermissionDeniedError, ToolGrantedBySourceError, ToolNotGrantedError, ToolPolicyFullError } from './errors.ts'
import { TOOL_POLICY, checkToolPolicyMsg, grantCovers, isWildcard, sourceOf, wildcardOf } from './tool-policy-protocol.ts'
import type { ToolPolicyEvent, ToolPolicyMsg, ToolPolicyState } from './tool-policy-protocol.ts'

type PolicyContext = EntityContext<ToolPolicyMsg, ToolPolicyState, ToolPolicyEvent>

/**
 * One user's tool policy: `tool-policy/<user>`, a small entity of its own (not the user directory,
 * which every login reads and whose change feed every node follows; not the agent, which calls
 * tools while it answers and would have to ask itself). An admin grants and revokes; the user
 * switches granted tools on and off. Every change is journaled, and a change that changes nothing
 * journals nothing (a retried grant is safe). It lives with the chat role, beside the accounts.
 */
export const toolPolicy: EntityType<ToolPolicyMsg, ToolPolicyState, ToolPolicyEvent> = {
  type: TOOL_POLICY.type,
  role: 'chat',
  check: checkToolPolicyMsg,
  initialState: () => ({ granted: [], enabled: [], disabled: [] }),
  applyEvent: applyPolicyEvent,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'get':
        ctx.reply(msg.replyTo, ctx.state)
        return
      case 'grant':
        await change(ctx, msg.replyTo, { type: 'tools-granted', tools: checkGrant(ctx.state, msg.tools), ts: Date.now() })
        return
      case 'revoke':
        await change(ctx, msg.replyTo, { type: 'tools-revoked', tools: checkRevoke(ctx.state, msg.tools), ts: Date.now() })
        return
      case 'switch':
        if (msg.user !== ctx.key) throw new PermissionDeniedError(`only ${ctx.key} may switch ${ctx.key}'s tools`)
        await change(ctx, msg.replyTo, { type: 'tools-switched', ...checkSwitch(ctx.state, msg.enable, msg.disable), ts: Date.now() })
        return
      default:
        assertNever(msg, 'tool policy message')
    }
  }
}

/** Journals `event` unless it changes nothing, then answers with the policy. */
async function change (ctx: PolicyContext, replyTo: Extract<ToolPolicyMsg, { type: 'get' }>['replyTo'], event: ToolPolicyEvent): Promise<void> {
  const next = applyPolicyEvent(ctx.state, event)
  if (!samePolicy(next, ctx.state)) await ctx.persist(event)
  ctx.reply(replyTo, ctx.state)
}

/** The policy after `event` (recovery replays the same). */
export function applyPolicyEvent (state: ToolPolicyState, event: ToolPolicyEvent): ToolPolicyState {
  switch (event.type) {
    case 'tools-granted': {
      let granted = [...state.granted]
      for (const tool of event.tools) {
        if (isWildcard(tool)) granted = granted.filter((g) => sourceOf(g) !== sourceOf(tool))
        else if (granted.includes(wildcardOf(sourceOf(tool)))) continue
        if (!granted.includes(tool)) granted.push(tool)
      }
      return { ...state, granted: granted.sort() }
    }
    case 'tools-revoked': {
      const gone = (g: string): boolean => event.tools.some((t) => t === g || (isWildcard(t) && sourceOf(t) === sourceOf(g)))
      return { ...state, granted: state.granted.filter((g) => !gone(g)) }
    }
    case 'tools-switched': {
      let enabled = [...state.enabled]
      let disabled = [...state.disabled]
      for (const tool of event.disable) {
        const source = sourceOf(tool)
        // off for a whole source: the source's own switches are folded into it
        if (isWildcard(tool)) {
          enabled = enabled.filter((t) => sourceOf(t) !== source)
          disabled = disabled.filter((t) => sourceOf(t) !== source)
        } else {
          enabled = enabled.filter((t) => t !== tool)
        }
        if (!disabled.includes(tool)) disabled.push(tool)
      }
      for (const tool of event.enable) {
        const source = sourceOf(tool)
        if (isWildcard(tool)) {
          enabled = enabled.filter((t) => sourceOf(t) !== source)
          disabled = disabled.filter((t) => sourceOf(t) !== source)
          continue
        }
        disabled = disabled.filter((t) => t !== tool)
        // on under a source that is off: kept as the exception
        if (disabled.includes(wildcardOf(source)) && !enabled.includes(tool)) enabled.push(tool)
      }
      return { ...state, enabled: enabled.sort(), disabled: disabled.sort() }
    }
    default:
      return assertNever(event, 'tool policy event')
  }
}

function checkGrant (state: ToolPolicyState, tools: readonly string[]): readonly string[] {
  const after = applyPolicyEvent(state, { type: 'tools-granted', tools, ts: 0 })
  if (after.granted.length > MAX_TOOL_GRANTS) {
    throw new ToolPolicyFullError(`that makes ${after.granted.length} grants, over the limit of ${MAX_TOOL_GRANTS}: grant whole sources (<source>__*) instead of their tools one by one`)
  }
  return tools
}

function checkRevoke (state: ToolPolicyState, tools: readonly string[]): readonly string[] {
  const covered = tools.find((t) => !isWildcard(t) && state.granted.includes(wildcardOf(sourceOf(t))))
  if (covered !== undefined) {
    throw new ToolGrantedBySourceError(`${covered} is granted through ${wildcardOf(sourceOf(covered))}: revoke that, then grant the tools of ${sourceOf(covered)} that stay`)
  }
  return tools
}

function checkSwitch (state: ToolPolicyState, enable: readonly string[], disable: readonly string[]): { enable: readonly string[], disable: readonly string[] } {
  const ungranted = enable.find((t) => !grantCovers(state.granted, t))
  if (ungranted !== undefined) throw new ToolNotGrantedError(`${ungranted} is not granted to you: an admin grants tools (plexi admin users tools <you> --grant ${ungranted})`)
  const after = applyPolicyEvent(state, { type: 'tools-switched', enable, disable, ts: 0 })
  const switches = after.enabled.length + after.disabled.length
  if (switches > MAX_TOOL_SWITCHES) throw new ToolPolicyFullError(`that makes ${switches} switches, over the limit of ${MAX_TOOL_SWITCHES}: turn whole sources off (<source>__*)`)
  return { enable, disable }
}

function samePolicy (a: ToolPolicyState, b: ToolPolicyState): boolean {
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i])
  return same(a.granted, b.granted) && same(a.enabled, b.enabled) && same(a.disabled, b.disabled)
}
