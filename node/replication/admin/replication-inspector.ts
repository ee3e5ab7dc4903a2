import type { Behavior, ReplyTo } from '../../../actors/index.ts'
import { MAX_REPAIR_PARTITIONS } from '../constants.ts'
import { InvalidReplicaRequestError } from '../errors.ts'
import type { AntiEntropy, RepairResult } from '../repair/anti-entropy.ts'
import type { Scrubber, ScrubStats } from '../repair/scrub.ts'
import type { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import type { CatchUp, CatchUpStatus } from '../roster/catch-up.ts'
import type { PartitionHandOff, PartitionHandOffStatus } from '../roster/partition-hand-off.ts'
import type { TakeOverResult } from '../roster/pull-until-clean.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'

/** Where every node answers for its replicas' statistics. */
export const REPLICATION_PATH = systemPath('replication', 1)

/** A partition's statistics on one node: [partition, entities, records, epoch, Merkle root (hex),
 * when it was last compared (ms since the epoch, 0: not since start), records it took]. */
export type StatsRow = [number, number, number, number, string, number, number]
export type ReplicationMsg =
  /** `from` and `to` (both or neither): the partitions from one to the other alone (a node of an
   * earlier version sends all of them, which the asker reads the same way). */
  | { readonly type: 'partition-stats', readonly from?: number, readonly to?: number, readonly replyTo: ReplyTo<StatsRow[]> }
  | { readonly type: 'repair', readonly partitions: readonly number[], readonly replyTo: ReplyTo<RepairResult> }
  | { readonly type: 'scrub', readonly start: boolean, readonly replyTo: ReplyTo<ScrubStats> }
  | { readonly type: 'take-over', readonly partition: number, readonly from: string, readonly replyTo: ReplyTo<TakeOverResult> }
  /** A leaving node's partition hand-off, as it stands (the wire keeps its first name). */
  | { readonly type: 'hand-off', readonly replyTo: ReplyTo<PartitionHandOffStatus> }
  | { readonly type: 'catch-up', readonly replyTo: ReplyTo<CatchUpStatus> }

/** This node's anti-entropy, scrub, partition hand-off and catch-up, once they run (the inspector
 * is spawned before them). */
export interface RepairParts {
  readonly antiEntropy: () => AntiEntropy | undefined
  readonly scrubber: () => Scrubber | undefined
  /** The partition hand-off (roster/partition-hand-off.ts). */
  readonly handOff?: () => PartitionHandOff | undefined
  readonly catchUp?: () => CatchUp | undefined
}

/** Answers other nodes' requests for this node's partition statistics, repairs and scrub. */
export function replicationInspector (storage: LevelReplicaStorage, parts?: RepairParts): Behavior<ReplicationMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      const m = msg as { type?: unknown, partitions?: unknown, start?: unknown, from?: unknown, to?: unknown }
      if (m.type === 'partition-stats') {
        const inRange = (p: unknown): p is number => Number.isSafeInteger(p) && (p as number) >= 0 && (p as number) < storage.partitions
        if ((m.from !== undefined || m.to !== undefined) && !(inRange(m.from) && inRange(m.to) && m.from <= m.to)) {
          throw new InvalidReplicaRequestError(`replication inspector: partition-stats expects { from, to } with 0 <= from <= to <= ${storage.partitions - 1}, or neither`)
        }
        const repairs = parts?.antiEntropy()?.partitions
        storage.partitionStats(inRange(m.from) && inRange(m.to) ? { from: m.from, to: m.to } : undefined).then((stats) => {
          ctx.reply(msg.replyTo as ReplyTo<StatsRow[]>, [...stats].map(([p, s]): StatsRow => {
            const r = repairs?.get(p)
            return [p, s.entities, s.records, s.epoch, s.root, r?.lastComparedAt ?? 0, r?.records ?? 0]
          }))
        }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if (m.type === 'repair') {
        if (!Array.isArray(m.partitions) || m.partitions.length > MAX_REPAIR_PARTITIONS || !m.partitions.every((p) => Number.isSafeInteger(p) && p >= 0 && p < storage.partitions)) {
          throw new InvalidReplicaRequestError(`replication inspector: repair expects { partitions: [0-${storage.partitions - 1}, ...] }`)
        }
        const ae = parts?.antiEntropy()
        if (ae === undefined) throw new InvalidReplicaRequestError('replication inspector: this node does not run anti-entropy')
        ae.repair(m.partitions as number[]).then((r) => { ctx.reply(msg.replyTo as ReplyTo<RepairResult>, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if (m.type === 'scrub') {
        if (typeof m.start !== 'boolean') throw new InvalidReplicaRequestError('replication inspector: scrub expects { start: true | false }')
        const scrub = parts?.scrubber()
        if (scrub === undefined) throw new InvalidReplicaRequestError('replication inspector: this node does not run scrub')
        // (a pass begun here is the scrub service's: trigger never rejects, a failed pass is counted
        // and logged there; the answer is the statistics as they are now)
        if (m.start) void scrub.trigger()
        ctx.reply(msg.replyTo as ReplyTo<ScrubStats>, { ...scrub.stats })
        return undefined
      }
      if (m.type === 'take-over') {
        const t = msg as { partition?: unknown, from?: unknown }
        if (!Number.isSafeInteger(t.partition) || (t.partition as number) < 0 || (t.partition as number) >= storage.partitions || typeof t.from !== 'string' || t.from.length === 0 || t.from.length > 128) {
          throw new InvalidReplicaRequestError(`replication inspector: take-over expects { partition: 0-${storage.partitions - 1}, from: a peer id }`)
        }
        const ae = parts?.antiEntropy()
        if (ae === undefined) throw new InvalidReplicaRequestError('replication inspector: this node does not run anti-entropy')
        ae.takeOver(t.partition as number, t.from).then((r) => {
          ctx.reply(msg.replyTo as ReplyTo<TakeOverResult>, { records: r.records, repaired: r.repaired, divergent: r.divergent, peerNewer: r.peerNewer, movedOn: r.movedOn, floors: r.floors })
        }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if (m.type === 'hand-off') {
        const h = parts?.handOff?.()
        ctx.reply(msg.replyTo as ReplyTo<PartitionHandOffStatus>, h === undefined ? { state: 'idle', partitions: 0, done: 0, waiting: [], since: 0 } : { ...h.status, waiting: [...h.status.waiting] })
        return undefined
      }
      if (m.type === 'catch-up') {
        const c = parts?.catchUp?.()
        ctx.reply(msg.replyTo as ReplyTo<CatchUpStatus>, c === undefined ? { partitions: 0, caughtUp: 0, waiting: [], replaced: [] } : c.status)
        return undefined
      }
      throw new InvalidReplicaRequestError('replication inspector: expected { type: "partition-stats" | "repair" | "scrub" | "take-over" | "hand-off" | "catch-up" }')
    }
  }
}
