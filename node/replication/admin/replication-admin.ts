import type { ActorSystem } from '../../../actors/index.ts'
import { describe } from '../../../protocols/index.ts'
import type { PartitionRow, RepairJob, ScrubRow, StorageNodeRow } from '../../../protocols/index.ts'
import type { Jobs } from '../../jobs/index.ts'
import { STATS_ASK_MS } from '../constants.ts'
import { UnknownPartitionError } from '../errors.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import type { ScrubStats } from '../repair/scrub.ts'
import { emptyPartitionRoot } from '../repair/merkle-tree.ts'
import type { PartitionSpan, PartitionStats } from '../replica/replica-storage.ts'
import type { CatchUpStatus } from '../roster/catch-up.ts'
import type { PartitionHandOffStatus } from '../roster/partition-hand-off.ts'
import { checkCatchUp, checkHandOffStatus, checkScrubStats } from './inspector-replies.ts'
import { RepairJobs } from './repair-jobs.ts'
import { REPLICATION_PATH } from './replication-inspector.ts'
import type { RepairParts, ReplicationMsg } from './replication-inspector.ts'

const ROOT_PATTERN = /^[0-9a-f]{64}$/

export interface ReplicationAdminOptions {
  readonly system: ActorSystem
  readonly journal: ReplicatedJournal
  /** The members this node knows, with their status. */
  readonly members: () => ReadonlyArray<{ peerId: string, status: string }>
  readonly log: { warn (obj: object, msg: string): void }
  /** This node's anti-entropy and scrub (absent: repairs and scrub answer with none). */
  readonly parts?: RepairParts
  /** The storage roster (absent: this node alone is the storage). */
  readonly roster?: { known (): ReadonlyArray<{ peerId: string }>, isLeaving (peerId: string): boolean, isReplaced (peerId: string): boolean, readonly configs?: { of (partition: number): number | undefined, earlierOf (partition: number): ReadonlyArray<{ readonly version: number, readonly nodes: readonly string[] }> | undefined } | undefined }
  /** This node's jobs: each repair is one too (kind repair), listed and cancelled with the others
   * (absent: repairs are kept here only). */
  readonly jobs?: Jobs
}

/** `GET /api/v1/partitions`: each partition with its replicas, what each holds and its lag. */
export class ReplicationAdmin {
  readonly #opts: ReplicationAdminOptions
  readonly #repairs: RepairJobs

  constructor (opts: ReplicationAdminOptions) {
    this.#opts = opts
    this.#repairs = new RepairJobs({
      system: opts.system,
      journal: opts.journal,
      members: opts.members,
      ...(opts.parts !== undefined && { parts: opts.parts }),
      ...(opts.jobs !== undefined && { jobs: opts.jobs })
    })
  }

  /** The partition an entity's journal is in (`type/key`). */
  partitionOf (entityId: string): number {
    return this.#opts.journal.storage.partitionOf(entityId)
  }

  /** Every partition with its replicas as each says, or one (`only` a number), or those of a span
   * (a page: `from` to `to`, the part of it past the last partition left out). Each replica is
   * asked of the partitions asked for alone. */
  async partitions (only?: number | PartitionSpan): Promise<{ partitions: PartitionRow[], unreachable: string[] }> {
    const { system, journal, log } = this.#opts
    const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
    status.set(system.node, 'up')
    if (typeof only === 'number' && (only < 0 || only >= journal.partitions)) throw new UnknownPartitionError(only, journal.partitions)
    const span = only === undefined ? { from: 0, to: journal.partitions - 1 } : typeof only === 'number' ? { from: only, to: only } : { from: only.from, to: Math.min(only.to, journal.partitions - 1) }
    if (!(Number.isSafeInteger(span.from) && Number.isSafeInteger(span.to) && span.from >= 0)) throw new RangeError(`partitions: expected a span of partition numbers, got ${span.from} to ${span.to}`)
    const numbers = Array.from({ length: Math.max(0, span.to - span.from + 1) }, (_, i) => span.from + i)
    // the whole table is asked as before (a member of the version before takes no span either way)
    const asked = span.from === 0 && span.to === journal.partitions - 1 ? undefined : span
    if (numbers.length === 0) return { partitions: [], unreachable: [] }
    const placements = numbers.map((p) => ({ partition: p, ...journal.placement(p) }))
    const nodes = [...new Set(placements.flatMap((p) => p.replicas))]
    const unreachable: string[] = []
    const olderNodes = new Set<string>()
    const stats = new Map<string, Map<number, PartitionStats & { comparedAt?: number, taken?: number }>>()
    await Promise.all(nodes.map(async (node) => {
      try {
        if (node === system.node) {
          const repairs = this.#opts.parts?.antiEntropy()?.partitions
          const own = await journal.storage.partitionStats(asked)
          stats.set(node, new Map([...own].map(([p, s]) => [p, { ...s, comparedAt: repairs?.get(p)?.lastComparedAt ?? 0, taken: repairs?.get(p)?.records ?? 0 }])))
          return
        }
        if (status.get(node) === 'down') throw new Error('down')
        const rows = await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
          .ask<unknown[]>((replyTo) => ({ type: 'partition-stats', ...asked, replyTo }), { timeout: STATS_ASK_MS })
        // another node's answer, checked: rows of four whole numbers, partitions in range, and a
        // Merkle root (a node of the version before sends none)
        const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0
        const isRow = (r: unknown): r is [number, number, number, number, string?, number?, number?] => Array.isArray(r) &&
          (r.length === 4 || ((r.length === 5 || r.length === 7) && typeof r[4] === 'string' && ROOT_PATTERN.test(r[4]))) &&
          r.slice(0, 4).every(count) && (r[0] as number) < journal.partitions && (r.length < 7 || (count(r[5]) && count(r[6])))
        if (!Array.isArray(rows) || !rows.every(isRow)) throw new Error('its answer is not a list of partition statistics')
        // a node of an earlier version reports no repairs: not known, rather than none
        if (rows.some((r) => r.length < 7)) olderNodes.add(node)
        stats.set(node, new Map(rows.map(([p, entities, records, epoch, root, comparedAt, taken]) => [p, { entities, records, epoch, root: root ?? '', ...(comparedAt !== undefined && { comparedAt, taken }) }])))
      } catch (err) {
        unreachable.push(node)
        log.warn({ peer: node }, `member ${node} did not report its replicas: ${describe(err)}`)
      }
    }))
    const partitions = placements.map(({ partition, replicas, writeQuorum }) => {
      const held = replicas.map((peerId) => {
        const s = stats.get(peerId)
        // a node that answered without this partition holds none of it: the empty tree's root
        return { peerId, s: s === undefined ? undefined : s.get(partition) ?? { entities: 0, records: 0, epoch: 0, root: emptyPartitionRoot(), ...(!olderNodes.has(peerId) && { comparedAt: 0, taken: 0 }) } }
      })
      const most = Math.max(0, ...held.map((h) => h.s?.records ?? 0))
      return {
        partition,
        writeQuorum,
        // (the node asked: the same on every node that applied the same roster versions)
        configurationVersion: this.#opts.roster?.configs?.of(partition) ?? null,
        // (its earlier replica sets whose hand-off is not settled: fenced by its owners too)
        earlierSets: this.#opts.roster?.configs?.earlierOf(partition) ?? null,
        replicas: held.map(({ peerId, s }) => ({
          peerId,
          status: status.get(peerId) ?? 'unknown',
          entities: s?.entities ?? null,
          records: s?.records ?? null,
          epoch: s?.epoch ?? null,
          lag: s === undefined ? null : most - s.records,
          merkleRoot: s === undefined || s.root === '' ? null : s.root,
          lastRepair: s?.comparedAt === undefined || s.comparedAt === 0 ? null : new Date(s.comparedAt).toISOString(),
          recordsRepaired: s?.taken ?? null
        }))
      }
    })
    return { partitions, unreachable }
  }

  /** Calls `listener` after each change that lands in this node's replicas (a record put or
   * dropped), until the returned function is called: what a kept listing of the partitions drops. */
  watch (listener: () => void): () => void {
    return this.#opts.journal.storage.watch(() => { listener() })
  }

  /**
   * Starts a repair job (POST /api/v1/repairs): each partition (or the one asked for), a few at a
   * time, is compared by every live replica of it with every other live replica, and what differs
   * moves (AntiEntropy.repair on each node). Resolves with the job as it starts; `job(id)` follows it.
   */
  startRepair (only?: number): RepairJob {
    return this.#repairs.start(only)
  }

  /** A repair job by id (undefined: not one of the last MAX_REPAIR_JOBS on this node). */
  job (id: string): RepairJob | undefined {
    return this.#repairs.job(id)
  }

  jobs (): RepairJob[] {
    return this.#repairs.list()
  }

  /** Scrub on every node that holds replicas (`start`: a pass begins now where none runs). */
  async scrub (start: boolean): Promise<ScrubRow[]> {
    const { system, journal, log } = this.#opts
    const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
    const nodes = [...new Set([system.node, ...Array.from({ length: journal.partitions }, (_, p) => journal.placement(p).replicas).flat()])]
    return await Promise.all(nodes.map(async (peerId): Promise<ScrubRow> => {
      try {
        let s: ScrubStats
        if (peerId === system.node) {
          const scrub = this.#opts.parts?.scrubber()
          if (scrub === undefined) throw new Error('this node does not run scrub')
          // (as the inspector does: trigger never rejects, a failed pass is the service's to count)
          if (start) void scrub.trigger()
          s = { ...scrub.stats }
        } else {
          if (status.get(peerId) === 'down') throw new Error('down')
          s = checkScrubStats(await system.actorAt<ReplicationMsg>({ node: peerId, path: REPLICATION_PATH })
            .ask<unknown>((replyTo) => ({ type: 'scrub', start, replyTo }), { timeout: STATS_ASK_MS }))
        }
        return {
          peerId,
          answered: true,
          running: s.running,
          progress: s.running ? Math.min(1, s.scanned / Math.max(1, s.expected)) : 1,
          passes: s.passes,
          scanned: s.scanned,
          bytes: s.bytes,
          corruptFound: s.corruptFound,
          repaired: s.repaired,
          quarantined: s.quarantined,
          lastPass: s.lastPassAt === 0 ? null : new Date(s.lastPassAt).toISOString()
        }
      } catch (err) {
        log.warn({ peer: peerId }, `member ${peerId} did not report its scrub: ${describe(err)}`)
        return { peerId, answered: false, running: null, progress: null, passes: null, scanned: null, bytes: null, corruptFound: null, repaired: null, quarantined: null, lastPass: null }
      }
    }))
  }

  /** The storage nodes this node knows: active, leaving or replaced, with each one's catch-up and
   * each leaving node's hand-off. */
  async storageNodes (): Promise<StorageNodeRow[]> {
    const { system, log } = this.#opts
    const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
    status.set(system.node, 'up')
    const roster = this.#opts.roster
    const known = roster === undefined ? [{ peerId: system.node }] : roster.known()
    return await Promise.all(known.map(async ({ peerId }): Promise<StorageNodeRow> => {
      const leaving = roster?.isLeaving(peerId) ?? false
      const state = leaving ? 'leaving' as const : roster?.isReplaced(peerId) === true ? 'replaced' as const : 'active' as const
      const row = { peerId, status: status.get(peerId) ?? 'unknown', state, handOff: null, catchUp: await this.#catchUpOf(peerId, status.get(peerId)) }
      if (!leaving) return row
      try {
        let h: PartitionHandOffStatus
        if (peerId === system.node) {
          const own = this.#opts.parts?.handOff?.()
          h = own === undefined ? { state: 'idle', partitions: 0, done: 0, waiting: [], since: 0 } : own.status
        } else {
          if (status.get(peerId) === 'down') throw new Error('down')
          h = checkHandOffStatus(await system.actorAt<ReplicationMsg>({ node: peerId, path: REPLICATION_PATH }).ask<unknown>((replyTo) => ({ type: 'hand-off', replyTo }), { timeout: STATS_ASK_MS }))
        }
        return { ...row, handOff: { state: h.state, partitions: h.partitions, done: h.done, waiting: [...h.waiting], since: h.since === 0 ? null : new Date(h.since).toISOString() } }
      } catch (err) {
        log.warn({ peer: peerId }, `leaving member ${peerId} did not report its hand-off: ${describe(err)}`)
        return row
      }
    }))
  }

  /** A storage node's own account of its replicas (null: down, or it did not answer). */
  async #catchUpOf (peerId: string, status: string | undefined): Promise<StorageNodeRow['catchUp']> {
    const { system, log } = this.#opts
    try {
      let c: CatchUpStatus
      if (peerId === system.node) {
        const own = this.#opts.parts?.catchUp?.()
        if (own === undefined) return null
        c = own.status
      } else {
        if (status === 'down' || status === undefined) return null
        c = checkCatchUp(await system.actorAt<ReplicationMsg>({ node: peerId, path: REPLICATION_PATH }).ask<unknown>((replyTo) => ({ type: 'catch-up', replyTo }), { timeout: STATS_ASK_MS }))
      }
      return { partitions: c.partitions, caughtUp: c.caughtUp, waiting: [...c.waiting], replaced: [...c.replaced] }
    } catch (err) {
      log.warn({ peer: peerId }, `member ${peerId} did not report its catch-up: ${describe(err)}`)
      return null
    }
  }
}
