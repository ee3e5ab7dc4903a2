import { SEAL_HEADER_BYTES, sealDigest, sealIntact as intact } from '../../storage/index.ts'
import type { LevelStore, StoreOp } from '../../storage/index.ts'
import { DEFAULT_PARTITIONS, PARTITIONS_REMEMBERED, REPLICA_MERKLE_DEPTH } from '../constants.ts'
import { PartitionsMismatchError } from '../errors.ts'
import { partitionOf } from '../partitioning.ts'
import { MerkleTree, bucketOf, emptyPartitionRoot } from '../repair/merkle-tree.ts'
import { deriveFromRecords, derivedOps, diskDigests, readSpanDigests, takeDerived } from './derived-digests.ts'
import type { DerivedState, ReplicaStorageLog } from './derived-digests.ts'
import { upgradeFromFormat1 } from './format-1-upgrade.ts'
import { KeptDigests, xorInto } from './kept-digests.ts'
import { PARTITIONS_KEY, RECORD_KEY_CHAR, hex4, partitionOfKey, quarantineKey, recordEnd, recordKey, seqOf, snapshotKey, stateKey } from './replica-keys.ts'
import { StoredVersions } from './stored-versions.ts'
import { laterRevision } from './replica-protocol.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'
import type { LandedChange, LandedListener, PackedRecord, PartitionSpan, PartitionStats, ReplicaChange, ReplicaState, ReplicaStorage } from './replica-storage.ts'
import { ReplicaValues } from './replica-values.ts'
import { RecordReader } from './record-reader.ts'
import { removedDigests } from './removed-digests.ts'

const NO_DIGESTS: ReadonlyArray<readonly [number, Uint8Array]> = []

/** Replicas on the node's LevelDB (keys: replica-keys.ts; each partition's records one sorted range,
 * what anti-entropy's Merkle trees walk). Each partition's tree and each entity's digests
 * (kept-digests.ts) follow every write that lands; a store of format 1 is upgraded when opened. */
export class LevelReplicaStorage implements ReplicaStorage {
  readonly store: LevelStore
  readonly partitions: number
  readonly #values = new ReplicaValues()
  /** The Merkle tree of every partition this replica holds records of. */
  readonly #trees = new Map<number, MerkleTree>()
  /** Told of every damaged value a read meets (scrub repairs it at once). */
  onDamaged: ((key: string) => void) | undefined
  readonly #kept = new KeptDigests()
  readonly #partitionsOf = new Map<string, number>()
  readonly #reader: RecordReader
  /** How the trees were made at open: as the last clean stop left them, or from every record (how many); in how long. */
  readonly treeBuild: { ms: number, records: number, from: 'saved' | 'records' } = { ms: 0, records: 0, from: 'records' }
  readonly #listeners = new Set<LandedListener>()
  /** A damaged or lost record whose digests are not kept was repaired: its tree may hold digests the disk does not (#resync), none kept at close. */
  #inDoubt = false
  /** Each partition's configuration version (ReplicaVersions). */
  readonly #versions: StoredVersions

  private constructor (store: LevelStore, partitions: number, versions: StoredVersions) {
    this.store = store
    this.partitions = partitions
    this.#versions = versions
    this.#reader = new RecordReader(store, this.#values, (entity) => this.partitionOf(entity), (key) => { this.onDamaged?.(key) })
  }

  /** Opens the replicas of this store. The partition count is fixed by the first start (`partitions`
   * must agree, or PartitionsMismatchError). The trees and kept digests are read as the last clean
   * close left them (derived-digests.ts), else derived from every record, progress told to `log`. */
  static async open (store: LevelStore, partitions?: number, log?: ReplicaStorageLog): Promise<LevelReplicaStorage> {
    const recorded = await store.get(PARTITIONS_KEY)
    const was = recorded === undefined ? undefined : Number(new TextDecoder().decode(recorded))
    if (was !== undefined && partitions !== undefined && was !== partitions) throw new PartitionsMismatchError(store.dir, was, partitions)
    const p = was ?? partitions ?? DEFAULT_PARTITIONS
    if (was === undefined) await store.write([{ type: 'put', key: PARTITIONS_KEY, value: new TextEncoder().encode(String(p)) }])
    const storage = new LevelReplicaStorage(store, p, await StoredVersions.open(store))
    if (store.format === 'plexi-store/1') await upgradeFromFormat1(store, storage.#values, (entity) => storage.partitionOf(entity))
    const started = performance.now()
    const saved = await takeDerived(store, REPLICA_MERKLE_DEPTH, p)
    if (saved.state !== undefined) {
      storage.#restore(saved.state)
      storage.treeBuild.ms = performance.now() - started
    } else {
      if (saved.unusable !== undefined) log?.warn({ reason: saved.unusable }, `the replicas' Merkle trees kept at the last stop were not used (${saved.unusable}): they are derived again from every record`)
      await storage.#buildTrees(log, saved.unusable !== undefined ? 'what the last stop kept could not be used' : "the store's last stop was not clean")
    }
    // what the trees and digests are at a clean close, for the next open (none once in doubt)
    store.atClose(() => storage.#inDoubt ? [] : derivedOps(REPLICA_MERKLE_DEPTH, p, storage.#trees, storage.#kept.saved()))
    return storage
  }

  #restore (state: DerivedState): void {
    for (const [p, tree] of state.trees) this.#trees.set(p, tree)
    this.#kept.restore(state.kept)
    this.treeBuild.records = state.records
    this.treeBuild.from = 'saved'
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

  /** Tells `listener` of every change to records that lands from now on (LandedChange); returns
   * what stops it. */
  watch (listener: LandedListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** A record's digest joins its partition's tree and its entity's digests. */
  #added (p: number, entity: string, seq: number, digest: Uint8Array): void {
    this.tree(p).add(entity, digest)
    this.#kept.added(p, entity, seq, digest)
  }

  /** A record removed (truncated, or a damaged value replaced): its digest leaves them again. */
  #removed (p: number, entity: string, seq: number, digest: Uint8Array): void {
    this.tree(p).remove(entity, digest)
    this.#kept.removed(entity, seq, digest)
  }

  /** Derived at open from the seal digests stored with the records (no record is decoded), where
   * the last stop was not clean: keeping the trees on disk as they change would cost a write per
   * append (measured in docs/performance.md). */
  async #buildTrees (log: ReplicaStorageLog | undefined, why: string): Promise<void> {
    const started = performance.now()
    this.treeBuild.records = await deriveFromRecords(this.store, (p, entity, seq, digest) => { this.#added(p, entity, seq, digest) }, log, why)
    // the inner nodes too, while building: the first pass (or admin's roots) would hash them all
    for (const tree of this.#trees.values()) tree.root()
    this.treeBuild.ms = performance.now() - started
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
    const states = values.map((value, i) => value === undefined ? undefined : this.#values.state(keys[i] as string, value))
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
    const values = await this.#reader.damageTold(this.store.getMany(keys))
    return values.map((value, i) => value === undefined ? undefined : this.#values.record(keys[i] as string, value).epoch)
  }

  write (entity: string, previousHead: number, change: ReplicaChange): Promise<void> {
    // a truncation, a trim or a rewrite first reads the digests of the records it removes, for the
    // tree (writes of one entity come one at a time, so they are still the ones on disk)
    if (change.removeFrom !== undefined || change.removeBelow !== undefined || change.replace !== undefined) return this.#writeRemoving(entity, previousHead, change)
    return this.#write(entity, previousHead, change, NO_DIGESTS)
  }

  async #writeRemoving (entity: string, previousHead: number, change: ReplicaChange): Promise<void> {
    const { removed, below } = await removedDigests(this.store, this.partitionOf(entity), entity, change)
    await this.#write(entity, previousHead, change, removed, below)
  }

  /** The change as one atomic batch; the partition's tree takes the records removed and put once
   * the batch landed (a failed write changes neither the disk nor the tree). */
  #write (entity: string, previousHead: number, change: ReplicaChange, removed: ReadonlyArray<readonly [number, Uint8Array]>, below: readonly number[] = []): Promise<void> {
    const p = this.partitionOf(entity)
    const ops: StoreOp[] = []
    for (const seq of below) ops.push({ type: 'del', key: recordKey(p, entity, seq) })
    if (change.removeFrom !== undefined) {
      for (let seq = change.removeFrom; seq <= previousHead; seq++) ops.push({ type: 'del', key: recordKey(p, entity, seq) })
    }
    const put = [...change.replace ?? [], ...change.records ?? []]
    for (const r of put) ops.push(this.#values.recordOp(recordKey(p, entity, r.seq), r))
    if (change.snapshot !== undefined) ops.push({ type: 'put', key: snapshotKey(p, entity), value: this.#values.encode({ seq: change.snapshot.seq, state: change.snapshot.state }) })
    // an append within the last segment's epoch changes only the head, which the records say
    if (change.stateChanged !== false || change.snapshot !== undefined || change.removeFrom !== undefined) {
      ops.push({ type: 'put', key: stateKey(p, entity), value: this.#values.encodeState(change.state) })
    }
    return this.#land(p, entity, ops, removed, put)
  }

  /** Writes `ops`; once they landed, the records `removed` leave the tree and the kept digests and
   * the records put join them (their digests as the store seals them: views into the sealed
   * values, which live until the batch landed). */
  #land (p: number, entity: string, ops: readonly StoreOp[], removed: ReadonlyArray<readonly [number, Uint8Array]>, put: readonly StoredRecord[]): Promise<void> {
    const added: Array<[number, Uint8Array]> = []
    return this.store.write(ops, (key, digest) => { if (key.charCodeAt(0) === RECORD_KEY_CHAR) added.push([seqOf(key), digest]) }, () => {
      for (const [seq, d] of removed) this.#removed(p, entity, seq, d)
      for (const [seq, d] of added) this.#added(p, entity, seq, d)
      if (this.#listeners.size > 0 && (removed.length > 0 || put.length > 0)) this.#tell({ partition: p, entity, removed: removed.map(([seq]) => seq), put })
    })
  }

  #tell (change: LandedChange): void {
    for (const listener of this.#listeners) listener(change)
  }

  async read (entity: string, from: number, limit: number): Promise<StoredRecord[]> { return await this.#reader.read(entity, from, limit) }
  async readPacked (entity: string, from: number, limit: number): Promise<PackedRecord[]> { return await this.#reader.readPacked(entity, from, limit) }
  packedEvent (record: PackedRecord): unknown { return this.#reader.packedEvent(record) }
  knownVersion (partition: number): number { return this.#versions.known(partition) }
  async loadVersion (partition: number): Promise<number> { return this.#versions.known(partition) }
  async saveVersion (partition: number, version: number): Promise<void> { await this.#versions.save(partition, version) }

  /** The records stored here from `from` on, as they are (RecordReader.stored): the search index's rebuild. */
  async storedRecords (entity: string, from: number, limit: number): Promise<StoredRecord[]> { return await this.#reader.stored(entity, from, limit) }

  async loadSnapshot (entity: string): Promise<StoredSnapshot | undefined> {
    const key = snapshotKey(this.partitionOf(entity), entity)
    const value = await this.#reader.damageTold(this.store.get(key))
    if (value === undefined) return undefined
    return this.#values.snapshot(key, value)
  }

  /** The entities of one bucket of a partition's tree that this replica holds (a scan of the
   * partition's replica states: anti-entropy asks only for buckets that differ). */
  async entitiesInBucket (partition: number, bucket: number): Promise<string[]> {
    // every entity holding records here has its digest kept: the bucket's are those (an entity
    // holding none leaves every tree as it is, so it is never what differs)
    if (this.#kept.all) return this.#kept.inBucket(partition, bucket)
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
    if (this.#kept.all) return new Uint8Array(32)
    const [all] = await this.spanDigests(entity, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    return all as Uint8Array
  }

  /** The XOR of the record digests of each span of `span` seqs in [from, to] (the last may be
   * shorter): where two replicas' copies of an entity differ, span by span, without sending them.
   * Summed from the kept digests where they can be (KeptDigests.spans), else read from the store. */
  async spanDigests (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> {
    return await this.#kept.spans(entity, from, to, span, async (e, f, t, s) => await readSpanDigests(this.store, this.partitionOf(e), e, f, t, s))
  }

  /**
   * Puts records back where this replica's copy is missing or damaged (its seal fails), never over
   * one that reads correctly unless it is a higher revision of it (a rewrite this replica missed):
   * what a repair from a healthy replica writes (the caller checked that
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
    // a record lost or damaged under the store (a repair puts back only seqs this replica's log
    // holds): the trees followed the writes, not the disk
    if (raws.some((raw, i) => raw === undefined || !intact(keys[i] as string, raw))) await this.#resync(p, entity)
    records.forEach((r, i) => {
      const key = keys[i] as string
      const raw = raws[i]
      if (raw !== undefined) {
        // one that reads correctly gives way only to a higher revision of itself (a rewrite it missed)
        if (intact(key, raw) && !this.#olderRevision(key, raw, r)) return
        if (raw.byteLength >= SEAL_HEADER_BYTES) removed.push([r.seq, Uint8Array.from(sealDigest(raw))])
      }
      ops.push({ type: 'put', key, value: this.#values.encodeRecord(r) })
      ops.push({ type: 'del', key: quarantineKey(key) })
      put.push(r.seq)
    })
    if (ops.length === 0) return put
    const repaired = new Set(put)
    await this.#land(p, entity, ops, removed, records.filter((r) => repaired.has(r.seq)))
    return put
  }

  /**
   * Makes the entity's part of its partition's tree, and its kept digests, what its records on
   * disk say (in the entity's turn: nothing of it lands meanwhile). They follow the writes; a
   * record lost or damaged under the store (while the node ran, or while it was stopped: the trees
   * are read as the last clean stop left them) is then accounted as a derivation from the disk
   * would, and a repair's removal and put keep them exact. An entity whose digests are not kept
   * cannot be: the trees are derived again at the next open.
   */
  async #resync (p: number, entity: string): Promise<void> {
    const kept = this.#kept.get(entity)
    if (kept === undefined) {
      this.#inDoubt = true
      return
    }
    const now = await diskDigests(this.store, p, entity)
    const delta = kept.digest.slice()
    xorInto(delta, 0, now?.digest ?? new Uint8Array(32))
    this.tree(p).adjust(entity, delta, (now?.count ?? 0) - kept.count)
    this.#kept.reset(entity, now?.digest ?? new Uint8Array(32), now?.blocks, now?.last ?? 0, now?.count ?? 0)
  }

  /** Whether the sealed value `raw` is a record of the same epoch as `r` and an earlier revision. */
  #olderRevision (key: string, raw: Uint8Array, r: StoredRecord): boolean {
    if ((r.rev ?? 0) === 0) return false
    const held = this.#values.recordOrUndefined(key, raw.subarray(SEAL_HEADER_BYTES))
    return held !== undefined && held.epoch === r.epoch && laterRevision(r, { seq: r.seq, ...held })
  }

  /** Puts a snapshot back where this replica's copy fails its seal (never over one that reads
   * correctly); true when it did. */
  async repairSnapshot (entity: string, snapshot: StoredSnapshot): Promise<boolean> {
    const key = snapshotKey(this.partitionOf(entity), entity)
    const raw = await this.store.getRaw(key)
    if (raw === undefined || intact(key, raw)) return false
    await this.store.write([{ type: 'put', key, value: this.#values.encode({ seq: snapshot.seq, state: snapshot.state }) }, { type: 'del', key: quarantineKey(key) }])
    return true
  }

  /** Keeps a copy of a damaged value under `q\0<its key>` (what scrub found, for the operator and
   * until a repair replaces it); the value itself stays where it is and keeps failing its seal, so
   * no read returns it. */
  async quarantine (key: string, raw: Uint8Array): Promise<void> {
    await this.store.write([{ type: 'put', key: quarantineKey(key), value: this.#values.encode({ at: Date.now(), raw }) }])
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
   * epoch promised for any of them and its Merkle root. One scan of the replica states (admin):
   * of those of `only` alone when given (a page of the admin's listing, not every partition). */
  async partitionStats (only?: PartitionSpan): Promise<Map<number, PartitionStats>> {
    const out = new Map<number, PartitionStats>()
    // a state key is `e\0<partition, 4 hex>\0<entity>`: the last partition's keys all sort before `\x01` in its place
    const span = only === undefined ? { gte: 'e\x00', lte: 'e\x00\xff' } : { gte: `e\x00${hex4(only.from)}\x00`, lte: `e\x00${hex4(only.to)}\x01` }
    for await (const [key, value] of this.store.range(span)) {
      const p = partitionOfKey(key)
      const s = this.#values.decode(key, value) as { promised?: number }
      const row = out.get(p) ?? { entities: 0, records: this.#trees.get(p)?.records ?? 0, epoch: 0, root: this.rootOf(p) }
      row.entities++
      row.epoch = Math.max(row.epoch, typeof s.promised === 'number' ? s.promised : 0)
      out.set(p, row)
    }
    return out
  }
}
