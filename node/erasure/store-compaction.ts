import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { isEntityId, recordEnd, recordKey, snapshotKey } from '../replication/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { MAX_COMPACT_ENTITIES, MEMBER_ASK_MS } from './constants.ts'

/** Where every node's store compaction lives. */
export const STORE_COMPACTION_PATH = systemPath('store-compaction', 1)

/** Compacts the stored records and snapshot of each entity (`type/key`) on this node; replies how
 * many entities were compacted, once this node's search index also applied what landed before
 * (`settle` false: without waiting for the index, as a request that others will follow does). */
export type StoreCompactionMsg = { readonly type: 'compact', readonly entities: readonly string[], readonly settle?: boolean, readonly replyTo: ReplyTo<number> }

export interface StoreCompactionOptions {
  readonly store: { compactRange (gte: string, lte: string): Promise<void> }
  /** The partition of an entity id. */
  readonly partitionOf: (entity: string) => number
  /** Resolves once this node's search index has applied every change that landed in the store so
   * far (a redaction drops its row and zeroes its bytes in the index's files): awaited before the
   * answer, so that an erasure that ends has left no text in the index either. Absent: no index. */
  readonly indexSettled?: (() => Promise<void>) | undefined
}

/**
 * After a trim or a rewrite, LevelDB still holds the old values in its files until a compaction
 * rewrites them: this compacts each named entity's record range and snapshot on this node, so the
 * space is given back and the old bytes (a redacted post's text, a trimmed record) are gone from
 * the files too. Every node runs one; the erasure and retention jobs ask every storage member.
 * It answers once its search index has applied what landed too (the rewrites and redactions that
 * came before the request), so that nothing of the old text is left in this node's files.
 */
export function storeCompaction (opts: StoreCompactionOptions): Behavior<StoreCompactionMsg, undefined> {
  return {
    checkPeer: checkStoreCompactionMsg,
    init: () => undefined,
    async receive (_state, msg, ctx) {
      try {
        for (const entity of msg.entities) {
          const p = opts.partitionOf(entity)
          await opts.store.compactRange(recordKey(p, entity, 0), recordEnd(p, entity))
          // (its snapshot: from the partition's first snapshot key, which no entity has, to the one
          // just past its own, which none has either: the bounds hold no value)
          await opts.store.compactRange(snapshotKey(p, ''), `${snapshotKey(p, entity)}\x00`)
        }
        if (msg.settle !== false) await opts.indexSettled?.()
        ctx.reply(msg.replyTo, msg.entities.length)
      } catch (err) {
        ctx.fail(msg.replyTo, err)
      }
      return undefined
    }
  }
}

/** A compaction request as it came off the wire, checked field by field. */
export function checkStoreCompactionMsg (msg: unknown): void {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null || m.type !== 'compact') throw new InvalidPeerRequestError('a store compaction message is { type: \'compact\', entities, replyTo }')
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a store compaction message needs a reply address')
  if (!Array.isArray(m.entities) || m.entities.length > MAX_COMPACT_ENTITIES || !m.entities.every(isEntityId)) {
    throw new InvalidPeerRequestError(`entities: at most ${MAX_COMPACT_ENTITIES} entity ids (type/key)`)
  }
  if (m.settle !== undefined && typeof m.settle !== 'boolean') throw new InvalidPeerRequestError('settle: true or false')
}

/** Asks each member to compact the entities' ranges, MAX_COMPACT_ENTITIES to a request (the last
 * answered once its search index settled, unless `settle` is false; with no entities, one request
 * that only settles); failures are added to `failures`. */
export async function compactEverywhere (system: Pick<ActorSystem, 'actorAt'>, members: readonly string[], entities: readonly string[], failures: Array<{ item: string, why: string }>, settle = true): Promise<void> {
  await Promise.all(members.map(async (node) => {
    try {
      for (let i = 0; i === 0 || i < entities.length; i += MAX_COMPACT_ENTITIES) {
        const batch = entities.slice(i, i + MAX_COMPACT_ENTITIES)
        const last = i + MAX_COMPACT_ENTITIES >= entities.length
        await system.actorAt<StoreCompactionMsg>({ node, path: STORE_COMPACTION_PATH }).ask<number>((replyTo) => ({ type: 'compact', entities: batch, settle: settle && last, replyTo }), { timeout: MEMBER_ASK_MS })
      }
    } catch (err) {
      failures.push({ item: `compaction on ${node}`, why: describe(err) })
    }
  }))
}

/**
 * Compactions asked as their entities become ready (a room whose rewrites landed) while the rest of
 * a job goes on: what waits when the members finish one request goes as the next (at most
 * MAX_COMPACT_ENTITIES to a request), so a long job's compactions overlap its other work instead of
 * following it (a store's first compaction after many writes takes a second or more). The requests
 * do not wait for the members' search indexes; `done` asks that once, at the end.
 */
export class CompactionQueue {
  readonly #system: Pick<ActorSystem, 'actorAt'>
  readonly #members: () => readonly string[]
  readonly #pending: string[] = []
  #running: Promise<void> | undefined
  /** Something was compacted since the indexes were last waited for. */
  #unsettled = false
  /** The members that failed a request (listed by compactEverywhere). */
  readonly failures: Array<{ item: string, why: string }> = []

  constructor (system: Pick<ActorSystem, 'actorAt'>, members: () => readonly string[]) {
    this.#system = system
    this.#members = members
  }

  /** Compacts the entity's ranges on every member, after what was added before. */
  add (entity: string): void {
    this.#pending.push(entity)
    this.#running ??= this.#run()
  }

  /** Resolves once everything added so far was compacted and every member's search index applied
   * what had landed, or failed (`failures`). */
  async done (): Promise<void> {
    while (this.#running !== undefined) await this.#running
    if (!this.#unsettled) return
    this.#unsettled = false
    await compactEverywhere(this.#system, this.#members(), [], this.failures)
  }

  async #run (): Promise<void> {
    while (this.#pending.length > 0) {
      this.#unsettled = true
      await compactEverywhere(this.#system, this.#members(), this.#pending.splice(0, MAX_COMPACT_ENTITIES), this.failures, false)
    }
    this.#running = undefined
  }
}

/** Starts this node's store compaction on `system`. */
export function spawnStoreCompaction (system: Pick<ActorSystem, 'spawn'>, opts: StoreCompactionOptions): void {
  system.spawn(storeCompaction(opts), { name: STORE_COMPACTION_PATH.slice(1), kind: 'store-compaction', mailbox: 64 })
}
