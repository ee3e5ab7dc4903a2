import { expect } from 'chai'
import { ActorSystem } from '../../../../actors/index.ts'
import { LevelStore, REPLICATION_PATH, openLocalJournal, shardHolderPath, spawnShardHolders } from '../../../../node/index.ts'
import type { ReplicatedJournal, ReplicationMsg, ShardHolderMsg } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

describe('spawnShardHolders', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store, { self: 'n1', partitions: 4 })
    system = new ActorSystem({ node: 'n1', journal, strictSerialization: true })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should spawn the replication inspector and one shard holder per partition, each answering for this node\'s replicas', async () => {
    spawnShardHolders(system, journal)
    const log = await journal.open('room/a')
    await log.append([{ seq: 1, event: { n: 1 } }])
    log.close()
    const rows = await system.actorAt<ReplicationMsg>({ node: 'n1', path: REPLICATION_PATH }).ask<unknown[]>((replyTo) => ({ type: 'partition-stats', replyTo }), { timeout: 5_000 })
    const p = journal.storage.partitionOf('room/a')
    expect(rows).to.deep.include([p, 1, 1, (await journal.core(p).state('room/a')).summary.promised, journal.storage.rootOf(p), 0, 0])
    for (let q = 0; q < 4; q++) {
      const tree = await system.actorAt<ShardHolderMsg>({ node: 'n1', path: shardHolderPath(q) }).ask<string[]>((replyTo) => ({ type: 'partition', request: { op: 'tree', level: 0, from: 0, count: 1 }, replyTo }), { timeout: 5_000 })
      expect(tree, `partition ${q}`).to.deep.equal([journal.storage.rootOf(q)])
    }
  })
})
