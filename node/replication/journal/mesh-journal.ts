import type { ActorSystem } from '../../../actors/index.ts'
import type { Candidate } from '../../mesh/index.ts'
import { REPLICA_ASK_MS } from '../constants.ts'
import type { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import { checkReplicaReply } from '../replica/replica-protocol.ts'
import { shardHolderPath } from '../replica/shard-holder.ts'
import { REPLICA_BATCH_PATH, checkReplicaBatchReply } from '../replica/replica-batch.ts'
import type { ReplicaBatchMsg } from '../replica/replica-batch.ts'
import type { ShardHolderMsg } from '../replica/shard-holder.ts'
import type { OwnerLog } from './owner-env.ts'
import type { LeaseOptions } from './owner-lease.ts'
import { ReplicatedJournal } from './replicated-journal.ts'
import type { ReplicationStats } from './replicated-journal.ts'
import type { Spans } from '../../tracing/index.ts'
import type { PartitionVersions } from './partition-versions.ts'

export interface MeshJournalOptions {
  readonly self: string
  readonly storage: LevelReplicaStorage
  readonly roster: () => readonly Candidate[]
  /** Every storage node known, leaving ones included (former holders). */
  readonly known?: () => readonly Candidate[]
  /** The members heard and not down (former holders are asked only among them). */
  readonly live?: () => ReadonlySet<string>
  /** Known storage nodes whose records are all held elsewhere (replaced; leaving and down). */
  readonly holdsNothing?: (peerId: string) => boolean
  /** Known storage nodes replaced (ReplicatedJournalOptions.replaced). */
  readonly replaced?: (peerId: string) => boolean
  /** A partition's recorded former holders, and their release (ReplicatedJournalOptions). */
  readonly formerHolders?: (partition: number) => readonly string[] | undefined
  readonly settled?: (partition: number, released: readonly string[]) => void
  readonly replicationFactor?: number
  readonly writeQuorum?: number
  readonly stats?: ReplicationStats
  /** Owners' leases (docs/replication.md, "Leases"); none for a node alone. */
  readonly lease?: LeaseOptions
  /** The actor system, once it exists (it needs the journal to be built first). */
  readonly system: () => ActorSystem
  /** Where owners say, at debug, what their fences and appends waited for. */
  readonly log?: OwnerLog
  /** Spans of appends inside a recorded trace (ReplicatedJournalOptions.spans). */
  readonly spans?: Spans
  /** Each partition's configuration version, carried by owners (ReplicatedJournalOptions.versions). */
  readonly versions?: PartitionVersions
  /** config versioned-fences (ReplicatedJournalOptions.versionedFences). */
  readonly versionedFences?: boolean
}

/** The replicated journal of a node on the mesh: other nodes' replicas are asked through their
 * shard holders (spawnShardHolders on every node). */
export function meshJournal (opts: MeshJournalOptions): ReplicatedJournal {
  return new ReplicatedJournal({
    self: opts.self,
    storage: opts.storage,
    roster: opts.roster,
    ...(opts.known !== undefined && { known: opts.known }),
    ...(opts.live !== undefined && { live: opts.live }),
    ...(opts.holdsNothing !== undefined && { holdsNothing: opts.holdsNothing }),
    ...(opts.replaced !== undefined && { replaced: opts.replaced }),
    ...(opts.formerHolders !== undefined && { formerHolders: opts.formerHolders }),
    ...(opts.settled !== undefined && { settled: opts.settled }),
    ...(opts.replicationFactor !== undefined && { replicationFactor: opts.replicationFactor }),
    ...(opts.writeQuorum !== undefined && { writeQuorum: opts.writeQuorum }),
    ...(opts.stats !== undefined && { stats: opts.stats }),
    ...(opts.lease !== undefined && { lease: opts.lease }),
    ...(opts.log !== undefined && { log: opts.log }),
    ...(opts.spans !== undefined && { spans: opts.spans }),
    ...(opts.versions !== undefined && { versions: opts.versions }),
    ...(opts.versionedFences === true && { versionedFences: true }),
    // what another node answers is checked like anything else from the wire
    remote: async (node, partition, request) => checkReplicaReply(request, await opts.system().actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
      .ask((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS })),
    // many entities' lease requests to one node in one message (docs/replication.md, "Leases")
    remoteLeases: async (node, items) => checkReplicaBatchReply(items, await opts.system().actorAt<ReplicaBatchMsg>({ node, path: REPLICA_BATCH_PATH })
      .ask((replyTo) => ({ type: 'replica-batch', items, replyTo }), { timeout: REPLICA_ASK_MS }))
  })
}
