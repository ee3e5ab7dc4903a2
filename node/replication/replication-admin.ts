import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import type { PartitionRow } from '../../protocols/index.ts'
import { InvalidReplicaRequestError, UnknownPartitionError } from './errors.ts'
import { isEntityId } from './replica-protocol.ts'
import { emptyPartitionRoot } from './level-replica-storage.ts'
import type { LevelReplicaStorage, PartitionStats } from './level-replica-storage.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'
import type { AntiEntropy, RepairResult } from './anti-entropy.ts'
import type { Scrubber, ScrubStats } from './scrub.ts'
import type { HandOff, HandOffStatus, TakeOverResult } from './hand-off.ts'
import type { CatchUp, CatchUpStatus } from './catch-up.ts'
import type { RepairJob, ScrubRow, StorageNodeRow } from '../../protocols/index.ts'
import type { JobControl, Jobs } from '../jobs/index.ts'

/** Where every node answers for its replicas' statistics. */
export const REPLICATION_PATH = '/replication'
/** How long a listing waits for each node. */
const STATS_ASK_MS = 5_000

/** A partition's statistics on one node: [partition, entities, records, epoch, Merkle root (hex),
 * when it was last compared (ms since the epoch, 0: not since start), records it took]. */
type StatsRow = [number, number, number, number, string, number, number]
export type ReplicationMsg =
  | { readonly type: 'partition-stats', readonly replyTo: ReplyTo<StatsRow[]> }
  | { readonly type: 'repair', readonly partitions: readonly number[], readonly replyTo: ReplyTo<RepairResult> }
  | { readonly type: 'scrub', readonly start: boolean, readonly replyTo: ReplyTo<ScrubStats> }
  | { readonly type: 'take-over', readonly partition: number, readonly from: string, readonly replyTo: ReplyTo<TakeOverResult> }
  | { readonly type: 'hand-off', readonly replyTo: ReplyTo<HandOffStatus> }
  | { readonly type: 'catch-up', readonly replyTo: ReplyTo<CatchUpStatus> }

/** This node's anti-entropy and scrub, once they run (the inspector is spawned before them). */
export interface RepairParts {
  readonly antiEntropy: () => AntiEntropy | undefined
  readonly scrubber: () => Scrubber | undefined
  readonly handOff?: () => HandOff | undefined
  readonly catchUp?: () => CatchUp | undefined
}

/** Most partitions one repair message names. */
const MAX_REPAIR_PARTITIONS = 65_536
/** How long a job waits for one node to repair a chunk of partitions. */
const REPAIR_ASK_MS = 600_000
/** Partitions one node is asked to repair at a time (the job's progress moves by this much). */
const REPAIR_CHUNK = 4

const ROOT_PATTERN = /^[0-9a-f]{64}$/

/** Answers other nodes' requests for this node's partition statistics, repairs and scrub. */
export function replicationInspector (storage: LevelReplicaStorage, parts?: RepairParts): Behavior<ReplicationMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      const m = msg as { type?: unknown, partitions?: unknown, start?: unknown }
      if (m.type === 'partition-stats') {
        const repairs = parts?.antiEntropy()?.partitions
        storage.partitionStats().then((stats) => {
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
        if (m.start) void scrub.runOnce().catch(() => undefined)
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
          ctx.reply(msg.replyTo as ReplyTo<TakeOverResult>, { records: r.records, repaired: r.repaired, divergent: r.divergent, peerNewer: r.peerNewer, movedOn: r.movedOn })
        }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if (m.type === 'hand-off') {
        const h = parts?.handOff?.()
        ctx.reply(msg.replyTo as ReplyTo<HandOffStatus>, h === undefined ? { state: 'idle', partitions: 0, done: 0, waiting: [], since: 0 } : { ...h.status, waiting: [...h.status.waiting] })
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

export interface ReplicationAdminOptions {
  readonly system: ActorSystem
  readonly journal: ReplicatedJournal
  /** The members this node knows, with their status. */
  readonly members: () => ReadonlyArray<{ peerId: string, status: string }>
  readonly log: { warn (obj: object, msg: string): void }
  /** This node's anti-entropy and scrub (absent: repairs and scrub answer with none). */
  readonly parts?: RepairParts
  /** The storage roster (absent: this node alone is the storage). */
  readonly roster?: { known (): ReadonlyArray<{ peerId: string }>, isLeaving (peerId: string): boolean, isReplaced (peerId: string): boolean }
  /** This node's jobs: each repair is one too (kind repair), listed and cancelled with the others
   * (absent: repairs are kept here only). */
  readonly jobs?: Jobs
}

/** `GET /api/v1/partitions`: each partition with its replicas, what each holds and its lag. */
export class ReplicationAdmin {
  readonly #opts: ReplicationAdminOptions

  constructor (opts: ReplicationAdminOptions) {
    this.#opts = opts
  }

  /** The partition an entity's journal is in (`type/key`). */
  partitionOf (entityId: string): number {
    return this.#opts.journal.storage.partitionOf(entityId)
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
    const olderNodes = new Set<string>()
    const stats = new Map<string, Map<number, PartitionStats & { comparedAt?: number, taken?: number }>>()
    await Promise.all(nodes.map(async (node) => {
      try {
        if (node === system.node) {
          const repairs = this.#opts.parts?.antiEntropy()?.partitions
          const own = await journal.storage.partitionStats()
          stats.set(node, new Map([...own].map(([p, s]) => [p, { ...s, comparedAt: repairs?.get(p)?.lastComparedAt ?? 0, taken: repairs?.get(p)?.records ?? 0 }])))
          return
        }
        if (status.get(node) === 'down') throw new Error('down')
        const rows = await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
          .ask<unknown[]>((replyTo) => ({ type: 'partition-stats', replyTo }), { timeout: STATS_ASK_MS })
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

  /** Repair jobs started on this node, the newest last (the last MAX_JOBS). */
  readonly #jobs: RepairJob[] = []
  #nextJob = 1

  /**
   * Starts a repair job (POST /api/v1/repairs): each partition (or the one asked for), a few at a
   * time, is compared by every live replica of it with every other live replica, and what differs
   * moves (AntiEntropy.repair on each node). Resolves with the job as it starts; `job(id)` follows it.
   */
  startRepair (only?: number): RepairJob {
    const { journal } = this.#opts
    if (only !== undefined && (only < 0 || only >= journal.partitions)) throw new UnknownPartitionError(only, journal.partitions)
    const numbers = only === undefined ? Array.from({ length: journal.partitions }, (_, p) => p) : [only]
    const job = {
      id: '',
      state: 'running' as RepairJob['state'],
      partition: only ?? null,
      partitions: numbers.length,
      partitionsDone: 0,
      comparisons: 0,
      recordsFilled: 0,
      recordsRepaired: 0,
      bytes: 0,
      divergent: 0,
      failures: [] as string[],
      startedAt: new Date().toISOString(),
      endedAt: null as string | null
    }
    const repair = async (control?: JobControl): Promise<string> => {
      await this.#runRepair(job, numbers, control)
      return repairSummary(job)
    }
    let ran!: Promise<string>
    const jobs = this.#opts.jobs
    if (jobs === undefined) {
      job.id = `repair-${this.#nextJob++}`
      ran = repair()
    } else {
      // one job, two views: /repairs shows it as repair-N, /jobs as repair-N-XXXX (start calls
      // the run at once)
      const registered = jobs.start('repair', only === undefined ? null : `partition/${only}`, (control) => (ran = repair(control)))
      job.id = registered.id.slice(0, registered.id.lastIndexOf('-'))
    }
    this.#jobs.push(job)
    if (this.#jobs.length > MAX_JOBS) this.#jobs.splice(0, this.#jobs.length - MAX_JOBS)
    void ran.then(() => { job.state = 'done' }, (err: unknown) => {
      // a cancelled repair is a failed one here: RepairJob's states are a contract
      job.state = 'failed'
      job.failures.push(err instanceof Error && err.name === 'JobCancelledError' ? `cancelled after ${job.partitionsDone} of ${job.partitions} partitions` : describe(err))
    }).finally(() => { job.endedAt = new Date().toISOString() })
    return { ...job, failures: [...job.failures] }
  }

  /** A repair job by id (undefined: not one of the last MAX_JOBS on this node). */
  job (id: string): RepairJob | undefined {
    const job = this.#jobs.find((j) => j.id === id)
    return job === undefined ? undefined : { ...job, failures: [...job.failures] }
  }

  jobs (): RepairJob[] {
    return this.#jobs.map((j) => ({ ...j, failures: [...j.failures] }))
  }

  async #runRepair (job: { partitions: number, partitionsDone: number, comparisons: number, recordsFilled: number, recordsRepaired: number, bytes: number, divergent: number, failures: string[] }, numbers: readonly number[], control?: JobControl): Promise<void> {
    const { system, journal } = this.#opts
    /** What could not be compared, and why (the job's `left`). */
    const left: Array<{ item: string, why: string }> = []
    const report = (message: string): void => {
      control?.progress({ total: job.partitions, done: job.partitionsDone, failed: job.failures.length, left, message })
    }
    for (let i = 0; i < numbers.length; i += REPAIR_CHUNK) {
      // cancelled: stop between chunks (the chunk in flight finishes on its nodes)
      control?.signal.throwIfAborted()
      const chunk = numbers.slice(i, i + REPAIR_CHUNK)
      report(`comparing the replicas of partition${chunk.length === 1 ? '' : 's'} ${chunk.join(', ')}; ${job.recordsFilled + job.recordsRepaired} records moved so far`)
      const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
      const nodes = [...new Set(chunk.flatMap((p) => journal.placement(p).replicas))]
      await Promise.all(nodes.map(async (node) => {
        const mine = chunk.filter((p) => journal.placement(p).replicas.includes(node))
        try {
          let result: RepairResult
          if (node === system.node) {
            const ae = this.#opts.parts?.antiEntropy()
            if (ae === undefined) throw new Error('this node does not run anti-entropy')
            result = await ae.repair(mine)
          } else {
            if (status.get(node) === 'down') throw new Error('down')
            result = checkRepairResult(await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
              .ask<unknown>((replyTo) => ({ type: 'repair', partitions: mine, replyTo }), { timeout: REPAIR_ASK_MS }))
          }
          job.comparisons += result.peers
          job.recordsFilled += result.records
          job.recordsRepaired += result.repaired
          job.bytes += result.bytes
          job.divergent += result.divergent
          job.failures.push(...result.failures.slice(0, 16).map((f) => `${node}: ${f}`))
          left.push(...result.failures.slice(0, 16).map((f) => ({ item: node, why: f })))
        } catch (err) {
          job.failures.push(`${node}: partitions ${mine.join(', ')} not repaired: ${describe(err)}`)
          left.push({ item: `partitions ${mine.join(', ')} on ${node}`, why: `not repaired: ${describe(err)}` })
        }
      }))
      job.partitionsDone += chunk.length
      report(`compared the replicas of ${job.partitionsDone} of ${job.partitions} partitions; ${job.recordsFilled + job.recordsRepaired} records moved so far`)
    }
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
          if (start) void scrub.runOnce().catch(() => undefined)
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
        let h: HandOffStatus
        if (peerId === system.node) {
          const own = this.#opts.parts?.handOff?.()
          h = own === undefined ? { state: 'idle', partitions: 0, done: 0, waiting: [], since: 0 } : own.status
        } else {
          if (status.get(peerId) === 'down') throw new Error('down')
          h = checkHandOff(await system.actorAt<ReplicationMsg>({ node: peerId, path: REPLICATION_PATH }).ask<unknown>((replyTo) => ({ type: 'hand-off', replyTo }), { timeout: STATS_ASK_MS }))
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

/** Repair jobs a node remembers. */
const MAX_JOBS = 16

/** A repair's outcome in one line (its job's last message). */
function repairSummary (job: { partition: number | null, partitions: number, comparisons: number, recordsFilled: number, recordsRepaired: number, bytes: number, divergent: number, failures: readonly string[] }): string {
  const scope = job.partition === null ? `${job.partitions} partitions` : `partition ${job.partition}`
  const compared = job.comparisons === 0 ? 'no other replica to compare with' : `${job.comparisons} replica comparisons`
  return `${scope}, ${compared}; ${job.recordsFilled} records filled, ${job.recordsRepaired} repaired, ${job.bytes} bytes moved` +
    `${job.divergent > 0 ? `, ${job.divergent} entities whose replicas part` : ''}${job.failures.length > 0 ? `; ${job.failures.length} comparisons failed` : ''}`
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0

/** Another node's repair result, checked before the job counts it. */
function checkRepairResult (v: unknown): RepairResult {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['partitions', 'peers', 'records', 'repaired', 'bytes', 'divergent'].every((k) => isCount(r[k])) ||
    !Array.isArray(r.failures) || !r.failures.every((f) => typeof f === 'string')) {
    throw new Error('its answer is not a repair result')
  }
  return r as unknown as RepairResult
}

/** Another node's scrub statistics, checked. */
function checkScrubStats (v: unknown): ScrubStats {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || typeof r.running !== 'boolean' ||
    !['passes', 'startedAt', 'lastPassAt', 'scanned', 'expected', 'bytes', 'corruptFound', 'repaired', 'quarantined'].every((k) => isCount(r[k]))) {
    throw new Error('its answer is not scrub statistics')
  }
  return r as unknown as ScrubStats
}

/** A new replica's answer to a take-over, checked before a hand-off trusts it. */
export function checkTakeOverResult (v: unknown): TakeOverResult {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['records', 'repaired', 'divergent', 'movedOn'].every((k) => isCount(r[k])) ||
    !Array.isArray(r.peerNewer) || r.peerNewer.length > 100_000 || !r.peerNewer.every((e) => isEntityId(e))) {
    throw new Error('its answer is not a take-over result')
  }
  return r as unknown as TakeOverResult
}

/** A storage node's account of its catch-up, checked before an admin listing shows it. */
export function checkCatchUp (v: unknown): CatchUpStatus {
  const r = v as Record<string, unknown> | null
  const strings = (x: unknown): boolean => Array.isArray(x) && x.length <= 100_000 && x.every((w) => typeof w === 'string')
  if (r === null || typeof r !== 'object' || !isCount(r.partitions) || !isCount(r.caughtUp) || !strings(r.waiting) || !strings(r.replaced)) {
    throw new Error('its answer is not a catch-up status')
  }
  return r as unknown as CatchUpStatus
}

function checkHandOff (v: unknown): HandOffStatus {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['idle', 'handing-off', 'done'].includes(r.state as string) || !isCount(r.partitions) || !isCount(r.done) || !isCount(r.since) ||
    !Array.isArray(r.waiting) || r.waiting.length > 100_000 || !r.waiting.every((w) => typeof w === 'string')) {
    throw new Error('its answer is not a hand-off status')
  }
  return r as unknown as HandOffStatus
}
