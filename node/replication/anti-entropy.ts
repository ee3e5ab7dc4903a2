import { READ_PAGE_RECORDS } from './constants.ts'
import { matchPoint } from './log-summary.ts'
import type { LogSummary } from './log-summary.ts'
import type { LevelReplicaStorage } from './level-replica-storage.ts'
import { REPLICA_MERKLE_DEPTH } from './level-replica-storage.ts'
import { diffLeaves } from './merkle-tree.ts'
import type { ReplicaCore } from './replica-core.ts'
import type { StoredRecord } from './replica-protocol.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'

/** An entity of a differing bucket as a peer replica shows it. */
export interface BucketEntry {
  readonly entity: string
  readonly summary: LogSummary
  /** The activation its promise was made to. */
  readonly promisedBy: string
}

/** What anti-entropy asks of another replica of the partition (over the mesh, or in-process). */
export interface PartitionPeer {
  /** Hashes of one level of its tree, `from` on, at most `count`. */
  tree (level: number, from: number, count: number): Promise<Uint8Array[]>
  /** The entities of one bucket it holds, with their summaries. */
  bucket (bucket: number): Promise<BucketEntry[]>
  /** Its records of an entity from `from` on (each seal verified as it reads them). */
  read (entity: string, from: number, limit: number): Promise<StoredRecord[]>
}

/** What one pass did. */
export interface PassResult {
  /** Tree hashes fetched from the peer (1 when the roots were equal). */
  readonly compared: number
  readonly buckets: number
  /** Entities whose missing records were filled. */
  readonly entities: number
  readonly records: number
  /** Entities whose logs part from the peer's (left to the owners' recovery for now). */
  readonly divergent: number
  /** True when the record budget ran out before the pass ended (the next pass goes on). */
  readonly budgetSpent: boolean
}

/**
 * This replica's side of a peer's pass: its tree, its buckets and its records of `partition`.
 */
export function replicaPeer (partition: number, storage: LevelReplicaStorage, core: ReplicaCore): PartitionPeer {
  return {
    tree: async (level, from, count) => storage.tree(partition).level(level, from, count),
    bucket: async (bucket) => await Promise.all((await storage.entitiesInBucket(partition, bucket)).map(async (entity) => {
      const { summary, promisedBy } = await core.state(entity)
      return { entity, summary, promisedBy }
    })),
    read: async (entity, from, limit) => await core.handle({ op: 'read', entity, from, limit })
  }
}

/**
 * One anti-entropy pass of this replica of `partition` against one peer (docs/replication.md,
 * "Anti-entropy"): compares roots, descends only into differing buckets, and pulls the records it
 * misses where its log is a prefix of the peer's, at most `maxRecords` of them. It changes only
 * this replica, only by filling after its head (ReplicaCore.fill).
 */
export async function pullFrom (partition: number, storage: LevelReplicaStorage, core: ReplicaCore, peer: PartitionPeer, maxRecords = 100_000): Promise<PassResult> {
  const { buckets, compared } = await diffLeaves(storage.tree(partition), (level, from, count) => peer.tree(level, from, count), REPLICA_MERKLE_DEPTH)
  let entities = 0
  let records = 0
  let divergent = 0
  let budgetSpent = false
  for (const bucket of buckets) {
    for (const theirs of await peer.bucket(bucket)) {
      if (records >= maxRecords) {
        budgetSpent = true
        break
      }
      const own = (await core.state(theirs.entity)).summary
      if (theirs.summary.head <= own.head) {
        // as long or longer here: equal, or ahead (the peer pulls), or parted at the same length
        if (matchPoint(theirs.summary, own) < Math.min(own.head, theirs.summary.head)) divergent++
        continue
      }
      if (matchPoint(theirs.summary, own) < own.head) {
        divergent++
        continue
      }
      let seq = own.head
      let prevEpoch = own.headEpoch
      let filled = 0
      while (seq < theirs.summary.head && records < maxRecords) {
        const page = await peer.read(theirs.entity, seq + 1, Math.min(READ_PAGE_RECORDS, theirs.summary.head - seq, maxRecords - records))
        const last = page[page.length - 1]
        if (last === undefined) break
        const done = await core.fill(theirs.entity, seq, prevEpoch, page, { epoch: theirs.summary.promised, by: theirs.promisedBy })
        if (done === 'moved-on') break
        seq = last.seq
        prevEpoch = last.epoch
        filled += page.length
        records += page.length
      }
      if (filled > 0) entities++
    }
  }
  return { compared, buckets: buckets.length, entities, records, divergent, budgetSpent }
}

/** Totals of anti-entropy on this node (metrics, admin). */
export interface AntiEntropyStats {
  passes: number
  /** ms since the epoch when the last full pass over this node's partitions ended (0: none yet). */
  lastPassAt: number
  partitionsCompared: number
  /** Partitions found differing from the peer compared with. */
  partitionsDiffering: number
  recordsFilled: number
  divergent: number
  /** Peers that could not be asked (down, unreachable, a bad answer). */
  failures: number
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
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

/**
 * Anti-entropy on one storage node (docs/replication.md): every `intervalMs`, for each partition
 * this node is a replica of, one pass against another live replica of it (taken in turn, so every
 * pair meets), pulling what this node misses within the pass's record budget.
 */
export class AntiEntropy {
  readonly stats: AntiEntropyStats = { passes: 0, lastPassAt: 0, partitionsCompared: 0, partitionsDiffering: 0, recordsFilled: 0, divergent: 0, failures: 0 }
  readonly #opts: AntiEntropyOptions
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<PassResult[]> | undefined
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
    this.#running ??= this.#pass().finally(() => { this.#running = undefined })
    return this.#running
  }

  async #pass (): Promise<PassResult[]> {
    const { self, journal, log } = this.#opts
    const results: PassResult[] = []
    let budget = this.#opts.maxRecords
    const live = this.#opts.live()
    this.#turn++
    for (let p = 0; p < journal.partitions && !this.#stopped; p++) {
      const { replicas } = journal.placement(p)
      if (!replicas.includes(self)) continue
      const others = replicas.filter((n) => n !== self && live.has(n))
      if (others.length === 0) continue
      const node = others[(this.#turn + p) % others.length] as string
      try {
        const result = await pullFrom(p, journal.storage, journal.core(p), this.#opts.peer(node, p), Math.max(0, budget))
        results.push(result)
        budget -= result.records
        this.stats.partitionsCompared++
        if (result.buckets > 0) this.stats.partitionsDiffering++
        this.stats.recordsFilled += result.records
        this.stats.divergent += result.divergent
        if (result.records > 0) log.info({ partition: p, peer: node, records: result.records, entities: result.entities }, `anti-entropy: partition ${p} took ${result.records} records it missed from ${node}`)
      } catch (err) {
        this.stats.failures++
        log.warn({ partition: p, peer: node, err }, `anti-entropy: partition ${p} could not be compared with ${node}: ${(err as Error).message}`)
      }
    }
    this.stats.passes++
    this.stats.lastPassAt = Date.now()
    return results
  }
}
