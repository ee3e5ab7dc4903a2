import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import type { PartitionRow } from '../../protocols/index.ts'
import { InvalidReplicaRequestError, UnknownPartitionError } from './errors.ts'
import { emptyPartitionRoot } from './level-replica-storage.ts'
import type { LevelReplicaStorage, PartitionStats } from './level-replica-storage.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'

/** Where every node answers for its replicas' statistics. */
export const REPLICATION_PATH = '/replication'
/** How long a listing waits for each node. */
const STATS_ASK_MS = 5_000

/** A partition's statistics on one node: [partition, entities, records, epoch, Merkle root (hex)]. */
type StatsRow = [number, number, number, number, string]
export type ReplicationMsg = { readonly type: 'partition-stats', readonly replyTo: ReplyTo<StatsRow[]> }

const ROOT_PATTERN = /^[0-9a-f]{64}$/

/** Answers other nodes' requests for this node's partition statistics. */
export function replicationInspector (storage: LevelReplicaStorage): Behavior<ReplicationMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      if ((msg as { type?: unknown }).type !== 'partition-stats') throw new InvalidReplicaRequestError('replication inspector: expected { type: "partition-stats" }')
      storage.partitionStats().then((stats) => {
        ctx.reply(msg.replyTo, [...stats].map(([p, s]): StatsRow => [p, s.entities, s.records, s.epoch, s.root]))
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
          .ask<unknown[]>((replyTo) => ({ type: 'partition-stats', replyTo }), { timeout: STATS_ASK_MS })
        // another node's answer, checked: rows of four whole numbers, partitions in range, and a
        // Merkle root (a node of the version before sends none)
        const isRow = (r: unknown): r is [number, number, number, number, string?] => Array.isArray(r) && (r.length === 4 || (r.length === 5 && typeof r[4] === 'string' && ROOT_PATTERN.test(r[4]))) &&
          r.slice(0, 4).every((x) => Number.isSafeInteger(x) && (x as number) >= 0) && (r[0] as number) < journal.partitions
        if (!Array.isArray(rows) || !rows.every(isRow)) throw new Error('its answer is not a list of partition statistics')
        stats.set(node, new Map(rows.map(([p, entities, records, epoch, root]) => [p, { entities, records, epoch, root: root ?? '' }])))
      } catch (err) {
        unreachable.push(node)
        log.warn({ peer: node }, `member ${node} did not report its replicas: ${describe(err)}`)
      }
    }))
    const partitions = placements.map(({ partition, replicas, writeQuorum }) => {
      const held = replicas.map((peerId) => {
        const s = stats.get(peerId)
        // a node that answered without this partition holds none of it: the empty tree's root
        return { peerId, s: s === undefined ? undefined : s.get(partition) ?? { entities: 0, records: 0, epoch: 0, root: emptyPartitionRoot() } }
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
          lag: s === undefined ? null : most - s.records,
          merkleRoot: s === undefined || s.root === '' ? null : s.root
        }))
      }
    })
    return { partitions, unreachable }
  }
}
