import type { ActorSystem } from '../../actors/index.ts'
import type { Candidate } from '../mesh/index.ts'
import type { LevelReplicaStorage } from './level-replica-storage.ts'
import { ReplicatedJournal } from './replicated-journal.ts'
import type { ReplicationStats } from './replicated-journal.ts'
import { shardHolder, shardHolderPath } from './shard-holder.ts'
import { checkReplicaReply } from './replica-protocol.ts'
import { REPLICATION_PATH, replicationInspector } from './replication-admin.ts'
import type { ShardHolderMsg } from './shard-holder.ts'

/** How long an owner waits for a replica on another node to answer one request (a replica that
 * is down is not waited for: the others make the quorum, and its pump retries with backoff). */
export const REPLICA_ASK_MS = 3_000

export interface MeshJournalOptions {
  readonly self: string
  readonly storage: LevelReplicaStorage
  readonly roster: () => readonly Candidate[]
  /** The members heard and not down (former holders are asked only among them). */
  readonly live?: () => ReadonlySet<string>
  readonly replicationFactor?: number
  readonly writeQuorum?: number
  readonly stats?: ReplicationStats
  /** The actor system, once it exists (it needs the journal to be built first). */
  readonly system: () => ActorSystem
}

/** The replicated journal of a node on the mesh: other nodes' replicas are asked through their
 * shard holders (spawnShardHolders on every node). */
export function meshJournal (opts: MeshJournalOptions): ReplicatedJournal {
  return new ReplicatedJournal({
    self: opts.self,
    storage: opts.storage,
    roster: opts.roster,
    ...(opts.live !== undefined && { live: opts.live }),
    ...(opts.replicationFactor !== undefined && { replicationFactor: opts.replicationFactor }),
    ...(opts.writeQuorum !== undefined && { writeQuorum: opts.writeQuorum }),
    ...(opts.stats !== undefined && { stats: opts.stats }),
    // what another node answers is checked like anything else from the wire
    remote: async (node, partition, request) => checkReplicaReply(request, await opts.system().actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
      .ask((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS }))
  })
}

/** One shard holder per partition on this node, and the replicas' inspector (`/replication`). Every node answers for the replicas it holds (a
 * node that lost the storage role still serves what it has until its replicas move: issue 13). */
export function spawnShardHolders (system: ActorSystem, journal: ReplicatedJournal): void {
  system.spawn(replicationInspector(journal.storage), { name: REPLICATION_PATH.slice(1), kind: 'replication-inspector', mailbox: 256 })
  for (let p = 0; p < journal.partitions; p++) {
    system.spawn(shardHolder(p, journal), { name: shardHolderPath(p).slice(1), kind: 'shard-holder', mailbox: 65_536 })
  }
}
