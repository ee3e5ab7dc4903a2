import type { ActorSystem } from '../../../actors/index.ts'
import { INSPECTOR_MAILBOX, REPLICA_BATCH_MAILBOX, SHARD_HOLDER_MAILBOX } from '../constants.ts'
import { REPLICATION_PATH, replicationInspector } from '../admin/replication-inspector.ts'
import type { RepairParts } from '../admin/replication-inspector.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { shardHolder, shardHolderPath } from './shard-holder.ts'
import { REPLICA_BATCH_PATH, replicaBatchHolder } from './replica-batch.ts'

/** One shard holder per partition on this node, the replica-batch actor (many entities' lease requests in one message), and the replicas' inspector (`/replication`). Every node answers for the replicas it holds (a
 * node that lost the storage role still serves what it has until its replicas move: issue 13). */
export function spawnShardHolders (system: ActorSystem, journal: ReplicatedJournal, parts?: RepairParts): void {
  system.spawn(replicationInspector(journal.storage, parts), { name: REPLICATION_PATH.slice(1), kind: 'replication-inspector', mailbox: INSPECTOR_MAILBOX })
  system.spawn(replicaBatchHolder(journal), { name: REPLICA_BATCH_PATH.slice(1), kind: 'replica-batch', mailbox: REPLICA_BATCH_MAILBOX })
  for (let p = 0; p < journal.partitions; p++) {
    system.spawn(shardHolder(p, journal), { name: shardHolderPath(p).slice(1), kind: 'shard-holder', mailbox: SHARD_HOLDER_MAILBOX })
  }
}
