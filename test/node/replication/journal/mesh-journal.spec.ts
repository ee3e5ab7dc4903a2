import { expect } from 'chai'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'

/** The replicated journal of nodes on the mesh (real libp2p on loopback): an owner on one node
 * writes to the replicas on the others through their shard holders. */
describe('meshJournal (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should write an entity\'s journal to the replicas on other nodes and read it back from any node', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const entity = 'room/meshed'
    const p = a.journal.storage.partitionOf(entity)
    expect(a.journal.placement(p).replicas).to.have.members([a.id, b.id, c.id])
    const log = await a.journal.open(entity)
    await log.append([1, 2, 3].map((seq) => ({ seq, event: { n: seq } })))
    log.close()
    // a majority of the replicas hold it: the other nodes' own replicas say so
    const heads = await Promise.all([b, c].map(async (n) => (await n.journal.core(p).state(entity)).summary.head))
    expect(heads.filter((h) => h === 3).length).to.be.at.least(1)
    // another node takes the entity from the replicas and reads what a wrote
    const again = await b.journal.open(entity)
    expect(again.head).to.equal(3)
    expect((await again.read({ from: 1, limit: 10 })).map((r) => r.seq)).to.deep.equal([1, 2, 3])
    again.close()
  })
})
