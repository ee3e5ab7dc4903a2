import type { LogSummary } from '../journal/log-summary.ts'
import type { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import type { ReplicaCore } from '../replica/replica-core.ts'
import type { ReplicaState } from '../replica/replica-storage.ts'
import type { StoredRecord, StoredSnapshot } from '../replica/replica-protocol.ts'
import { readStoredRange } from '../replica/record-reader.ts'

/** An entity of a differing bucket as a peer replica shows it. */
export interface BucketEntry {
  readonly entity: string
  readonly summary: LogSummary
  /** The activation its promise was made to. */
  readonly promisedBy: string
  /** The XOR of its records' digests there (LevelReplicaStorage.entityDigest). */
  readonly digest: Uint8Array
}

/** What anti-entropy asks of another replica of the partition (over the mesh: mesh-peer.ts, or
 * in-process: replicaPeer). */
export interface PartitionPeer {
  /** Hashes of one level of its tree, `from` on, at most `count`. */
  tree (level: number, from: number, count: number): Promise<Uint8Array[]>
  /** The entities of one bucket it holds, with their summaries and digests. */
  bucket (bucket: number): Promise<BucketEntry[]>
  /** The XOR of its record digests of an entity for each span of `span` seqs in [from, to]. */
  spans (entity: string, from: number, to: number, span: number): Promise<Uint8Array[]>
  /** Its records of an entity from `from` on (each seal verified as it reads them); none below its
   * floor. */
  read (entity: string, from: number, limit: number): Promise<StoredRecord[]>
  /** Its records `from` to `from + count − 1` as its store keeps them, seals and all, not verified
   * (a backup copies them: its chunks' digests and AEAD tags prove them from then on); undefined
   * when one is not there (the caller reads them with `read`). Absent: a peer reached over the mesh,
   * read with `read`. */
  readStored? (entity: string, from: number, count: number): Promise<Uint8Array[] | undefined>
  /** Its snapshot of an entity (null: none): what a replica taking its floor takes with it
   * (docs/replication.md, "Rewrites and trims"). Absent: floors are not taken from it. */
  snapshot? (entity: string): Promise<StoredSnapshot | null>
  /** The entities of the partition it keeps a state of, in id order after `after` ('' from the
   * first), at most `limit`, with their summaries there (a backup's listing). */
  entities (after: string, limit: number): Promise<EntitySummary[]>
}

/** An entity as one replica holds it. */
export interface EntitySummary {
  readonly entity: string
  readonly summary: LogSummary
}

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
    readStored: async (entity, from, count) => await readStoredRange(storage.store, partition, entity, from, count),
    snapshot: async (entity) => await core.handle({ op: 'load-snapshot', entity }),
    entities: async (after, limit) => {
      const entities = await storage.entitiesOfPartition(partition, after, limit)
      const states = await core.states(entities)
      return entities.map((entity, i) => ({ entity, summary: (states[i] as ReplicaState).summary }))
    }
  }
}
