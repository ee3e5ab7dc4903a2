import { assertNever } from '../../protocols/index.ts'
import type { ActorRef } from './actor-ref.ts'
import type { Behavior, RestartType, SupervisionFlags } from './behavior.ts'
import type { ReplyTo } from './reply-to.ts'

/** An OTP child spec. */
export interface ChildSpec {
  /** The child's name under the supervisor. */
  readonly id: string
  /** Called at every (re)start of the supervisor to get the child's behavior. */
  readonly start: () => Behavior<any, any>
  /** @default 'permanent' */
  readonly restart?: RestartType
  /** How long a stop waits for the child's in-flight handler, ms. @default 5000 */
  readonly shutdown?: number
  readonly mailbox?: number
  readonly kind?: string
}

export interface ChildInfo {
  readonly id: string
  readonly path: string
  readonly restart: RestartType
}

export type SupervisorMsg =
  | { readonly type: 'which-children', readonly replyTo: ReplyTo<ChildInfo[]> }
  | { readonly type: 'count-children', readonly replyTo: ReplyTo<{ specs: number, active: number }> }

interface SupervisorState {
  readonly children: ReadonlyArray<{ readonly spec: ChildSpec, readonly ref: ActorRef<unknown> }>
}

/**
 * A supervisor: starts its children left to right (each child's init finishes before the next
 * starts), restarts them by `flags`, and stops them right to left.
 */
export function supervisor (flags: SupervisionFlags, specs: readonly ChildSpec[]): Behavior<SupervisorMsg, SupervisorState> {
  const ids = new Set<string>()
  for (const spec of specs) {
    if (ids.has(spec.id)) throw new RangeError(`duplicate child id ${JSON.stringify(spec.id)} in supervisor spec`)
    ids.add(spec.id)
  }
  return {
    supervision: flags,
    async init (ctx) {
      const children: Array<{ spec: ChildSpec, ref: ActorRef<unknown> }> = []
      for (const spec of specs) {
        const ref = await ctx.startChild(spec.start(), {
          name: spec.id,
          restart: spec.restart ?? 'permanent',
          ...(spec.shutdown !== undefined && { shutdown: spec.shutdown }),
          ...(spec.mailbox !== undefined && { mailbox: spec.mailbox }),
          ...(spec.kind !== undefined && { kind: spec.kind })
        })
        children.push({ spec, ref: ref as ActorRef<unknown> })
      }
      return { children }
    },
    receive (state, msg, ctx) {
      switch (msg.type) {
        case 'which-children': {
          const live = new Set(ctx.children().map((ref) => ref.path))
          ctx.reply(msg.replyTo, state.children
            .filter((c) => live.has(c.ref.path))
            .map((c) => ({ id: c.spec.id, path: c.ref.path, restart: c.spec.restart ?? 'permanent' })))
          return state
        }
        case 'count-children':
          ctx.reply(msg.replyTo, { specs: state.children.length, active: ctx.children().length })
          return state
        default: return assertNever(msg, 'supervisor message')
      }
    }
  }
}
