import { expect } from 'chai'
import { checkPartitionRequest, shardHolderPath } from '../../../../node/index.ts'
import type { ShardHolderMsg } from '../../../../node/index.ts'
import { MAX_ENTITY_PAGE, MAX_SPANS } from '../../../../node/replication/constants.ts'
import { partitionOf } from '../../../../node/replication/partitioning.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'

/** A partition's shard holder on another node, asked over the mesh like an owner or a peer's
 * anti-entropy asks it (real libp2p on loopback). */
describe('shardHolder (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should refuse malformed partition requests from peers and change nothing', async () => {
    const nodes = await net.of([['chat'], ['chat']])
    const [a, b] = nodes as [TestNode, TestNode]
    const holder = a.system.actorAt<ShardHolderMsg>({ node: b.id, path: shardHolderPath(3) })
    for (const request of [{ op: 'tree', level: 99, from: 0, count: 1 }, { op: 'tree', level: 1, from: 0, count: 100_000 }, { op: 'bucket', bucket: -1 }, { op: 'drop-all' }, null]) {
      const err = await holder.ask<unknown>((replyTo) => ({ type: 'partition', request, replyTo }) as unknown as ShardHolderMsg, { timeout: 5_000 }).then(() => null, (e: unknown) => e)
      expect(err, JSON.stringify(request)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    // and the holder still answers
    const ok = await holder.ask<string[]>((replyTo) => ({ type: 'partition', request: { op: 'tree', level: 0, from: 0, count: 1 }, replyTo }), { timeout: 5_000 })
    expect(ok).to.have.length(1)
  })

  it('should answer replica requests of its partition only, checked like any client input', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const entity = 'room/held'
    const p = b.journal.storage.partitionOf(entity)
    const holder = a.system.actorAt<ShardHolderMsg>({ node: b.id, path: shardHolderPath(p) })
    const fence = await holder.ask<unknown>((replyTo) => ({ type: 'replica', request: { op: 'fence', entity, epoch: 3, activation: 'x' }, replyTo }), { timeout: 5_000 })
    expect(fence).to.deep.include({ ok: true })
    const other = a.system.actorAt<ShardHolderMsg>({ node: b.id, path: shardHolderPath((p + 1) % b.journal.partitions) })
    const err = await other.ask<unknown>((replyTo) => ({ type: 'replica', request: { op: 'summary', entity }, replyTo }), { timeout: 5_000 }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'InvalidReplicaRequestError')
    expect((err as Error).message).to.match(/belongs to partition/)
    // the promise was made by b's replica, and only there
    expect((await b.journal.core(p).state(entity)).summary.promised).to.equal(3)
  })

  it('should take only partition requests a correct peer sends', () => {
    const partitions = 16
    const rooms = Array.from({ length: 100 }, (_, i) => `room/r${i}`)
    const mine = rooms.find((e) => partitionOf(e, partitions) === 2) as string
    const theirs = rooms.find((e) => partitionOf(e, partitions) !== 2) as string
    expect(checkPartitionRequest({ op: 'spans', entity: mine, from: 1, to: 64, span: 16 }, 2, partitions)).to.deep.equal({ op: 'spans', entity: mine, from: 1, to: 64, span: 16 })
    expect(checkPartitionRequest({ op: 'entities', after: '', limit: MAX_ENTITY_PAGE }, 2, partitions)).to.have.property('op', 'entities')
    for (const bad of [
      { op: 'spans', entity: mine, from: 1, to: MAX_SPANS + 1, span: 1 },
      { op: 'spans', entity: mine, from: 5, to: 4, span: 1 },
      { op: 'spans', entity: theirs, from: 1, to: 4, span: 1 },
      { op: 'entities', after: '', limit: MAX_ENTITY_PAGE + 1 },
      { op: 'bucket', bucket: 256 }
    ]) {
      expect(() => checkPartitionRequest(bad, 2, partitions), JSON.stringify(bad)).to.throw().with.property('name', 'InvalidReplicaRequestError')
    }
  })
})
