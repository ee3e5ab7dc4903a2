import type { ActorSystem, Behavior, HandOff, RemotingPort, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { isEntityId } from '../replication/index.ts'
import { HOLD_BUSY_MS, HOLD_GRACE_MS, HOLD_MAX_MS } from './constants.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node holds its entities still while a restore rewrites their journals. */
export const RESTORE_HOLD_PATH = systemPath('backup-restore', 1)

export type RestoreHoldMsg =
  /** Stops `entity` here and keeps its messages waiting: 'held', or 'not-active' (nothing to hold). */
  | { readonly type: 'hold', readonly entity: string, readonly replyTo: ReplyTo<'held' | 'not-active'> }
  /** Lets its messages go on: its next activation recovers the journal as it is now. */
  | { readonly type: 'unhold', readonly entity: string, readonly replyTo: ReplyTo<'ok'> }

interface Held {
  readonly unsent: readonly unknown[]
  readonly timer: ReturnType<typeof setTimeout>
}

export function checkRestoreHoldMsg (value: unknown): RestoreHoldMsg {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || !isReplyTo(m.replyTo) || (m.type !== 'hold' && m.type !== 'unhold') || !isEntityId(m.entity)) {
    throw new InvalidPeerRequestError('restore hold: expected { type: "hold" | "unhold", entity: "type/key", replyTo }')
  }
  return m as unknown as RestoreHoldMsg
}

/**
 * Holds entities still for a restore: the entity stops as for a live move (its message in
 * progress and its mailbox finish, its writes become durable) and what arrives for it waits here;
 * the restore rewrites its journal; `unhold` lets the waiting messages go on, and its next
 * activation recovers the rewritten journal. So no activation serves the old state after the
 * restore, and none writes in the middle of it. A hold ends by itself after HOLD_MAX_MS.
 */
export function restoreHold (port: RemotingPort, log: { warn (obj: object, msg: string): void }): Behavior<RestoreHoldMsg, undefined> {
  const held = new Map<string, Held>()
  const letGo = (entity: string): void => {
    const h = held.get(entity)
    held.delete(entity)
    clearTimeout(h?.timer)
    const slash = entity.indexOf('/')
    port.finishRelease(entity.slice(0, slash), entity.slice(slash + 1), undefined, h?.unsent ?? [])
  }
  return {
    init: () => undefined,
    receive (_state, sent, ctx) {
      let msg: RestoreHoldMsg
      try {
        msg = checkRestoreHoldMsg(sent)
      } catch (err) {
        const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
        if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
        return undefined
      }
      const slash = msg.entity.indexOf('/')
      const [type, key] = [msg.entity.slice(0, slash), msg.entity.slice(slash + 1)]
      if (msg.type === 'unhold') {
        if (held.has(msg.entity)) letGo(msg.entity)
        ctx.reply(msg.replyTo, 'ok')
        return undefined
      }
      const replyTo = msg.replyTo
      const entity = msg.entity
      if (held.has(entity)) {
        ctx.reply(replyTo, 'held')
        return undefined
      }
      port.release(type, key, { busyMs: HOLD_BUSY_MS, graceMs: HOLD_GRACE_MS }).then((release) => {
        if (release.outcome === 'not-active') return ctx.reply(replyTo, 'not-active')
        const unsent = release.outcome === 'released' ? (release.handOff as HandOff).buffered : []
        const timer = setTimeout(() => {
          log.warn({ entity }, `${entity}: held for a restore ${HOLD_MAX_MS / 1000} s without being let go; its messages go on`)
          letGo(entity)
        }, HOLD_MAX_MS)
        timer.unref()
        held.set(entity, { unsent, timer })
        ctx.reply(replyTo, 'held')
      }, (err: unknown) => { ctx.fail(replyTo, err) })
      return undefined
    }
  }
}

export function spawnRestoreHold (system: ActorSystem, port: RemotingPort, log: { warn (obj: object, msg: string): void }): void {
  system.spawn(restoreHold(port, log), { name: RESTORE_HOLD_PATH.slice(1), kind: 'backup-restore-hold', mailbox: 4_096 })
}
