import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import type { PartitionRow } from '../../protocols/index.ts'
import { InvalidReplicaRequestError, UnknownPartitionError } from './errors.ts'
import type { LevelReplicaStorage, PartitionStats } from './level-replica-storage.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'

/** Where every node answers for its replicas' statistics. */
export const REPLICATION_PATH = '/replication'
/** How long a listing waits for each node. */
const STATS_ASK_MS = 5_000

export type ReplicationMsg = { readonly type: 'partition-stats', readonly replyTo: ReplyTo<Array<[number, number, number, number]>> }

/** Answers other nodes' requests for this node's partition statistics. */
export function replicationInspector (storage: LevelReplicaStorage): Behavior<ReplicationMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      if ((msg as { type?: unknown }).type !== 'partition-stats') throw new InvalidReplicaRequestError('replication inspector: expected { type: "partition-stats" }')
      storage.partitionStats().then((stats) => {
        ctx.reply(msg.replyTo, [...stats].map(([p, s]) => [p, s.entities, s.records, s.epoch]))
      }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}

export interface ReplicationAdminOptions {
  readonly system: ActorSystem
  readonly journal: ReplicatedJournal
  /** The members this node knows, with their status. */
  readonly members: () => ReadonlyArray<{ peerId: string, status: string }>
  readonly log: { warn (obj: object, msg: string): void }
}

/** `GET /api/v1/partitions`: each partition with its replicas, what each holds and its lag. */
export class ReplicationAdmin {
  readonly #opts: ReplicationAdminOptions

  constructor (opts: ReplicationAdminOptions) {
    this.#opts = opts
  }

  async partitions (only?: number): Promise<{ partitions: PartitionRow[], unreachable: string[] }> {
    const { system, journal, log } = this.#opts
    const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
    status.set(system.node, 'up')
    if (only !== undefined && (only < 0 || only >= journal.partitions)) throw new UnknownPartitionError(only, journal.partitions)
    const numbers = only === undefined ? Array.from({ length: journal.partitions }, (_, p) => p) : [only]
    const placements = numbers.map((p) => ({ partition: p, ...journal.placement(p) }))
    const nodes = [...new Set(placements.flatMap((p) => p.replicas))]
    const unreachable: string[] = []
    const stats = new Map<string, Map<number, PartitionStats>>()
    await Promise.all(nodes.map(async (node) => {
      try {
        if (node === system.node) {
          stats.set(node, await journal.storage.partitionStats())
          return
        }
        if (status.get(node) === 'down') throw new Error('down')
        const rows = await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
          .ask<Array<[number, number, number, number]>>((replyTo) => ({ type: 'partition-stats', replyTo }), { timeout: STATS_ASK_MS })
        // another node's answer, checked: rows of four whole numbers, partitions in range
        if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.length === 4 && r.every((x) => Number.isSafeInteger(x) && (x as number) >= 0) && (r[0] as number) < journal.partitions)) {
          throw new Error('its answer is not a list of partition statistics')
        }
        stats.set(node, new Map(rows.map(([p, entities, records, epoch]) => [p, { entities, records, epoch }])))
      } catch (err) {
        unreachable.push(node)
        log.warn({ peer: node }, `member ${node} did not report its replicas: ${describe(err)}`)
      }
    }))
    const partitions = placements.map(({ partition, replicas, writeQuorum }) => {
      const held = replicas.map((peerId) => {
        const s = stats.get(peerId)
        return { peerId, s: s === undefined ? undefined : s.get(partition) ?? { entities: 0, records: 0, epoch: 0 } }
      })
      const most = Math.max(0, ...held.map((h) => h.s?.records ?? 0))
      return {
        partition,
        writeQuorum,
        replicas: held.map(({ peerId, s }) => ({
          peerId,
          status: status.get(peerId) ?? 'unknown',
          entities: s?.entities ?? null,
          records: s?.records ?? null,
          epoch: s?.epoch ?? null,
          lag: s === undefined ? null : most - s.records
        }))
      }
    })
    return { partitions, unreachable }
  }
}
