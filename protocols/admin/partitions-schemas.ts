/** Partitions and their replicas (`GET /api/v1/partitions`), and the repair jobs that compare them
 * (`/api/v1/repairs`). */

/** One replica of a partition as GET /api/v1/partitions shows it. */
export interface ReplicaRow {
  readonly peerId: string
  /** The member's status as the answering node sees it ('unknown': not heard from since it started). */
  readonly status: string
  /** Entities, records and the highest epoch the replica holds of the partition; null when the
   * node did not answer. */
  readonly entities: number | null
  readonly records: number | null
  readonly epoch: number | null
  /** Records behind the partition's fullest replica; null when not known. */
  readonly lag: number | null
  /** The root of the replica's Merkle tree of the partition (hex): equal roots, equal records.
   * Null when not known. */
  readonly merkleRoot: string | null
  /** When anti-entropy or a repair last compared this replica with another (ISO 8601); null: not
   * since the node started, or not known. */
  readonly lastRepair?: string | null
  /** Records this replica took from others for the partition since its node started (missed,
   * missing or damaged); null: not known. */
  readonly recordsRepaired?: number | null
}

export interface PartitionRow {
  readonly partition: number
  readonly writeQuorum: number
  /** The partition's configuration version on the node asked (null: none; docs/replication.md). */
  readonly configurationVersion?: number | null
  /** Its earlier replica sets whose hand-off is not settled, oldest first (null: not known here). */
  readonly earlierSets?: ReadonlyArray<{ readonly version: number, readonly nodes: readonly string[] }> | null
  readonly replicas: ReplicaRow[]
}

export const partitionSchema = {
  $id: 'Partition',
  type: 'object',
  required: ['partition', 'writeQuorum', 'replicas'],
  properties: {
    partition: { type: 'integer' },
    writeQuorum: { type: 'integer', description: 'replicas that must hold a write before it is acknowledged' },
    configurationVersion: { type: ['integer', 'null'], description: 'the roster version that last changed this partition\'s replica set, as the node asked knows it (the same on every member that applied the same roster versions; null: a node alone, a cluster before its first roster version, or a node that joined and has not taken them from a member yet)' },
    earlierSets: {
      type: ['array', 'null'],
      description: 'earlier replica sets of this partition whose hand-off is not settled yet, oldest first (with versioned-fences on, its owners fence them too; version 0: every storage node of roster version 1); [] once settled; null where not known (a node alone, before the first roster version, or configurations taken from a member that kept none)',
      items: { type: 'object', required: ['version', 'nodes'], properties: { version: { type: 'integer' }, nodes: { type: 'array', items: { type: 'string' } } } }
    },
    replicas: {
      type: 'array',
      items: {
        type: 'object',
        required: ['peerId', 'status', 'entities', 'records', 'epoch', 'lag'],
        properties: {
          peerId: { type: 'string' },
          status: { type: 'string', description: 'the member\'s status as the answering node sees it; unknown: not heard from since it started' },
          entities: { type: ['integer', 'null'], description: 'entities this replica holds of the partition (null: the node did not answer)' },
          records: { type: ['integer', 'null'], description: 'journal records it holds of the partition' },
          epoch: { type: ['integer', 'null'], description: 'the highest epoch it promised for an entity of the partition' },
          lag: { type: ['integer', 'null'], description: 'records behind the replica of this partition that holds the most' },
          merkleRoot: { type: ['string', 'null'], description: 'the root of this replica\'s Merkle tree of the partition, hex: replicas with equal roots hold the same records (null: not known)' },
          lastRepair: { type: ['string', 'null'], description: 'when anti-entropy or a repair last compared this replica with another, ISO 8601 (null: not since its node started, or not known)' },
          recordsRepaired: { type: ['integer', 'null'], description: 'records this replica took from the others for the partition since its node started: missed while down, missing or damaged (null: not known)' }
        }
      }
    }
  }
} as const

/** A repair job (POST /api/v1/repairs): every replica of the partitions compared with every other
 * live replica of them, what differs moved. */
export interface RepairJob {
  readonly id: string
  readonly state: 'running' | 'done' | 'failed'
  /** The partition asked for, or null: all of them. */
  readonly partition: number | null
  readonly partitions: number
  readonly partitionsDone: number
  /** Replica-to-replica comparisons made (each replica with each other live replica of its
   * partition); 0 on a node alone. */
  readonly comparisons: number
  /** Records replicas took after their heads (missed) and before (missing or damaged). */
  readonly recordsFilled: number
  readonly recordsRepaired: number
  /** Bytes replicas took from each other (hashes, digests and records). */
  readonly bytes: number
  /** Entities whose replicas' logs part (left to their owners). */
  readonly divergent: number
  /** Comparisons that could not be made (a replica down or not answering), in words. */
  readonly failures: string[]
  readonly startedAt: string
  readonly endedAt: string | null
}

export const repairJobSchema = {
  $id: 'RepairJob',
  type: 'object',
  required: ['id', 'state', 'partition', 'partitions', 'partitionsDone', 'comparisons', 'recordsFilled', 'recordsRepaired', 'bytes', 'divergent', 'failures', 'startedAt', 'endedAt'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    partition: { type: ['integer', 'null'], description: 'the partition repaired, or null: all' },
    partitions: { type: 'integer', description: 'partitions the job compares' },
    partitionsDone: { type: 'integer', description: 'partitions compared so far (the progress)' },
    comparisons: { type: 'integer', description: 'replica-to-replica comparisons made: each replica with each other live replica of its partition (0 on a node alone)' },
    recordsFilled: { type: 'integer', description: 'records replicas took after their heads (missed while down)' },
    recordsRepaired: { type: 'integer', description: 'records replicas took before their heads (missing or damaged)' },
    bytes: { type: 'integer', description: 'bytes replicas took from each other: tree hashes, digests and records' },
    divergent: { type: 'integer', description: 'entities whose replicas\' logs part after a point (left to their owners\' recovery)' },
    failures: { type: 'array', items: { type: 'string' }, description: 'comparisons that could not be made, in words' },
    startedAt: { type: 'string' },
    endedAt: { type: ['string', 'null'] }
  }
} as const
