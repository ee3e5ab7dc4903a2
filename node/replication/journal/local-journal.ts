import { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import { ReplicatedJournal } from './replicated-journal.ts'
import type { LevelStore } from '../../storage/index.ts'

/**
 * The journal of a node alone, on its own store: R = 1, W = 1, the replicated journal's own code
 * with a roster of one (tools, benchmarks and tests that run an actor system without a mesh).
 */
export async function openLocalJournal (store: LevelStore, options: { self?: string, partitions?: number } = {}): Promise<ReplicatedJournal> {
  const self = options.self ?? 'local'
  const storage = await LevelReplicaStorage.open(store, options.partitions)
  return new ReplicatedJournal({
    self,
    storage,
    roster: () => [{ peerId: self, roles: ['storage'], capacity: 1 }],
    remote: () => Promise.reject(new Error('a local journal has no other replicas'))
  })
}
