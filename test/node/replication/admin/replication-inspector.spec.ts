import { expect } from 'chai'
import { ActorSystem } from '../../../../actors/index.ts'
import { CatchUp, LevelReplicaStorage, LevelStore, ReplicatedJournal, checkCatchUp, openLocalJournal, replicationInspector } from '../../../../node/index.ts'
import type { ReplicationMsg } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

/** What every node answers at /replication (other nodes' admin listings, hand-offs and repairs ask
 * it): bad requests are refused with a clear error and change nothing; answers from other nodes
 * are checked before they are shown or trusted. */
describe('replicationInspector', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should refuse malformed requests with InvalidReplicaRequestError and keep answering, and tell its catch-up', async () => {
    const storage = await LevelReplicaStorage.open(store)
    const journal = new ReplicatedJournal({ self: 'me', storage, roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }], remote: async () => await Promise.reject(new Error('alone')) })
    const catchUp = await CatchUp.open({
      self: 'me', journal, store, cluster: true, members: () => [], replaceAfterMs: 0, replicationFactor: 3, onRosterChanged: () => undefined, log: { info: () => undefined, warn: () => undefined },
      roster: { known: () => [{ peerId: 'me' }], candidates: () => [{ peerId: 'me' }], isLeaving: () => false, isReplaced: () => false, replace: () => false },
      pull: async () => await Promise.reject(new Error('no one to pull from'))
    })
    const ref = system.spawn(replicationInspector(storage, { antiEntropy: () => undefined, scrubber: () => undefined, catchUp: () => catchUp }), { name: 'replication' })
    const ask = async (msg: object): Promise<unknown> => await ref.ask<unknown>((replyTo) => ({ ...msg, replyTo } as unknown as ReplicationMsg), { timeout: 5_000 }).then((v) => v, (e: unknown) => e)
    // (a repair of a partition it has, refused for the anti-entropy this node does not run)
    for (const [bad, why] of [
      [{ type: 'nonsense' }, /expected/], [{ type: 'repair', partitions: [99] }, /does not run anti-entropy/], [{ type: 'repair', partitions: [256] }, /expects/],
      [{ type: 'repair', partitions: 'all' }, /expects/], [{ type: 'scrub', start: 'yes' }, /expects/], [{ type: 'take-over', partition: -1, from: 'x' }, /expects/],
      [{ type: 'take-over', partition: 1, from: '' }, /expects/], [{ type: 'partition-stats', from: 3 }, /expects/],
      [{ type: 'partition-stats', from: 4, to: 3 }, /expects/], [{ type: 'partition-stats', from: 0, to: 256 }, /expects/]
    ] as const) {
      const err = await ask(bad)
      expect(err, JSON.stringify(bad)).to.have.property('name', 'InvalidReplicaRequestError')
      expect((err as Error).message, JSON.stringify(bad)).to.match(why)
    }
    // the statistics of a span of partitions alone (none of them held: none), or of all
    expect(await ask({ type: 'partition-stats', from: 0, to: 255 })).to.deep.equal(await ask({ type: 'partition-stats' }))
    expect(await ask({ type: 'partition-stats', from: 10, to: 12 })).to.deep.equal([])
    // still answering: its catch-up (a new node alone holds nothing whole until its first check)
    expect(checkCatchUp(await ask({ type: 'catch-up' }))).to.deep.equal({ partitions: 256, caughtUp: 0, waiting: [], replaced: [] })
    await catchUp.runOnce()
    expect(checkCatchUp(await ask({ type: 'catch-up' }))).to.deep.include({ partitions: 256, caughtUp: 256 })
  })
})
