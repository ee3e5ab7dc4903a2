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

export class LevelReplicaStorage implements ReplicaStorage {
  readonly store: LevelStore
  readonly partitions: number
  readonly #codec: PlainCodec
  /** The Merkle tree of every partition this replica holds records of, following every write. */
  readonly #trees = new Map<number, MerkleTree>()
  /** Told of every damaged value a read meets (scrub repairs it at once). */
  onDamaged: ((key: string) => void) | undefined
  /** Each entity's digest (the XOR of its records' digests) by partition, kept like the trees for
   * the first ENTITY_DIGESTS entities: anti-entropy compares entities without reading them. */
  readonly #entityDigests = new Map<number, Map<string, Uint8Array>>()
  #entitiesKept = 0
  /** True while every entity holding records here has its digest kept. */
  #allEntities = true
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

  /** A record's digest joins its partition's tree and its entity's digest. */
  #added (p: number, entity: string, digest: Uint8Array): void {
    this.tree(p).add(entity, digest)
    this.#toggleEntity(p, entity, digest)
  }

  #removed (p: number, entity: string, digest: Uint8Array): void {
    this.tree(p).remove(entity, digest)
    this.#toggleEntity(p, entity, digest)
  }

  #toggleEntity (p: number, entity: string, digest: Uint8Array): void {
    let entities = this.#entityDigests.get(p)
    if (entities === undefined) {
      entities = new Map()
      this.#entityDigests.set(p, entities)
    }
    let d = entities.get(entity)
    if (d === undefined) {
      // past the limit, entities not yet kept are never kept (a digest started late would miss
      // the records before it): they are computed from the store when asked
      if (!this.#allEntities || this.#entitiesKept >= ENTITY_DIGESTS) {
        this.#allEntities = false
        return
      }
      d = new Uint8Array(32)
      entities.set(entity, d)
      this.#entitiesKept++
    }
    for (let b = 0; b < 32; b++) d[b] = (d[b] as number) ^ (digest[b] as number)
  }

  /** Built once, at open, from the seal digests stored with the records (no record is decoded):
   * cheaper than keeping the trees on disk, which would cost a write per append (measured in
   * docs/performance.md). */
  async #buildTrees (): Promise<void> {
    const started = performance.now()
    let records = 0
    for await (const batch of this.store.digestBatches({ gte: 'r\x00', lte: 'r\x00\xff' })) {
      for (const [key, digest] of batch) this.#added(Number.parseInt(key.slice(2, 6), 16), entityOfRecordKey(key), digest)
      records += batch.length
    }
    this.treeBuild.ms = performance.now() - started
    this.treeBuild.records = records
  }

  partitionOf (entity: string): number { return partitionOf(entity, this.partitions) }

  async load (entity: string): Promise<ReplicaState | undefined> {
    const key = stateKey(this.partitionOf(entity), entity)
    const value = await this.store.get(key)
    if (value === undefined) return undefined
    const s = this.#decode(key, value) as Partial<{ promised: number, promisedBy: string, head: number, headEpoch: number, segments: Array<[number, number]>, snapshotSeq: number }>
    if (typeof s?.promised !== 'number' || typeof s.head !== 'number' || !Array.isArray(s.segments)) throw new CorruptRecordError(key, 'sealed but not a replica state')
    // appends within an epoch leave the state as it was: the last record is the head
    const p = this.partitionOf(entity)
    const [lastKey] = await this.store.keys({ gte: recordKey(p, entity, 0), lte: recordEnd(p, entity), reverse: true, limit: 1 })
    let head = s.head
    let headEpoch = s.headEpoch ?? 0
    if (lastKey !== undefined && seqOf(lastKey) > head) {
      const [last] = await this.read(entity, seqOf(lastKey), 1)
      head = seqOf(lastKey)
      headEpoch = last?.epoch ?? headEpoch
    }
    return {
      summary: { promised: s.promised, head, headEpoch, segments: s.segments, snapshotSeq: s.snapshotSeq ?? 0 },
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
    const removed: Uint8Array[] = []
    for await (const [, digest] of this.store.digests({ gte: recordKey(p, entity, removeFrom), lte: recordEnd(p, entity) })) removed.push(digest)
    await this.#write(entity, previousHead, change, removed)
  }

  /** The change as one atomic batch; the partition's tree takes the records removed and put once
   * the batch landed (a failed write changes neither the disk nor the tree). */
  #write (entity: string, previousHead: number, change: ReplicaChange, removed: readonly Uint8Array[]): Promise<void> {
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
    const added: Uint8Array[] = []
    return this.store.write(ops, (key, digest) => { if (key.charCodeAt(0) === RECORD_KEY_CHAR) added.push(digest) }, () => {
      for (const d of removed) this.#removed(p, entity, d)
      for (const d of added) this.#added(p, entity, d)
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
    if (this.#allEntities) return [...(this.#entityDigests.get(partition)?.keys() ?? [])].filter((entity) => bucketOf(entity, REPLICA_MERKLE_DEPTH) === bucket)
    const prefix = `e\x00${hex4(partition)}\x00`
    const keys = await this.store.keys({ gte: prefix, lte: `${prefix}\xff` })
    return keys.map((k) => k.slice(prefix.length)).filter((entity) => bucketOf(entity, REPLICA_MERKLE_DEPTH) === bucket)
  }

  /** The XOR of an entity's record digests here: equal on two replicas when they hold the same
   * records of it (all zeros when it holds none). */
  async entityDigest (entity: string): Promise<Uint8Array> {
    const kept = this.#entityDigests.get(this.partitionOf(entity))?.get(entity)
    if (kept !== undefined) return kept.slice()
    if (this.#allEntities) return new Uint8Array(32)
    const [all] = await this.spanDigests(entity, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    return all as Uint8Array
  }

  /** The XOR of the record digests of each span of `span` seqs in [from, to] (the last may be
   * shorter): where two replicas' copies of an entity differ, span by span, without sending them. */
  async spanDigests (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> {
    const p = this.partitionOf(entity)
    const count = Math.ceil((to - from + 1) / span)
    const out: Uint8Array[] = []
    for await (const batch of this.store.digestBatches({ gte: recordKey(p, entity, Math.max(1, from)), lte: to >= Number.MAX_SAFE_INTEGER ? recordEnd(p, entity) : recordKey(p, entity, to) })) {
      for (const [key, d] of batch) {
        const i = Math.floor((seqOf(key) - from) / span)
        while (out.length <= i) out.push(new Uint8Array(32))
        const x = out[i] as Uint8Array
        for (let b = 0; b < 32; b++) x[b] = (x[b] as number) ^ (d[b] as number)
      }
    }
    while (out.length < count) out.push(new Uint8Array(32))
    return out
  }

  /** True when this replica holds the record at seq and its seal matches its content. */
  async intact (entity: string, seq: number): Promise<boolean> {
    const key = recordKey(this.partitionOf(entity), entity, seq)
    const raw = await this.store.getRaw(key)
    return raw !== undefined && intact(key, raw)
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
    const removed: Uint8Array[] = []
    const put: number[] = []
    for (const r of records) {
      const key = recordKey(p, entity, r.seq)
      const raw = await this.store.getRaw(key)
      if (raw !== undefined) {
        if (intact(key, raw)) continue
        if (raw.byteLength >= SEAL_HEADER_BYTES) removed.push(Uint8Array.from(sealDigest(raw)))
      }
      ops.push({ type: 'put', key, value: this.#codec.encode({ e: r.epoch, v: r.event }) })
      ops.push({ type: 'del', key: quarantineKey(key) })
      put.push(r.seq)
    }
    if (ops.length === 0) return put
    const added: Uint8Array[] = []
    await this.store.write(ops, (key, digest) => { if (key.charCodeAt(0) === RECORD_KEY_CHAR) added.push(digest) }, () => {
      for (const d of removed) this.#removed(p, entity, d)
      for (const d of added) this.#added(p, entity, d)
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
const NO_DIGESTS: readonly Uint8Array[] = []
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
function hex4 (n: number): string { return n.toString(16).padStart(4, '0') }
function recordKey (p: number, entity: string, seq: number): string { return `r\x00${hex4(p)}\x00${entity}\x00${seq.toString(16).padStart(16, '0')}` }
function recordEnd (p: number, entity: string): string { return `r\x00${hex4(p)}\x00${entity}\x00${'f'.repeat(16)}` }
function stateKey (p: number, entity: string): string { return `e\x00${hex4(p)}\x00${entity}` }
function snapshotKey (p: number, entity: string): string { return `p\x00${hex4(p)}\x00${entity}` }
function seqOf (key: string): number { return Number.parseInt(key.slice(key.length - 16), 16) }
/** `r\0<p>\0<entity>\0<seq>` → the entity. */
function entityOfRecordKey (key: string): string { return key.slice(7, key.length - 17) }
