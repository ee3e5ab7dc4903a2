import type { LogSummary } from '../journal/log-summary.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'

/** A record as the store keeps it: its seq, its key, and its value with the seal verified and
 * taken off (ReplicaStorage.readPacked). */
export interface PackedRecord {
  readonly seq: number
  readonly key: string
  readonly value: Uint8Array
}

/** A replica's durable state of one entity besides its records. */
export interface ReplicaState {
  readonly summary: LogSummary
  /** The activation that `summary.promised` was promised to. */
  readonly promisedBy: string
}

/** One durable, atomic change of one entity on a replica. */
export interface ReplicaChange {
  readonly state: ReplicaState
  /** Records with seq in [removeFrom, the previous head] are removed first. */
  readonly removeFrom?: number
  readonly records?: readonly StoredRecord[]
  /** False when only the head moved within the last segment's epoch (an ordinary append): the
   * storage may then leave the state as it is on disk and find the head from its last record. */
  readonly stateChanged?: boolean
  readonly snapshot?: StoredSnapshot
  /** Records with seq below this are removed (a trim: docs/replication.md, "Rewrites and trims"). */
  readonly removeBelow?: number
  /** Records that take the place of the ones held at their seqs (a rewrite: same seq and epoch, a
   * higher revision). */
  readonly replace?: readonly StoredRecord[]
}

/**
 * The disk under a replica (ReplicaCore): the node's LevelDB (level-replica-storage.ts), or the
 * simulation's disk that loses what was not yet durable when its node crashes.
 */
export interface ReplicaStorage {
  /** The entity's state, or undefined for an entity this replica never saw. */
  load (entity: string): Promise<ReplicaState | undefined>
  /** The states of several entities at once (one read for all where the store allows). */
  loadMany? (entities: readonly string[]): Promise<Array<ReplicaState | undefined>>
  /** Applies a change atomically; resolves once it is durable (fsync, per journal-sync). */
  write (entity: string, previousHead: number, change: ReplicaChange): Promise<void>
  /** Records with seq >= from, in order, at most `limit`; each one's seal verified. */
  read (entity: string, from: number, limit: number): Promise<StoredRecord[]>
  /** The same records as they are stored (each seal verified, not decoded), for a reader that
   * makes them into something else straight from their bytes (an export's JSON); `event` decodes
   * one where that reader cannot. Absent: such a reader takes `read`. */
  readPacked? (entity: string, from: number, limit: number): Promise<PackedRecord[]>
  /** A stored record's event (as `read` gives it), decoded from what `readPacked` gave. */
  packedEvent? (record: PackedRecord): unknown
  loadSnapshot (entity: string): Promise<StoredSnapshot | undefined>
  /** The configuration version of a partition stored here (docs/replication.md, "Roster
   * versions"; 0: none). With `saveVersion` and `partitionOf`: without them the replica checks no
   * versions (ReplicaVersions). */
  loadVersion? (partition: number): Promise<number>
  /** The version loadVersion would give, without a read (a storage that holds them all in memory). */
  knownVersion? (partition: number): number
  /** Stores a partition's version; resolves once it is as durable as a promise is. */
  saveVersion? (partition: number, version: number): Promise<void>
  /** An entity's partition. */
  partitionOf? (entity: string): number
  /** Puts records back where this replica's copy is missing or damaged, never over one that reads
   * correctly; returns the seqs put (anti-entropy and scrub repairs: the node's LevelDB has it). */
  repairRecords? (entity: string, records: readonly StoredRecord[]): Promise<number[]>
}

/** What one write that landed changed of an entity's records here (for what derives from them:
 * the search index, node/search). `removed`: seqs whose records are gone (a truncation, a damaged
 * value about to be replaced); `put`: the records now stored, in seq order (appends, fills,
 * repairs, a restore's writes), each replacing any record of its seq that `removed` does not list. */
export interface LandedChange {
  readonly partition: number
  readonly entity: string
  readonly removed: readonly number[]
  readonly put: readonly StoredRecord[]
}

/** Told of every change once it is durable (LevelReplicaStorage.watch). It must not throw and
 * must return quickly: it runs in the write's completion, before the writer hears of it. */
export type LandedListener = (change: LandedChange) => void

/** What one replica holds of one partition. */
/** The partitions `from` to `to`, both included (a page of the admin's partition listing). */
export interface PartitionSpan { readonly from: number, readonly to: number }

export interface PartitionStats {
  entities: number
  records: number
  epoch: number
  /** The root of the partition's Merkle tree here, hex. */
  root: string
}
