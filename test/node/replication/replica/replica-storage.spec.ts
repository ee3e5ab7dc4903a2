import { expect } from 'chai'
import type { ReplicaState, ReplicaStorage } from '../../../../node/index.ts'
import { recs, replicaDisks } from '../fixtures/replica-disks.ts'

const stateOf = (promised: number, head: number, headEpoch: number, segments: Array<[number, number]>, promisedBy = 'act'): ReplicaState =>
  ({ summary: { promised, head, headEpoch, segments, snapshotSeq: 0 }, promisedBy })

/**
 * The contract of a replica's disk (ReplicaCore relies on it; the simulation's disk keeps it too),
 * checked on the node's: LevelReplicaStorage on a real LevelDB, reopened where durability counts.
 */
describe('ReplicaStorage (on LevelReplicaStorage)', () => {
  const { open, reopen, cleanup } = replicaDisks()
  afterEach(cleanup)

  it('should keep a change whole and durable: its state, its records and its snapshot, found again after a reopen', async () => {
    const r = await open()
    const storage: ReplicaStorage = r.storage
    expect(await storage.load('room/a')).to.equal(undefined)
    await storage.write('room/a', 0, { state: stateOf(1, 3, 1, [[1, 1]]), records: recs(1, 3, 1), snapshot: { seq: 2, state: { n: 2 } } })
    const again: ReplicaStorage = (await reopen(r)).storage
    expect(await again.load('room/a')).to.deep.equal({ ...stateOf(1, 3, 1, [[1, 1]]), summary: { ...stateOf(1, 3, 1, [[1, 1]]).summary, snapshotSeq: 0 } })
    expect((await again.read('room/a', 1, 10)).map((x) => x.seq)).to.deep.equal([1, 2, 3])
    expect(await again.loadSnapshot('room/a')).to.deep.equal({ seq: 2, state: { n: 2 } })
  })

  it('should find the head from the last record when only the head moved (the state on disk left as it was)', async () => {
    const r = await open()
    await r.storage.write('room/a', 0, { state: stateOf(1, 2, 1, [[1, 1]]), records: recs(1, 2, 1) })
    // an ordinary append: the state need not be written
    await r.storage.write('room/a', 2, { state: stateOf(1, 5, 1, [[1, 1]]), records: recs(3, 5, 1), stateChanged: false })
    const again = (await reopen(r)).storage
    expect((await again.load('room/a'))?.summary).to.deep.include({ head: 5, headEpoch: 1 })
    expect((await again.loadMany?.(['room/a', 'room/none']))?.map((s) => s?.summary.head)).to.deep.equal([5, undefined])
    // a snapshot changes the state (its seq) whatever the change says of it
    await again.write('room/a', 5, { state: { ...stateOf(1, 5, 1, [[1, 1]]), summary: { ...stateOf(1, 5, 1, [[1, 1]]).summary, snapshotSeq: 4 } }, snapshot: { seq: 4, state: 'four' }, stateChanged: false })
    expect((await (await reopen({ path: r.path })).storage.load('room/a'))?.summary.snapshotSeq).to.equal(4)
  })

  it('should remove what follows `removeFrom` before it writes, and put back only missing or damaged records', async () => {
    const r = await open()
    await r.storage.write('room/a', 0, { state: stateOf(1, 5, 1, [[1, 1]]), records: recs(1, 5, 1) })
    await r.storage.write('room/a', 5, { state: stateOf(2, 4, 2, [[1, 1], [2, 4]]), removeFrom: 4, records: recs(4, 4, 2) })
    expect((await r.storage.read('room/a', 1, 10)).map((x) => [x.seq, x.epoch])).to.deep.equal([[1, 1], [2, 1], [3, 1], [4, 2]])
    // a record that reads correctly is never replaced
    expect(await r.storage.repairRecords?.('room/a', recs(2, 2, 9, 'other'))).to.deep.equal([])
    expect((await r.storage.read('room/a', 2, 1))[0]?.event).to.deep.equal({ n: 2, tag: '' })
  })
})
