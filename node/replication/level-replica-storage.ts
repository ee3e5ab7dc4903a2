import { createPlainCodec } from '../../actors/index.ts'
import type { PlainCodec } from '../../actors/index.ts'
import { CorruptRecordError, SEAL_HEADER_BYTES, sealDigest, sealIntact as intact } from '../storage/index.ts'
import type { LevelStore, StoreOp } from '../storage/index.ts'
import type { ReplicaChange, ReplicaState, ReplicaStorage } from './replica-core.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'
import { partitionOf } from './partitioning.ts'
import { DEFAULT_PARTITIONS } from './constants.ts'
import { PartitionsMismatchError } from './errors.ts'
import { withRecords } from './log-summary.ts'
import { MerkleTree, bucketOf } from './merkle-tree.ts'

/**
 * Replicas on the node's LevelDB. Every key starts with its partition, so one partition's records
 * are one contiguous, sorted range (what the Merkle trees of anti-entropy walk):
 *
 * | key | value |
 * | --- | --- |
 * | `r\0<partition, 4 hex>\0<entity>\0<seq, 16 hex>` | a record: `{ e: epoch, v: event }` |
 * | `e\0<partition>\0<entity>` | the entity's replica state (promise, head, segments) |
 * | `p\0<partition>\0<entity>` | its latest snapshot `{ seq, state }` |
 *
 * A store of format 1 (one journal per entity, keys `j\0…` and `s\0…`) is upgraded in place when
 * opened: its records become this replica's, of epoch 1, one entity per atomic batch (a crash
 * half-way resumes where it stopped).
 */
/** What one replica holds of one partition. */
export interface PartitionStats {
  entities: number
  records: number
  epoch: number
  /** The root of the partition's Merkle tree here, hex. */
  root: string
}

/** Leaves of each partition's Merkle tree here: 256 buckets of entities (8 KiB of leaves per
 * partition this replica holds records of). */
export const REPLICA_MERKLE_DEPTH = 8

/** Entities whose digests a replica keeps in memory (~150 bytes each); beyond, they are read from
 * the store when anti-entropy asks. */
export const ENTITY_DIGESTS = 500_000

/** Seqs per span digest kept in memory (block i of an entity: seqs 4i + 1 to 4i + 4): anti-entropy
 * narrows a differing entity down to a block of 4 records without reading either side's store,
 * and checks only those records here (each read and its SHA-256 verified: the cost of a differing
 * entity, where blocks of 16 cost four times as much). */
export const SPAN_BLOCK = 4

/** Memory for kept span digests (8 bytes a record: 32 per block of 4, and room to grow), about 8
 * million records' worth; past it, the entities whose blocks would grow it give theirs up and
 * their spans are read from the store. */
export const SPAN_DIGEST_BYTES = 64 * 1_048_576

/** What a replica keeps in memory of one entity's records (the first ENTITY_DIGESTS entities). */
interface KeptEntity {
  readonly partition: number
  /** The XOR of its records' digests. */
  readonly digest: Uint8Array
  /** The XOR of each block's digests (SPAN_BLOCK seqs, 32 bytes a block, grown as records come);
   * undefined once given up (SPAN_DIGEST_BYTES): its spans are then read from the store. */
  blocks: Uint8Array | undefined
  /** No record of it here has a higher seq (the highest seq stored, lowered as that record goes;
   * an upper bound, never below a record held). */
  last: number
}

export class LevelReplicaStorage implements ReplicaStorage {
  readonly store: LevelStore
  readonly partitions: number
  readonly #codec: PlainCodec
  /** The Merkle tree of every partition this replica holds records of, following every write. */
  readonly #trees = new Map<number, MerkleTree>()
  /** Told of every damaged value a read meets (scrub repairs it at once). */
  onDamaged: ((key: string) => void) | undefined
  /** Each entity's digest (the XOR of its records' digests), its span digests and its last seq,
   * kept like the trees for the first ENTITY_DIGESTS entities: anti-entropy compares entities, and
   * narrows a differing one down to a block of records, without reading them. */
  readonly #kept = new Map<string, KeptEntity>()
  /** The entities kept, by partition and bucket of its tree (`partition * buckets + bucket`): what
   * a peer's anti-entropy lists, a differing bucket at a time. */
  readonly #inBucket = new Map<number, string[]>()
  /** Bytes of kept span digests (their blocks' capacity). */
  #blockBytes = 0
  /** True while every entity holding records here has its digest kept. */
  #allEntities = true
  readonly #partitionsOf = new Map<string, number>()
  /** How long building the trees from the store took at open (ms), and over how many records. */
  readonly treeBuild = { ms: 0, records: 0 }

  private constructor (store: LevelStore, partitions: number) {
    this.store = store
    this.partitions = partitions
    this.#codec = createPlainCodec()
  }

  /**
   * Opens the replicas of this store. The partition count is recorded by the first start and
   * fixed from then on: `partitions` (config) must agree with it, or PartitionsMismatchError.
   */
  static async open (store: LevelStore, partitions?: number): Promise<LevelReplicaStorage> {
    const recorded = await store.get(PARTITIONS_KEY)
    const was = recorded === undefined ? undefined : Number(new TextDecoder().decode(recorded))
    if (was !== undefined && partitions !== undefined && was !== partitions) throw new PartitionsMismatchError(store.dir, was, partitions)
    const p = was ?? partitions ?? DEFAULT_PARTITIONS
    if (was === undefined) await store.write([{ type: 'put', key: PARTITIONS_KEY, value: new TextEncoder().encode(String(p)) }])
    const storage = new LevelReplicaStorage(store, p)
    if (store.format === 'plexi-store/1') await storage.#upgradeFromFormat1()
    await storage.#buildTrees()
    return storage
  }

  /** The Merkle tree of a partition on this replica (an empty one when it holds none of it). Kept
   * current by every write that lands; never rebuilt after the open. */
  tree (partition: number): MerkleTree {
    let tree = this.#trees.get(partition)
    if (tree === undefined) {
      tree = new MerkleTree(REPLICA_MERKLE_DEPTH)
      this.#trees.set(partition, tree)
    }
    return tree
  }

  /** A record's digest joins its partition's tree and its entity's digests. */
  #added (p: number, entity: string, seq: number, digest: Uint8Array): void {
    this.tree(p).add(entity, digest)
    const kept = this.#keep(p, entity)
    if (kept === undefined) return
    xorInto(kept.digest, 0, digest)
    if (seq > kept.last) kept.last = seq
    const at = Math.floor((seq - 1) / SPAN_BLOCK) * 32
    if (kept.blocks !== undefined && at + 32 > kept.blocks.byteLength) this.#growBlocks(kept, at + 32)
    if (kept.blocks !== undefined) xorInto(kept.blocks, at, digest)
  }

  /** A record removed (truncated, or a damaged value replaced): its digest leaves them again. */
  #removed (p: number, entity: string, seq: number, digest: Uint8Array): void {
    this.tree(p).remove(entity, digest)
    const kept = this.#kept.get(entity)
    if (kept === undefined) return
    xorInto(kept.digest, 0, digest)
    // removals of a tail come last seq first (#writeTruncating): the bound follows them down
    if (seq === kept.last) kept.last = seq - 1
    const at = Math.floor((seq - 1) / SPAN_BLOCK) * 32
    if (kept.blocks !== undefined && at + 32 <= kept.blocks.byteLength) xorInto(kept.blocks, at, digest)
  }

  /** The entity's kept digests, started at its first record while there is room; undefined past
   * ENTITY_DIGESTS (entities not yet kept are never kept then: digests started late would miss the
   * records before them; they are computed from the store when asked). */
  #keep (p: number, entity: string): KeptEntity | undefined {
    let kept = this.#kept.get(entity)
    if (kept === undefined) {
      if (!this.#allEntities || this.#kept.size >= ENTITY_DIGESTS) {
        this.#allEntities = false
        return undefined
      }
      kept = { partition: p, digest: new Uint8Array(32), blocks: this.#blockBytes + 64 <= SPAN_DIGEST_BYTES ? new Uint8Array(64) : undefined, last: 0 }
      if (kept.blocks !== undefined) this.#blockBytes += kept.blocks.byteLength
      this.#kept.set(entity, kept)
      const at = p * (1 << REPLICA_MERKLE_DEPTH) + bucketOf(entity, REPLICA_MERKLE_DEPTH)
      const bucket = this.#inBucket.get(at)
      if (bucket === undefined) this.#inBucket.set(at, [entity])
      else bucket.push(entity)
    }
    return kept
  }

  /** Room for blocks up to `bytes` (doubling), or the entity's blocks given up past SPAN_DIGEST_BYTES. */
  #growBlocks (kept: KeptEntity, bytes: number): void {
    const old = kept.blocks as Uint8Array
    const size = Math.max(bytes, old.byteLength * 2)
    this.#blockBytes -= old.byteLength
    if (this.#blockBytes + size > SPAN_DIGEST_BYTES) {
      kept.blocks = undefined
      return
    }
    const grown = new Uint8Array(size)
    grown.set(old)
    kept.blocks = grown
    this.#blockBytes += size
  }

  /** Built once, at open, from the seal digests stored with the records (no record is decoded):
   * cheaper than keeping the trees on disk, which would cost a write per append (measured in
   * docs/performance.md). */
  async #buildTrees (): Promise<void> {
    const started = performance.now()
    let records = 0
    for await (const batch of this.store.digestBatches({ gte: 'r\x00', lte: 'r\x00\xff' })) {
      for (const [key, digest] of batch) this.#added(Number.parseInt(key.slice(2, 6), 16), entityOfRecordKey(key), seqOf(key), digest)
      records += batch.length
    }
    // the inner nodes too, while building: the first pass (or admin's roots) would hash them all
    for (const tree of this.#trees.values()) tree.root()
    this.treeBuild.ms = performance.now() - started
    this.treeBuild.records = records
  }

  /** The entity's partition: kept with its digests, or remembered for the entities asked of most
   * recently (it is a SHA-256 of the id, and anti-entropy asks it of one entity many times over). */
  partitionOf (entity: string): number {
    let p = this.#kept.get(entity)?.partition ?? this.#partitionsOf.get(entity)
    if (p === undefined) {
      p = partitionOf(entity, this.partitions)
      if (this.#partitionsOf.size >= PARTITIONS_REMEMBERED) this.#partitionsOf.clear()
      this.#partitionsOf.set(entity, p)
    }
    return p
  }

  async load (entity: string): Promise<ReplicaState | undefined> {
    return (await this.loadMany([entity]))[0]
  }

  /** The states of several entities, read together: their replica states in one read of the
   * store, then, in another, the last record of those appended to since their state was written
   * (an append within an epoch leaves the state as it was: the last record is the head). */
  async loadMany (entities: readonly string[]): Promise<Array<ReplicaState | undefined>> {
    const keys = entities.map((entity) => stateKey(this.partitionOf(entity), entity))
    const values = await this.store.getMany(keys)
    const states = values.map((value, i) => value === undefined ? undefined : this.#decodeState(keys[i] as string, value))
    // the kept bound on each entity's last seq says which hold records past their state's head; the
    // record at the bound, when it is there, is the last one (else, or for an entity not kept, the
    // store is asked for its last key)
    const probes: Array<{ i: number, seq: number }> = []
    const scans: number[] = []
    states.forEach((s, i) => {
      if (s === undefined) return
      const entity = entities[i] as string
      const kept = this.#kept.get(entity)
      if (kept === undefined) scans.push(i)
      else if (kept.last > s.summary.head) probes.push({ i, seq: kept.last })
    })
    const found = await this.#recordsAt(probes.map(({ i, seq }) => [entities[i] as string, seq]))
    probes.forEach(({ i, seq }, k) => {
      const epoch = found[k]
      if (epoch === undefined) scans.push(i)
      else states[i] = { ...states[i] as ReplicaState, summary: { ...(states[i] as ReplicaState).summary, head: seq, headEpoch: epoch } }
    })
    await Promise.all(scans.map(async (i) => {
      const entity = entities[i] as string
      const state = states[i] as ReplicaState
      const p = this.partitionOf(entity)
      const [lastKey] = await this.store.keys({ gte: recordKey(p, entity, 0), lte: recordEnd(p, entity), reverse: true, limit: 1 })
      if (lastKey === undefined || seqOf(lastKey) <= state.summary.head) return
      const [last] = await this.read(entity, seqOf(lastKey), 1)
      states[i] = { ...state, summary: { ...state.summary, head: seqOf(lastKey), headEpoch: last?.epoch ?? state.summary.headEpoch } }
    }))
    return states
  }

  /** The epochs of the records at these seqs (undefined where there is none), in one read; a
   * damaged one fails as a read does. */
  async #recordsAt (at: ReadonlyArray<readonly [string, number]>): Promise<Array<number | undefined>> {
    const keys = at.map(([entity, seq]) => recordKey(this.partitionOf(entity), entity, seq))
    let values: Array<Uint8Array | undefined>
    try {
      values = await this.store.getMany(keys)
    } catch (err) {
      if (err instanceof CorruptRecordError) this.onDamaged?.(err.key)
      throw err
    }
    return values.map((value, i) => {
      if (value === undefined) return undefined
      const r = this.#decode(keys[i] as string, value) as { e?: unknown } | null
      if (r === null || typeof r !== 'object' || typeof r.e !== 'number') throw new CorruptRecordError(keys[i] as string, 'sealed but not a record')
      return r.e
    })
  }

  #decodeState (key: string, value: Uint8Array): ReplicaState {
    const s = this.#decode(key, value) as Partial<{ promised: number, promisedBy: string, head: number, headEpoch: number, segments: Array<[number, number]>, snapshotSeq: number }>
    if (typeof s?.promised !== 'number' || typeof s.head !== 'number' || !Array.isArray(s.segments)) throw new CorruptRecordError(key, 'sealed but not a replica state')
    return {
      summary: { promised: s.promised, head: s.head, headEpoch: s.headEpoch ?? 0, segments: s.segments, snapshotSeq: s.snapshotSeq ?? 0 },
      promisedBy: s.promisedBy ?? ''
    }
  }

  write (entity: string, previousHead: number, change: ReplicaChange): Promise<void> {
    // a truncation first reads the digests of the records it removes, for the tree (writes of one
    // entity come one at a time, so they are still the ones on disk)
    if (change.removeFrom !== undefined) return this.#writeTruncating(entity, previousHead, change, change.removeFrom)
    return this.#write(entity, previousHead, change, NO_DIGESTS)
  }

  async #writeTruncating (entity: string, previousHead: number, change: ReplicaChange, removeFrom: number): Promise<void> {
    const p = this.partitionOf(entity)
    const removed: Array<[number, Uint8Array]> = []
    for await (const [key, digest] of this.store.digests({ gte: recordKey(p, entity, removeFrom), lte: recordEnd(p, entity) })) removed.push([seqOf(key), digest])
    // the last first, so the kept bound on the last seq follows them down
    await this.#write(entity, previousHead, change, removed.reverse())
  }

  /** The change as one atomic batch; the partition's tree takes the records removed and put once
   * the batch landed (a failed write changes neither the disk nor the tree). */
  #write (entity: string, previousHead: number, change: ReplicaChange, removed: ReadonlyArray<readonly [number, Uint8Array]>): Promise<void> {
    const p = this.partitionOf(entity)
    const ops: StoreOp[] = []
    if (change.removeFrom !== undefined) {
      for (let seq = change.removeFrom; seq <= previousHead; seq++) ops.push({ type: 'del', key: recordKey(p, entity, seq) })
    }
    for (const r of change.records ?? []) ops.push({ type: 'put', key: recordKey(p, entity, r.seq), value: this.#codec.encode({ e: r.epoch, v: r.event }) })
    if (change.snapshot !== undefined) ops.push({ type: 'put', key: snapshotKey(p, entity), value: this.#codec.encode({ seq: change.snapshot.seq, state: change.snapshot.state }) })
    const s = change.state.summary
    // an append within the last segment's epoch changes only the head, which the records say
    if (change.stateChanged !== false || change.snapshot !== undefined || change.removeFrom !== undefined) {
      ops.push({
        type: 'put',
        key: stateKey(p, entity),
        value: this.#codec.encode({ promised: s.promised, promisedBy: change.state.promisedBy, head: s.head, headEpoch: s.headEpoch, segments: s.segments, snapshotSeq: s.snapshotSeq })
      })
    }
    // the digests of the records put, as the store seals them (views into the sealed values,
    // which live until the batch landed)
    const added: Array<[number, Uint8Array]> = []
    return this.store.write(ops, (key, digest) => { if (key.charCodeAt(0) === RECORD_KEY_CHAR) added.push([seqOf(key), digest]) }, () => {
      for (const [seq, d] of removed) this.#removed(p, entity, seq, d)
      for (const [seq, d] of added) this.#added(p, entity, seq, d)
    })
  }

  async read (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    try {
      return await this.#read(entity, from, limit)
    } catch (err) {
      if (err instanceof CorruptRecordError) this.onDamaged?.(err.key)
      throw err
    }
  }

  async #read (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    if (limit <= SMALL_READ) {
      const records = await this.#readKeys(entity, Math.max(1, from), limit)
      if (records !== undefined) return records
    }
    const p = this.partitionOf(entity)
    const out: StoredRecord[] = []
    for await (const [key, value] of this.store.range({ gte: recordKey(p, entity, Math.max(1, from)), lte: recordEnd(p, entity), limit })) {
      const seq = seqOf(key)
      const last = out[out.length - 1]
      if (last === undefined && seq > Math.max(1, from)) {
        // `from` itself is missing, and a later record is here: a hole, not the end of the log
        this.onDamaged?.(recordKey(p, entity, Math.max(1, from)))
        break
      }
      if (last !== undefined && seq !== last.seq + 1) {
        // a record missing from the middle (lost under the store): the records stop before it, so
        // no reader takes the next one for it; it is repaired from another replica
        this.onDamaged?.(recordKey(p, entity, last.seq + 1))
        break
      }
      const r = this.#decode(key, value) as { e?: unknown, v?: unknown } | null
      if (r === null || typeof r !== 'object' || typeof r.e !== 'number') throw new CorruptRecordError(key, 'sealed but not a record')
      out.push({ seq, epoch: r.e, event: r.v })
    }
    return out
  }

  /** A few records read by their keys (with other reads of the same turn: LevelStore.getMany);
   * undefined unless all of [from, from + limit) are here and read correctly (the range read then
   * finds where the log ends, a hole or a damaged record, as always). */
  async #readKeys (entity: string, from: number, limit: number): Promise<StoredRecord[] | undefined> {
    const p = this.partitionOf(entity)
    const keys = Array.from({ length: limit }, (_, i) => recordKey(p, entity, from + i))
    let values: Array<Uint8Array | undefined>
    try {
      values = await this.store.getMany(keys)
    } catch (err) {
      if (err instanceof CorruptRecordError) return undefined
      throw err
    }
    const out: StoredRecord[] = []
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]
      if (value === undefined) return undefined
      const r = this.#decode(keys[i] as string, value) as { e?: unknown, v?: unknown } | null
      if (r === null || typeof r !== 'object' || typeof r.e !== 'number') return undefined
      out.push({ seq: from + i, epoch: r.e, event: r.v })
    }
    return out
  }

  async loadSnapshot (entity: string): Promise<StoredSnapshot | undefined> {
    const key = snapshotKey(this.partitionOf(entity), entity)
    let value: Uint8Array | undefined
    try {
      value = await this.store.get(key)
    } catch (err) {
      if (err instanceof CorruptRecordError) this.onDamaged?.(err.key)
      throw err
    }
    if (value === undefined) return undefined
    const s = this.#decode(key, value) as Partial<StoredSnapshot> | null
    if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.seq) || (s.seq as number) < 1) throw new CorruptRecordError(key, 'sealed but not a snapshot')
    return { seq: s.seq as number, state: s.state }
  }

  /** The entities of one bucket of a partition's tree that this replica holds (a scan of the
   * partition's replica states: anti-entropy asks only for buckets that differ). */
  async entitiesInBucket (partition: number, bucket: number): Promise<string[]> {
    // every entity holding records here has its digest kept: the bucket's are those (an entity
    // holding none leaves every tree as it is, so it is never what differs)
    if (this.#allEntities) return [...(this.#inBucket.get(partition * (1 << REPLICA_MERKLE_DEPTH) + bucket) ?? [])]
    const prefix = `e\x00${hex4(partition)}\x00`
    const keys = await this.store.keys({ gte: prefix, lte: `${prefix}\xff` })
    return keys.map((k) => k.slice(prefix.length)).filter((entity) => bucketOf(entity, REPLICA_MERKLE_DEPTH) === bucket)
  }

  /** The entities of a partition this replica keeps a state of, in id order, after `after`
   * (exclusive; '' from the first), at most `limit`: a backup lists a partition page by page. */
  async entitiesOfPartition (partition: number, after: string, limit: number): Promise<string[]> {
    const prefix = `e\x00${hex4(partition)}\x00`
    // '\0' sorts before every character an entity id may hold: the first key after `after`
    const keys = await this.store.keys({ gte: after === '' ? prefix : `${prefix}${after}\x00`, lte: `${prefix}\xff`, limit })
    return keys.map((k) => k.slice(prefix.length))
  }

  /** The XOR of an entity's record digests here: equal on two replicas when they hold the same
   * records of it (all zeros when it holds none). */
  async entityDigest (entity: string): Promise<Uint8Array> {
    const kept = this.#kept.get(entity)
    if (kept !== undefined) return kept.digest.slice()
    if (this.#allEntities) return new Uint8Array(32)
    const [all] = await this.spanDigests(entity, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    return all as Uint8Array
  }

  /** The XOR of the record digests of each span of `span` seqs in [from, to] (the last may be
   * shorter): where two replicas' copies of an entity differ, span by span, without sending them.
   * Spans that start on a block (SPAN_BLOCK) are summed from the kept blocks; at most the last
   * block, cut by `to` while records follow it, is read from the store. */
  async spanDigests (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> {
    const kept = this.#kept.get(entity)
    const count = Math.ceil((to - from + 1) / span)
    if (kept?.blocks === undefined || (from - 1) % SPAN_BLOCK !== 0 || (span % SPAN_BLOCK !== 0 && count > 1)) return await this.#readSpans(entity, from, to, span)
    const blocks = kept.blocks
    const all = new Uint8Array(count * 32)
    // blocks past the last record (or past what is kept) hold nothing
    const end = Math.min(to, kept.last, Math.floor(blocks.byteLength / 32) * SPAN_BLOCK)
    let cut: Promise<Uint8Array[]> | undefined
    let cutAt = 0
    for (let first = from; first <= end; first += SPAN_BLOCK) {
      const at = Math.floor((first - from) / span) * 32
      if (first + SPAN_BLOCK - 1 > to && kept.last > to) {
        // the block runs past `to` and holds records there: its part up to `to` is read
        cut = this.#readSpans(entity, first, to, SPAN_BLOCK)
        cutAt = at
        break
      }
      const b = (first - 1) / SPAN_BLOCK * 32
      for (let k = 0; k < 32; k++) all[at + k] = (all[at + k] as number) ^ (blocks[b + k] as number)
    }
    if (cut !== undefined) xorInto(all, cutAt, ((await cut)[0] as Uint8Array))
    return Array.from({ length: count }, (_, i) => all.subarray(i * 32, i * 32 + 32))
  }

  async #readSpans (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> {
    const p = this.partitionOf(entity)
    const count = Math.ceil((to - from + 1) / span)
    const out: Uint8Array[] = []
    for await (const batch of this.store.digestBatches({ gte: recordKey(p, entity, Math.max(1, from)), lte: to >= Number.MAX_SAFE_INTEGER ? recordEnd(p, entity) : recordKey(p, entity, to) })) {
      for (const [key, d] of batch) {
        const i = Math.floor((seqOf(key) - from) / span)
        while (out.length <= i) out.push(new Uint8Array(32))
        xorInto(out[i] as Uint8Array, 0, d)
      }
    }
    while (out.length < count) out.push(new Uint8Array(32))
    return out
  }

  /**
   * Puts records back where this replica's copy is missing or damaged (its seal fails), never over
   * one that reads correctly: what a repair from a healthy replica writes (the caller checked that
   * they belong to this replica's log: ReplicaCore.repair). The tree loses the damaged value's
   * digest and gains the record's; a quarantined copy of the key is dropped. Returns the seqs put.
   */
  async repairRecords (entity: string, records: readonly StoredRecord[]): Promise<number[]> {
    const p = this.partitionOf(entity)
    const ops: StoreOp[] = []
    const removed: Array<[number, Uint8Array]> = []
    const put: number[] = []
    const keys = records.map((r) => recordKey(p, entity, r.seq))
    const raws = await this.store.getManyRaw(keys)
    records.forEach((r, i) => {
      const key = keys[i] as string
      const raw = raws[i]
      if (raw !== undefined) {
        if (intact(key, raw)) return
        if (raw.byteLength >= SEAL_HEADER_BYTES) removed.push([r.seq, Uint8Array.from(sealDigest(raw))])
      }
      ops.push({ type: 'put', key, value: this.#codec.encode({ e: r.epoch, v: r.event }) })
      ops.push({ type: 'del', key: quarantineKey(key) })
      put.push(r.seq)
    })
    if (ops.length === 0) return put
    const added: Array<[number, Uint8Array]> = []
    await this.store.write(ops, (key, digest) => { if (key.charCodeAt(0) === RECORD_KEY_CHAR) added.push([seqOf(key), digest]) }, () => {
      for (const [seq, d] of removed) this.#removed(p, entity, seq, d)
      for (const [seq, d] of added) this.#added(p, entity, seq, d)
    })
    return put
  }

  /** Puts a snapshot back where this replica's copy fails its seal (never over one that reads
   * correctly); true when it did. */
  async repairSnapshot (entity: string, snapshot: StoredSnapshot): Promise<boolean> {
    const key = snapshotKey(this.partitionOf(entity), entity)
    const raw = await this.store.getRaw(key)
    if (raw === undefined || intact(key, raw)) return false
    await this.store.write([{ type: 'put', key, value: this.#codec.encode({ seq: snapshot.seq, state: snapshot.state }) }, { type: 'del', key: quarantineKey(key) }])
    return true
  }

  /** Keeps a copy of a damaged value under `q\0<its key>` (what scrub found, for the operator and
   * until a repair replaces it); the value itself stays where it is and keeps failing its seal, so
   * no read returns it. */
  async quarantine (key: string, raw: Uint8Array): Promise<void> {
    await this.store.write([{ type: 'put', key: quarantineKey(key), value: this.#codec.encode({ at: Date.now(), raw }) }])
  }

  /** Keys damaged and not yet repaired (scrub quarantined them). */
  async quarantined (): Promise<string[]> {
    return (await this.store.keys({ gte: 'q\x00', lte: 'q\x00\xff' })).map((k) => k.slice(2))
  }

  /** Drops the quarantined copy of a key whose value reads correctly again (or is gone). */
  async releaseQuarantine (key: string): Promise<void> {
    await this.store.write([{ type: 'del', key: quarantineKey(key) }])
  }

  /** The root of a partition's tree here (hex); the empty tree's for a partition it holds nothing of. */
  rootOf (partition: number): string {
    const tree = this.#trees.get(partition)
    return tree === undefined ? emptyPartitionRoot() : Buffer.from(tree.root()).toString('hex')
  }

  /** Per partition this node holds anything of: entities, records (its tree's count), the highest
   * epoch promised for any of them and its Merkle root. One scan of the replica states (admin). */
  async partitionStats (): Promise<Map<number, PartitionStats>> {
    const out = new Map<number, PartitionStats>()
    for await (const [key, value] of this.store.range({ gte: 'e\x00', lte: 'e\x00\xff' })) {
      const p = Number.parseInt(key.slice(2, 6), 16)
      const s = this.#decode(key, value) as { promised?: number }
      const row = out.get(p) ?? { entities: 0, records: this.#trees.get(p)?.records ?? 0, epoch: 0, root: this.rootOf(p) }
      row.entities++
      row.epoch = Math.max(row.epoch, typeof s.promised === 'number' ? s.promised : 0)
      out.set(p, row)
    }
    return out
  }

  #decode (key: string, value: Uint8Array): unknown {
    try {
      return this.#codec.decode(value)
    } catch (err) {
      throw new CorruptRecordError(key, `sealed but not decodable: ${(err as Error).message}`)
    }
  }

  async #upgradeFromFormat1 (): Promise<void> {
    const entities = new Set<string>()
    for (const key of await this.store.keys({ gte: 'j\x00', lte: 'j\x00\xff' })) entities.add(key.slice(2, key.lastIndexOf('\x00')))
    for (const key of await this.store.keys({ gte: 's\x00', lte: 's\x00\xff' })) entities.add(key.slice(2))
    for (const entity of entities) {
      const p = this.partitionOf(entity)
      const ops: StoreOp[] = []
      let head = 0
      for await (const [key, value] of this.store.range({ gte: `j\x00${entity}\x00`, lte: `j\x00${entity}\x00\xff` })) {
        const seq = Number.parseInt(key.slice(key.lastIndexOf('\x00') + 1), 16)
        ops.push({ type: 'del', key })
        ops.push({ type: 'put', key: recordKey(p, entity, seq), value: this.#codec.encode({ e: 1, v: this.#decode(key, value) }) })
        head = seq
      }
      let snapshotSeq = 0
      const old = await this.store.get(`s\x00${entity}`)
      if (old !== undefined) {
        const snap = this.#decode(`s\x00${entity}`, old) as { seq: number, state: unknown }
        ops.push({ type: 'del', key: `s\x00${entity}` })
        ops.push({ type: 'put', key: snapshotKey(p, entity), value: this.#codec.encode(snap) })
        snapshotSeq = snap.seq
      }
      const segments = head === 0 ? [] : withRecords([], 1, [1])
      ops.push({ type: 'put', key: stateKey(p, entity), value: this.#codec.encode({ promised: head === 0 ? 0 : 1, promisedBy: 'format-1', head, headEpoch: head === 0 ? 0 : 1, segments, snapshotSeq }) })
      await this.store.write(ops)
    }
    await this.store.write([this.store.formatOp()])
    this.store.upgraded()
  }
}

const PARTITIONS_KEY = 'm\x00partitions'
/** Record keys start with `r`. */
const RECORD_KEY_CHAR = 0x72
/** Entities whose partition a replica remembers (then forgets them all and starts again). */
const PARTITIONS_REMEMBERED = 65_536
/** Reads of at most this many records go by their keys (LevelStore.getMany, gathered with other
 * reads) rather than as a range: anti-entropy's reads of a few records of many entities. */
const SMALL_READ = 64
const NO_DIGESTS: ReadonlyArray<readonly [number, Uint8Array]> = []
/** The root of an empty partition tree (computed once). */
let EMPTY_ROOT: string | undefined

/** The Merkle root (hex) of a partition replica that holds no record of it. */
export function emptyPartitionRoot (): string {
  EMPTY_ROOT ??= Buffer.from(new MerkleTree(REPLICA_MERKLE_DEPTH).root()).toString('hex')
  return EMPTY_ROOT
}

function quarantineKey (key: string): string { return `q\x00${key}` }
/** What a stored key is, for scrub: a record (with its partition, entity and seq) or another value. */
export function describeKey (key: string): { kind: 'record', partition: number, entity: string, seq: number } | { kind: 'state' | 'snapshot', partition: number, entity: string } | { kind: 'other' } {
  const c = key.charCodeAt(0)
  if (key.charCodeAt(1) !== 0 || key.length < 8) return { kind: 'other' }
  const partition = Number.parseInt(key.slice(2, 6), 16)
  if (c === RECORD_KEY_CHAR && key.length > 24) return { kind: 'record', partition, entity: entityOfRecordKey(key), seq: seqOf(key) }
  if (c === 0x65) return { kind: 'state', partition, entity: key.slice(7) }
  if (c === 0x70) return { kind: 'snapshot', partition, entity: key.slice(7) }
  return { kind: 'other' }
}
/** XORs a 32-byte digest into `into` at `at`. */
function xorInto (into: Uint8Array, at: number, digest: Uint8Array): void {
  for (let b = 0; b < 32; b++) into[at + b] = (into[at + b] as number) ^ (digest[b] as number)
}
function hex4 (n: number): string { return n.toString(16).padStart(4, '0') }
function recordKey (p: number, entity: string, seq: number): string { return `r\x00${hex4(p)}\x00${entity}\x00${seq.toString(16).padStart(16, '0')}` }
function recordEnd (p: number, entity: string): string { return `r\x00${hex4(p)}\x00${entity}\x00${'f'.repeat(16)}` }
function stateKey (p: number, entity: string): string { return `e\x00${hex4(p)}\x00${entity}` }
function snapshotKey (p: number, entity: string): string { return `p\x00${hex4(p)}\x00${entity}` }
function seqOf (key: string): number { return Number.parseInt(key.slice(key.length - 16), 16) }
/** `r\0<p>\0<entity>\0<seq>` → the entity. */
function entityOfRecordKey (key: string): string { return key.slice(7, key.length - 17) }
