import { createPlainCodec } from '../../../actors/index.ts'
import { BUCKET_CONCURRENCY, BUCKET_GROUP, DEFAULT_PASS_RECORDS, ENTITY_BATCH, MAX_SPANS, READ_PAGE_RECORDS, REPLICA_MERKLE_DEPTH, SPAN_BLOCK, SPAN_FANOUT } from '../constants.ts'
import { compareLogs, epochAt, floorOf, genAfter, matchPoint, revisedOf } from '../journal/log-summary.ts'
import type { LogSummary } from '../journal/log-summary.ts'
import type { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import type { ReplicaCore } from '../replica/replica-core.ts'
import type { ReplicaState } from '../replica/replica-storage.ts'
import type { StoredRecord } from '../replica/replica-protocol.ts'
import { diffLeaves } from './merkle-tree.ts'
import type { BucketEntry, PartitionPeer } from './partition-peer.ts'

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
   * epoch): a partition hand-off has them recovered before it lets the peer go. */
  readonly peerNewer: string[]
  /** Entities not brought level: the log here changed while they were being filled (an owner
   * wrote), or the peer could not serve a record its summary shows (lost or damaged there): the
   * next pass looks again. */
  readonly movedOn: number
  /** Entities whose tail here (never acknowledged: the logs parted and the peer's is the newer)
   * gave way to the peer's (ReplicaCore.adopt). */
  readonly adopted: number
  /** Entities whose floor here rose to the peer's (its records below it dropped, its snapshot
   * taken: docs/replication.md, "Rewrites and trims"). */
  readonly floors: number
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
export async function pullFrom (partition: number, storage: LevelReplicaStorage, core: ReplicaCore, peer: PartitionPeer, budget: PassBudget = { records: DEFAULT_PASS_RECORDS, bytes: Infinity }): Promise<PassResult> {
  return await new PartitionPull(partition, storage, core, peer, budget).run()
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

/** One pass (pullFrom), with what it counted so far: the budget is shared by the entities worked
 * on side by side. */
class PartitionPull {
  readonly #partition: number
  readonly #storage: LevelReplicaStorage
  readonly #core: ReplicaCore
  readonly #peer: PartitionPeer
  readonly #budget: PassBudget
  #bytes = 0
  #entities = 0
  #records = 0
  #repaired = 0
  #divergent = 0
  readonly #peerNewer: string[] = []
  #movedOn = 0
  #adopted = 0
  #floors = 0
  #budgetSpent = false
  /** Records of pages being read. */
  #reading = 0

  constructor (partition: number, storage: LevelReplicaStorage, core: ReplicaCore, peer: PartitionPeer, budget: PassBudget) {
    this.#partition = partition
    this.#storage = storage
    this.#core = core
    this.#peer = peer
    this.#budget = budget
  }

  async run (): Promise<PassResult> {
    const { buckets, compared } = await diffLeaves(this.#storage.tree(this.#partition), (level, from, count) => this.#counted(this.#peer.tree(level, from, count)), REPLICA_MERKLE_DEPTH)
    // differing buckets a group at a time: their listings asked a few at a time, then their
    // differing entities worked on a batch at a time, side by side: their states read together, and
    // their fills and repairs written together (the store's group commit puts them in one batch,
    // with one fsync)
    for (let g = 0; g < buckets.length; g += BUCKET_GROUP) {
      if (this.#spent()) {
        this.#budgetSpent = true
        break
      }
      const differing = await this.#differing(buckets.slice(g, g + BUCKET_GROUP))
      for (let c = 0; c < differing.length; c += ENTITY_BATCH) {
        if (this.#spent()) {
          this.#budgetSpent = true
          break
        }
        const batch = differing.slice(c, c + ENTITY_BATCH)
        const states = await this.#core.states(batch.map((e) => e.entity))
        // (every entity's work ends before the pass does, even when one fails)
        const failed = (await Promise.allSettled(batch.map(async (theirs, i) => { await this.#repairEntity(theirs, (states[i] as ReplicaState).summary) })))
          .find((r) => r.status === 'rejected')
        if (failed !== undefined) throw failed.reason
      }
    }
    return {
      compared,
      buckets: buckets.length,
      entities: this.#entities,
      records: this.#records,
      repaired: this.#repaired,
      divergent: this.#divergent,
      peerNewer: this.#peerNewer,
      movedOn: this.#movedOn,
      adopted: this.#adopted,
      floors: this.#floors,
      bytes: this.#bytes,
      budgetSpent: this.#budgetSpent
    }
  }

  async #counted<T> (answer: Promise<T>): Promise<T> {
    const value = await answer
    this.#bytes += sizeOf(value)
    return value
  }

  #spent (): boolean {
    return this.#records + this.#repaired >= this.#budget.records || this.#bytes >= this.#budget.bytes
  }

  /** The entities of a group of differing buckets whose digests differ from this replica's: the
   * listings asked a few at a time; equal digests, equal records: nothing to read (the digests are
   * kept in memory). */
  async #differing (group: readonly number[]): Promise<BucketEntry[]> {
    const listings: BucketEntry[][] = []
    let next = 0
    await Promise.all(Array.from({ length: Math.min(BUCKET_CONCURRENCY, group.length) }, async () => {
      while (next < group.length) {
        const k = next++
        listings[k] = await this.#counted(this.#peer.bucket(group[k] as number))
      }
    }))
    const differing: BucketEntry[] = []
    for (const theirs of listings.flat()) if (!equalBytes(theirs.digest, await this.#storage.entityDigest(theirs.entity))) differing.push(theirs)
    return differing
  }

  async #repairEntity (theirs: BucketEntry, mine: LogSummary): Promise<void> {
    if (this.#spent()) {
      this.#budgetSpent = true
      return
    }
    // 0. the peer's floor, when higher, with its snapshot (records below it go here too)
    const own = floorOf(theirs.summary) > floorOf(mine) ? await this.#takeFloor(theirs, mine) : mine
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
      ({ took, reached } = await this.#takeTail(theirs, adopt ? match : own.head, adopt ? matchEpoch as number : own.headEpoch, adopt))
      if (adopt) this.#adopted++
    } else if (parted) {
      // parted, and this replica's log is the newer: the peer takes it when it pulls
      this.#divergent++
      if (compareLogs(theirs.summary, own) < 0) this.#peerNewer.push(theirs.entity)
    }
    // 2. the prefix both logs agree on (through what was just taken): records missing or damaged here
    const upTo = took > 0 ? reached : Math.min(match, own.head, theirs.summary.head)
    if (upTo > 0 && (took === 0 || !equalBytes(theirs.digest, await this.#storage.entityDigest(theirs.entity)))) {
      const fixed = await this.#repairPrefix(theirs, upTo, took === 0 ? own.head : undefined)
      took += fixed
      this.#repaired += fixed
    }
    if (took > 0) this.#entities++
    // holding exactly the peer's records now, it holds every rewrite the peer holds whole
    if (genAfter(revisedOf(theirs.summary), revisedOf(own))) {
      await this.#core.takeRevised(theirs.entity, revisedOf(theirs.summary), async () => equalBytes(theirs.digest, await this.#storage.entityDigest(theirs.entity)))
    }
  }

  /** Takes the peer's floor and its snapshot (ReplicaCore.takeFloor); this replica's summary after. */
  async #takeFloor (theirs: BucketEntry, own: LogSummary): Promise<LogSummary> {
    const floor = floorOf(theirs.summary)
    const snapshot = await this.#peer.snapshot?.(theirs.entity)
    if (snapshot === undefined || snapshot === null || snapshot.seq < floor - 1) return own
    const took = await this.#core.takeFloor(theirs.entity, floor, epochAt(theirs.summary.segments, theirs.summary.head, floor - 1), snapshot)
    if (!took) return own
    this.#floors++
    return (await this.#core.state(theirs.entity)).summary
  }

  /** Takes the peer's records of an entity after `seq` (of epoch `prevEpoch`) page by page, the
   * first page adopted in place of this replica's tail when `adopt`; how many it took, and the seq
   * this log reaches as the peer's. */
  async #takeTail (theirs: BucketEntry, seq: number, prevEpoch: number, adopt: boolean): Promise<{ took: number, reached: number }> {
    let took = 0
    let reached = 0
    let first = adopt
    while (seq < theirs.summary.head && !this.#spent()) {
      // (entities are filled side by side: a page counts against the budget while it is read)
      const limit = Math.min(READ_PAGE_RECORDS, theirs.summary.head - seq, this.#budget.records - this.#records - this.#repaired - this.#reading)
      if (limit <= 0) {
        this.#budgetSpent = true
        break
      }
      this.#reading += limit
      const page = await this.#counted(this.#peer.read(theirs.entity, seq + 1, limit)).finally(() => { this.#reading -= limit })
      const last = page[page.length - 1]
      if (last === undefined) {
        // the peer could not serve what its summary says it holds (a record lost or damaged
        // there): not done, whatever was taken
        this.#movedOn++
        break
      }
      // the page must be the records the summary listed (each of the epoch it says at its seq):
      // the peer's log may have changed since (an adoption there cut the tail this log matched
      // and wrote a newer epoch's records in its place), and records that follow another
      // record at `seq` than this log's would be filled onto the wrong prefix (simulator seed 564,
      // with lease batches: epoch-1162 records appended after an unacknowledged epoch-83 tail). By log
      // matching, a record of the listed epoch means the peer's log up to it is still the listed one
      if (!page.every((r) => epochAt(theirs.summary.segments, theirs.summary.head, r.seq) === r.epoch)) {
        this.#movedOn++
        break
      }
      const promise = { epoch: theirs.summary.promised, by: theirs.promisedBy }
      const done = first
        ? await this.#core.adopt(theirs.entity, seq, prevEpoch, theirs.summary.headEpoch, page, promise)
        : await this.#core.fill(theirs.entity, seq, prevEpoch, page, promise)
      if (done === 'moved-on') {
        this.#movedOn++
        break
      }
      first = false
      seq = last.seq
      prevEpoch = last.epoch
      took += page.length
      this.#records += page.length
      reached = seq
    }
    return { took, reached }
  }

  /** Puts back what this replica misses or holds damaged in [1, upTo] of an entity: spans of
   * seqs compared by their digests, a differing span split in SPAN_FANOUT, down to blocks of
   * SPAN_BLOCK seqs, whose records this replica checks itself. */
  async #repairPrefix (theirs: BucketEntry, upTo: number, ownHead: number | undefined): Promise<number> {
    const entity = theirs.entity
    // this replica holds exactly [1, upTo] when its head is there (and nothing was taken since it
    // looked): its kept entity digest is the prefix's, and one digest from the peer tells whether
    // anything in it differs
    if (upTo === ownHead) {
      // (the peer's whole log is that prefix when its head is there too: its digest was listed)
      const [whole] = upTo === theirs.summary.head ? [theirs.digest] : await this.#counted(this.#peer.spans(entity, 1, upTo, upTo))
      if (equalBytes(whole, await this.#storage.entityDigest(entity))) return 0
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
      for (let at = from; at <= to && !this.#spent(); at += width * MAX_SPANS) {
        const end = Math.min(to, at + width * MAX_SPANS - 1)
        const [their, ours] = await Promise.all([this.#counted(this.#peer.spans(entity, at, end, width)), this.#storage.spanDigests(entity, at, end, width)])
        for (let i = 0; i < ours.length && !this.#spent(); i++) {
          if (equalBytes(their[i], ours[i] as Uint8Array)) continue
          const a = at + i * width
          if (width === SPAN_BLOCK) for (let seq = a; seq <= Math.min(end, a + width - 1); seq++) wanted.push(seq)
          else await descend(a, Math.min(end, a + width - 1), Math.max(SPAN_BLOCK, width / SPAN_FANOUT))
        }
      }
    }
    // (from the block of this replica's floor: nothing below it is ever put back)
    const first = Math.floor((floorOf((await this.#core.state(entity)).summary) - 1) / span) * span + 1
    await descend(first, upTo, span)
    if (wanted.length === 0) return 0
    // every run read at once, and put back in one write
    const pages = await Promise.all(runsOf(wanted).map(async (run) => await this.#readRun(entity, run)))
    return await this.#core.repair(entity, pages.flat(), theirs.summary)
  }

  /** The peer's records of a run of seqs; where it holds one damaged (its read fails as a broken
   * seal does), the others one at a time: what it can serve is still taken. */
  async #readRun (entity: string, run: { from: number, count: number }): Promise<StoredRecord[]> {
    const inRun = (r: StoredRecord): boolean => r.seq >= run.from && r.seq < run.from + run.count
    try {
      return (await this.#counted(this.#peer.read(entity, run.from, run.count))).filter(inRun)
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'CorruptRecordError') throw err
    }
    const out: StoredRecord[] = []
    for (let seq = run.from; seq < run.from + run.count; seq++) {
      try {
        out.push(...(await this.#counted(this.#peer.read(entity, seq, 1))).filter(inRun))
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
