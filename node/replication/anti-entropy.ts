import { READ_PAGE_RECORDS } from './constants.ts'
import { matchPoint } from './log-summary.ts'
import type { LogSummary } from './log-summary.ts'
import type { LevelReplicaStorage } from './level-replica-storage.ts'
import { REPLICA_MERKLE_DEPTH } from './level-replica-storage.ts'
import { diffLeaves } from './merkle-tree.ts'
import type { ReplicaCore } from './replica-core.ts'
import type { StoredRecord } from './replica-protocol.ts'

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
