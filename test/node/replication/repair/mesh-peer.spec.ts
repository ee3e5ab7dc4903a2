import { expect } from 'chai'
import { checkEntityPage, meshPeer, replicaPeer } from '../../../../node/index.ts'
import { partitionOf } from '../../../../node/replication/partitioning.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Another node's replica asked over the mesh (real libp2p on loopback), every answer checked. */
describe('meshPeer (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should answer as that node\'s own replica does', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const entity = 'room/remote'
    const p = b.journal.storage.partitionOf(entity)
    const core = b.journal.core(p)
    await core.handle({ op: 'fence', entity, epoch: 4, activation: 'owner' })
    await core.handle({ op: 'append', entity, epoch: 4, activation: 'owner', prevSeq: 0, prevEpoch: 0, records: [1, 2, 3].map((seq) => ({ seq, epoch: 4, event: { n: seq } })) })
    const remote = meshPeer(a.system, b.id, p, b.journal.partitions)
    const local = replicaPeer(p, b.journal.storage, core)
    expect((await remote.tree(1, 0, 2)).map(hex)).to.deep.equal((await local.tree(1, 0, 2)).map(hex))
    expect((await remote.spans(entity, 1, 3, 1)).map(hex)).to.deep.equal((await local.spans(entity, 1, 3, 1)).map(hex))
    expect(await remote.read(entity, 1, 3)).to.deep.equal(await local.read(entity, 1, 3))
    expect(await remote.entities('', 10)).to.deep.equal(await local.entities('', 10))
  })

  it('should refuse a page of entities a correct peer could not have sent', () => {
    const partitions = 16
    const rooms = Array.from({ length: 200 }, (_, i) => `room/r${i}`)
    const mine = rooms.filter((e) => partitionOf(e, partitions) === 5).sort()
    const theirs = rooms.find((e) => partitionOf(e, partitions) !== 5) as string
    const summary = { promised: 1, head: 1, headEpoch: 1, segments: [[1, 1]], snapshotSeq: 0 }
    const fail = (why: string): never => { throw new Error(why) }
    const page = mine.slice(0, 2).map((entity) => ({ entity, summary }))
    expect(checkEntityPage(page, '', 2, 5, partitions, fail)).to.deep.equal(page)
    expect(() => checkEntityPage(page, '', 1, 5, partitions, fail)).to.throw(/at most 1/)
    expect(() => checkEntityPage([...page].reverse(), '', 2, 5, partitions, fail)).to.throw(/not the next entity/)
    expect(() => checkEntityPage([{ entity: theirs, summary }], '', 2, 5, partitions, fail)).to.throw(/not the next entity/)
    expect(() => checkEntityPage(page, mine[1] as string, 2, 5, partitions, fail)).to.throw(/not the next entity/)
    expect(() => checkEntityPage([{ entity: mine[0], summary: { ...summary, head: -1 } }], '', 2, 5, partitions, fail)).to.throw()
  })
})
