import { createPlainCodec } from '../../actors/index.ts'
import { READ_PAGE_RECORDS } from './constants.ts'
import { compareLogs, epochAt, matchPoint } from './log-summary.ts'
import type { LogSummary } from './log-summary.ts'
import type { LevelReplicaStorage } from './level-replica-storage.ts'
import { REPLICA_MERKLE_DEPTH, SPAN_BLOCK } from './level-replica-storage.ts'
import { diffLeaves } from './merkle-tree.ts'
import type { ReplicaCore, ReplicaState } from './replica-core.ts'
import type { StoredRecord } from './replica-protocol.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'

/** An entity of a differing bucket as a peer replica shows it. */
export interface BucketEntry {
  readonly entity: string
  readonly summary: LogSummary
  /** The activation its promise was made to. */
  readonly promisedBy: string
  /** The XOR of its records' digests there (LevelReplicaStorage.entityDigest). */
  readonly digest: Uint8Array
}

/** What anti-entropy asks of another replica of the partition (over the mesh, or in-process). */
export interface PartitionPeer {
  /** Hashes of one level of its tree, `from` on, at most `count`. */
  tree (level: number, from: number, count: number): Promise<Uint8Array[]>
  /** The entities of one bucket it holds, with their summaries and digests. */
  bucket (bucket: number): Promise<BucketEntry[]>
  /** The XOR of its record digests of an entity for each span of `span` seqs in [from, to]. */
  spans (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]>
  /** Its records of an entity from `from` on (each seal verified as it reads them). */
  read (entity: string, from: number, limit: number): Promise<StoredRecord[]>
  /** The entities of the partition it keeps a state of, in id order after `after` ('' from the
   * first), at most `limit`, with their summaries there (a backup's listing). */
  entities (after: string, limit: number): Promise<EntitySummary[]>
}

/** An entity as one replica holds it. */
export interface EntitySummary {
  readonly entity: string
  readonly summary: LogSummary
}

/** What one pass did. */
export interface PassResult {
  /** Tree hashes fetched from the peer (1 when the roots were equal). */
  readonly compared: number
  readonly buckets: number
  /** Entities that took records (filled after the head or repaired before it). */
  readonly entities: number
  /** Records appended after this replica's head (it missed them). */
  readonly records: number
  /** Records put back before the head (missing from the middle of the log, or damaged). */
  readonly repaired: number
  /** Entities whose logs part from the peer's (left to the owners' recovery). */
  readonly divergent: number
  /** Of those, the ones whose log on the peer is the one recovery would choose (a newer last
   * epoch): a hand-off has them recovered before it lets the peer go. */
  readonly peerNewer: string[]
  /** Entities not brought level: the log here changed while they were being filled (an owner
   * wrote), or the peer could not serve a record its summary shows (lost or damaged there): the
   * next pass looks again. */
  readonly movedOn: number
  /** Entities whose tail here (never acknowledged: the logs parted and the peer's is the newer)
   * gave way to the peer's (ReplicaCore.adopt). */
  readonly adopted: number
  /** What the peer sent, as the node's codec encodes it: hashes, listings, digests and records. */
  readonly bytes: number
  /** True when the budget ran out before the pass ended (the next pass goes on). */
  readonly budgetSpent: boolean
}

/** The record and byte budget of one pass. */
export interface PassBudget {
  readonly records: number
  readonly bytes: number
}

/** A differing span of seqs is split in this many when an entity's logs are compared (spans of
 * 16^k seqs, down to blocks of SPAN_BLOCK, whose records the replica checks itself). */
export const SPAN_FANOUT = 16
/** Bucket listings one pass asks for at once. */
const BUCKET_CONCURRENCY = 8
/** Differing buckets whose listings are taken before their entities are worked on. */
const BUCKET_GROUP = 64
/** Differing entities worked on side by side: their states are read together, and their fills and
 * repairs share the store's batches (one fsync for all), while the requests to the peer in flight
 * stay bounded. */
const ENTITY_BATCH = 64
/** Most spans one comparison asks for. */
export const MAX_SPANS = 4_096

/**
 * This replica's side of a peer's pass: its tree, its buckets and its records of `partition`.
 */
export function replicaPeer (partition: number, storage: LevelReplicaStorage, core: ReplicaCore): PartitionPeer {
  return {
    tree: async (level, from, count) => storage.tree(partition).level(level, from, count),
    bucket: async (bucket) => {
      const entities = await storage.entitiesInBucket(partition, bucket)
      // their states read together (those not in memory: one read of the store)
      const states = await core.states(entities)
      return await Promise.all(entities.map(async (entity, i) => {
        const { summary, promisedBy } = states[i] as ReplicaState
        return { entity, summary, promisedBy, digest: await storage.entityDigest(entity) }
      }))
    },
    spans: async (entity, from, to, span) => await storage.spanDigests(entity, from, to, span),
    read: async (entity, from, limit) => await core.handle({ op: 'read', entity, from, limit }),
    entities: async (after, limit) => {
      const entities = await storage.entitiesOfPartition(partition, after, limit)
      const states = await core.states(entities)
      return entities.map((entity, i) => ({ entity, summary: (states[i] as ReplicaState).summary }))
    }
  }
}

const codec = createPlainCodec()
/** An answer's size as the node's codec encodes it; a list of 32-byte hashes (a tree level, span
 * digests: most answers) counted without encoding it (an array header, and a bin 8 of each). */
const sizeOf = (value: unknown): number => {
  if (Array.isArray(value) && value.every((h) => h instanceof Uint8Array && h.byteLength === 32)) {
    return (value.length < 16 ? 1 : value.length < 65_536 ? 3 : 5) + value.length * 34
  }
  return codec.encode(value).byteLength
}

/**
 * One anti-entropy pass of this replica of `partition` against one peer (docs/replication.md,
 * "Anti-entropy"): compares roots, descends only into differing buckets, and there compares each
 * entity's digest with the peer's. Where they differ, what the peer holds after this replica's
 * head, where this log is a prefix of the peer's, is appended (ReplicaCore.fill; or, where the logs
 * part and the peer's is the newer, taken in place of this tail: ReplicaCore.adopt); then, unless
 * the digests are equal now, the prefix both logs agree on is compared span by span down to blocks
 * of records, and what this replica misses or holds damaged there is put back (ReplicaCore.repair).
 * Differing entities are worked on a batch at a time, side by side. Only this replica changes, and
 * never over a record that reads correctly here or of a newer epoch. Stops within `budget`.
 */
export async function pullFrom (partition: number, storage: LevelReplicaStorage, core: ReplicaCore, peer: PartitionPeer, budget: PassBudget = { records: 100_000, bytes: Infinity }): Promise<PassResult> {
  let bytes = 0
  const counted = async <T>(answer: Promise<T>): Promise<T> => {
    const value = await answer
    bytes += sizeOf(value)
    return value
  }
  const { buckets, compared } = await diffLeaves(storage.tree(partition), (level, from, count) => counted(peer.tree(level, from, count)), REPLICA_MERKLE_DEPTH)
  let entities = 0
  let records = 0
  let repaired = 0
  let divergent = 0
  const peerNewer: string[] = []
  let movedOn = 0
  let adopted = 0
  let budgetSpent = false
  /** Records of pages being read. */
  let reading = 0
  const spent = (): boolean => records + repaired >= budget.records || bytes >= budget.bytes
  // differing buckets a group at a time: their listings asked a few at a time, then their
  // differing entities worked on a batch at a time, side by side: their states read together, and
  // their fills and repairs written together (the store's group commit puts them in one batch,
  // with one fsync)
  for (let g = 0; g < buckets.length; g += BUCKET_GROUP) {
    if (spent()) {
      budgetSpent = true
      break
    }
    const group = buckets.slice(g, g + BUCKET_GROUP)
    const listings: BucketEntry[][] = []
    let next = 0
    await Promise.all(Array.from({ length: Math.min(BUCKET_CONCURRENCY, group.length) }, async () => {
      while (next < group.length) {
        const k = next++
        listings[k] = await counted(peer.bucket(group[k] as number))
      }
    }))
    // equal digests, equal records: nothing to read (the digests are kept in memory)
    const differing: BucketEntry[] = []
    for (const theirs of listings.flat()) if (!equalBytes(theirs.digest, await storage.entityDigest(theirs.entity))) differing.push(theirs)
    for (let c = 0; c < differing.length; c += ENTITY_BATCH) {
      if (spent()) {
        budgetSpent = true
        break
      }
      const batch = differing.slice(c, c + ENTITY_BATCH)
      const states = await core.states(batch.map((e) => e.entity))
      // (every entity's work ends before the pass does, even when one fails)
      const failed = (await Promise.allSettled(batch.map(async (theirs, i) => { await repairEntity(theirs, (states[i] as ReplicaState).summary) })))
        .find((r) => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    }
  }
  return { compared, buckets: buckets.length, entities, records, repaired, divergent, peerNewer, movedOn, adopted, bytes, budgetSpent }

  async function repairEntity (theirs: BucketEntry, own: LogSummary): Promise<void> {
    if (spent()) {
      budgetSpent = true
      return
    }
    const match = matchPoint(theirs.summary, own)
    let took = 0
    // 1. after this head, where this log is a prefix of the peer's; or, where the logs part and
    // the peer's is the newer (a higher last epoch), after the match: this replica's tail there
    // was never acknowledged and gives way to the peer's (step 5, ReplicaCore.adopt). First, so
    // that a replica that only missed a tail is then equal, as its kept digest shows (step 2 reads
    // nothing for it)
    const parted = match < Math.min(own.head, theirs.summary.head)
    const matchEpoch = match === 0 ? 0 : epochAt(theirs.summary.segments, theirs.summary.head, match)
    const adopt = parted && theirs.summary.headEpoch > own.headEpoch && compareLogs(theirs.summary, own) < 0 && matchEpoch !== undefined
    // where this log reaches as the peer's, once records were taken
    let reached = 0
    if ((theirs.summary.head > own.head && match >= own.head) || adopt) {
      let seq = adopt ? match : own.head
      let prevEpoch = adopt ? matchEpoch as number : own.headEpoch
      let first = adopt
      while (seq < theirs.summary.head && !spent()) {
        // (entities are filled side by side: a page counts against the budget while it is read)
        const limit = Math.min(READ_PAGE_RECORDS, theirs.summary.head - seq, budget.records - records - repaired - reading)
        if (limit <= 0) {
          budgetSpent = true
          break
        }
        reading += limit
        const page = await counted(peer.read(theirs.entity, seq + 1, limit)).finally(() => { reading -= limit })
        const last = page[page.length - 1]
        if (last === undefined) {
          // the peer could not serve what its summary says it holds (a record lost or damaged
          // there): not done, whatever was taken
          movedOn++
          break
        }
        const promise = { epoch: theirs.summary.promised, by: theirs.promisedBy }
        const done = first
          ? await core.adopt(theirs.entity, seq, prevEpoch, theirs.summary.headEpoch, page, promise)
          : await core.fill(theirs.entity, seq, prevEpoch, page, promise)
        if (done === 'moved-on') {
          movedOn++
          break
        }
        first = false
        seq = last.seq
        prevEpoch = last.epoch
        took += page.length
        records += page.length
        reached = seq
      }
      if (adopt) adopted++
    } else if (parted) {
      // parted, and this replica's log is the newer: the peer takes it when it pulls
      divergent++
      if (compareLogs(theirs.summary, own) < 0) peerNewer.push(theirs.entity)
    }
    // 2. the prefix both logs agree on (through what was just taken): records missing or damaged here
    const upTo = took > 0 ? reached : Math.min(match, own.head, theirs.summary.head)
    if (upTo > 0 && (took === 0 || !equalBytes(theirs.digest, await storage.entityDigest(theirs.entity)))) {
      const fixed = await repairPrefix(theirs, upTo, took === 0 ? own.head : undefined)
      took += fixed
      repaired += fixed
    }
    if (took > 0) entities++
  }

  /** Puts back what this replica misses or holds damaged in [1, upTo] of an entity: spans of
   * seqs compared by their digests, a differing span split in SPAN_FANOUT, down to blocks of
   * SPAN_BLOCK seqs, whose records this replica checks itself. */
  async function repairPrefix (theirs: BucketEntry, upTo: number, ownHead: number | undefined): Promise<number> {
    const entity = theirs.entity
    // this replica holds exactly [1, upTo] when its head is there (and nothing was taken since it
    // looked): its kept entity digest is the prefix's, and one digest from the peer tells whether
    // anything in it differs
    if (upTo === ownHead) {
      // (the peer's whole log is that prefix when its head is there too: its digest was listed)
      const [whole] = upTo === theirs.summary.head ? [theirs.digest] : await counted(peer.spans(entity, 1, upTo, upTo))
      if (equalBytes(whole, await storage.entityDigest(entity))) return 0
    }
    const wanted: number[] = []
    // spans of 16^k seqs, down to blocks of SPAN_BLOCK: both sides sum them from their kept span
    // digests, so an entity is narrowed down to the few records of a block without reading either
    // store; the peer's records of a block that differs are taken, and ReplicaCore.repair puts back
    // those this replica misses or holds damaged (a block that differs while every record here
    // reads correctly is the peer's damage: it repairs from here when it pulls)
    let span = SPAN_FANOUT
    while (span * SPAN_FANOUT < upTo) span *= SPAN_FANOUT
    const descend = async (from: number, to: number, width: number): Promise<void> => {
      for (let at = from; at <= to && !spent(); at += width * MAX_SPANS) {
        const end = Math.min(to, at + width * MAX_SPANS - 1)
        const [their, ours] = await Promise.all([counted(peer.spans(entity, at, end, width)), storage.spanDigests(entity, at, end, width)])
        for (let i = 0; i < ours.length && !spent(); i++) {
          if (equalBytes(their[i], ours[i] as Uint8Array)) continue
          const a = at + i * width
          if (width === SPAN_BLOCK) for (let seq = a; seq <= Math.min(end, a + width - 1); seq++) wanted.push(seq)
          else await descend(a, Math.min(end, a + width - 1), Math.max(SPAN_BLOCK, width / SPAN_FANOUT))
        }
      }
    }
    await descend(1, upTo, span)
    if (wanted.length === 0) return 0
    // every run read at once, and put back in one write
    const pages = await Promise.all(runsOf(wanted).map(async (run) => await readRun(entity, run)))
    return await core.repair(entity, pages.flat(), theirs.summary)
  }

  /** The peer's records of a run of seqs; where it holds one damaged (its read fails as a broken
   * seal does), the others one at a time: what it can serve is still taken. */
  async function readRun (entity: string, run: { from: number, count: number }): Promise<StoredRecord[]> {
    const inRun = (r: StoredRecord): boolean => r.seq >= run.from && r.seq < run.from + run.count
    try {
      return (await counted(peer.read(entity, run.from, run.count))).filter(inRun)
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'CorruptRecordError') throw err
    }
    const out: StoredRecord[] = []
    for (let seq = run.from; seq < run.from + run.count; seq++) {
      try {
        out.push(...(await counted(peer.read(entity, seq, 1))).filter(inRun))
      } catch (err) {
        if ((err as { name?: unknown }).name !== 'CorruptRecordError') throw err
      }
    }
    return out
  }
}

/** Consecutive seqs as runs. */
function runsOf (seqs: readonly number[]): Array<{ from: number, count: number }> {
  const out: Array<{ from: number, count: number }> = []
  for (const seq of seqs) {
    const last = out[out.length - 1]
    if (last !== undefined && last.from + last.count === seq) last.count++
    else out.push({ from: seq, count: 1 })
  }
  return out
}

function equalBytes (a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Totals of anti-entropy on this node (metrics, admin). */
export interface AntiEntropyStats {
  passes: number
  /** ms since the epoch when the last full pass over this node's partitions ended (0: none yet). */
  lastPassAt: number
  partitionsCompared: number
  /** Partitions found differing from the peer compared with. */
  partitionsDiffering: number
  /** Records appended after a head (missed while down). */
  recordsFilled: number
  /** Records put back before a head (missing from the middle, or damaged). */
  recordsRepaired: number
  /** What peers sent for the passes (hashes, listings, digests, records). */
  bytes: number
  divergent: number
  /** Peers that could not be asked (down, unreachable, a bad answer). */
  failures: number
}

/** One partition replica here, as repairs left it (admin). */
export interface PartitionRepairState {
  /** ms since the epoch when a pass last compared it with another replica. */
  lastComparedAt: number
  /** ms since the epoch when a pass last took records for it (0: never). */
  lastRepairAt: number
  /** Records taken for it since the node started (filled and repaired). */
  records: number
}

export interface AntiEntropyOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  /** Another replica of a partition, as anti-entropy asks it. */
  readonly peer: (node: string, partition: number) => PartitionPeer
  /** Members heard and not down. */
  readonly live: () => ReadonlySet<string>
  /** ms between passes; 0: never by itself (runOnce still works). */
  readonly intervalMs: number
  /** Records one pass may copy here. */
  readonly maxRecords: number
  /** Bytes one pass may take from peers. @default Infinity */
  readonly maxBytes?: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

/** What a repair of some partitions on this node did (admin's repair job). */
export interface RepairResult {
  readonly partitions: number
  readonly peers: number
  readonly records: number
  readonly repaired: number
  readonly bytes: number
  readonly divergent: number
  readonly failures: string[]
}

/**
 * Anti-entropy on one storage node (docs/replication.md): every `intervalMs`, for each partition
 * this node is a replica of, one pass against another live replica of it (taken in turn, so every
 * pair meets), pulling what this node misses within the pass's budget. A repair (admin) compares
 * with every live replica at once, without a budget.
 */
export class AntiEntropy {
  readonly stats: AntiEntropyStats = { passes: 0, lastPassAt: 0, partitionsCompared: 0, partitionsDiffering: 0, recordsFilled: 0, recordsRepaired: 0, bytes: 0, divergent: 0, failures: 0 }
  /** Per partition this node compared: when, and what it took. */
  readonly partitions = new Map<number, PartitionRepairState>()
  readonly #opts: AntiEntropyOptions
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<PassResult[]> | undefined
  /** One pass or repair at a time: they would pull the same records twice. */
  #queue: Promise<unknown> = Promise.resolve()
  #stopped = false
  #turn = 0

  constructor (opts: AntiEntropyOptions) {
    this.#opts = opts
  }

  start (): void {
    if (this.#opts.intervalMs <= 0 || this.#timer !== undefined || this.#stopped) return
    const tick = (): void => {
      void this.runOnce().catch(() => undefined).finally(() => {
        if (!this.#stopped) {
          this.#timer = setTimeout(tick, this.#opts.intervalMs)
          this.#timer.unref()
        }
      })
    }
    this.#timer = setTimeout(tick, this.#opts.intervalMs)
    this.#timer.unref()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
  }

  /** One pass over every partition this node is a replica of (one at a time; a pass already
   * running is joined, not doubled). */
  runOnce (): Promise<PassResult[]> {
    this.#running ??= this.#serial(() => this.#pass()).finally(() => { this.#running = undefined })
    return this.#running
  }

  /**
   * Repairs `partitions` (those this node is a replica of) against every other live replica of
   * each, without a budget: what an admin's repair job asks of each replica.
   */
  repair (partitions: readonly number[]): Promise<RepairResult> {
    return this.#serial(async () => {
      const { self, journal } = this.#opts
      const live = this.#opts.live()
      const out = { partitions: 0, peers: 0, records: 0, repaired: 0, bytes: 0, divergent: 0, failures: [] as string[] }
      for (const p of partitions) {
        if (this.#stopped) break
        const { replicas } = journal.placement(p)
        if (!replicas.includes(self)) continue
        out.partitions++
        for (const node of replicas.filter((n) => n !== self && live.has(n))) {
          const result = await this.#compare(p, node, { records: Infinity, bytes: Infinity })
          if (typeof result === 'string') {
            out.failures.push(result)
            continue
          }
          out.peers++
          out.records += result.records
          out.repaired += result.repaired
          out.bytes += result.bytes
          out.divergent += result.divergent
        }
      }
      return out
    })
  }

  /**
   * Takes everything `from` holds of `partition` that this replica misses (a hand-off: `from` is
   * leaving, this node is one of the partition's new replicas), without a budget. Rejects when
   * `from` could not be compared with.
   */
  takeOver (partition: number, from: string): Promise<PassResult> {
    return this.#serial(async () => {
      const result = await this.#compare(partition, from, { records: Infinity, bytes: Infinity })
      if (typeof result === 'string') throw new Error(result)
      return result
    })
  }

  #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #pass (): Promise<PassResult[]> {
    const { self, journal } = this.#opts
    const results: PassResult[] = []
    let records = this.#opts.maxRecords
    let bytes = this.#opts.maxBytes ?? Infinity
    const live = this.#opts.live()
    this.#turn++
    for (let p = 0; p < journal.partitions && !this.#stopped; p++) {
      const { replicas } = journal.placement(p)
      if (!replicas.includes(self)) continue
      const others = replicas.filter((n) => n !== self && live.has(n))
      if (others.length === 0) continue
      const result = await this.#compare(p, others[(this.#turn + p) % others.length] as string, { records: Math.max(0, records), bytes: Math.max(0, bytes) })
      if (typeof result === 'string') continue
      results.push(result)
      records -= result.records + result.repaired
      bytes -= result.bytes
    }
    this.stats.passes++
    this.stats.lastPassAt = Date.now()
    return results
  }

  /** One partition against one peer; the failure's text when the peer could not be compared with. */
  async #compare (p: number, node: string, budget: PassBudget): Promise<PassResult | string> {
    const { journal, log } = this.#opts
    try {
      const result = await pullFrom(p, journal.storage, journal.core(p), this.#opts.peer(node, p), budget)
      this.stats.partitionsCompared++
      if (result.buckets > 0) this.stats.partitionsDiffering++
      this.stats.recordsFilled += result.records
      this.stats.recordsRepaired += result.repaired
      this.stats.bytes += result.bytes
      this.stats.divergent += result.divergent
      const now = Date.now()
      const state = this.partitions.get(p) ?? { lastComparedAt: 0, lastRepairAt: 0, records: 0 }
      state.lastComparedAt = now
      if (result.records + result.repaired > 0) {
        state.lastRepairAt = now
        state.records += result.records + result.repaired
        log.info({ partition: p, peer: node, filled: result.records, repaired: result.repaired, entities: result.entities, bytes: result.bytes },
          `anti-entropy: partition ${p} took ${result.records + result.repaired} records from ${node} (${result.records} it missed after its heads, ${result.repaired} missing or damaged before)`)
      }
      this.partitions.set(p, state)
      return result
    } catch (err) {
      this.stats.failures++
      log.warn({ partition: p, peer: node, err }, `anti-entropy: partition ${p} could not be compared with ${node}: ${(err as Error).message}`)
      return `partition ${p} with ${node}: ${(err as Error).message}`
    }
  }
}
