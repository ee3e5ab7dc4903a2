import { expect } from 'chai'
import { AntiEntropy, meshPeer, shardHolderPath } from '../../../node/index.ts'
import type { ShardHolderMsg } from '../../../node/index.ts'
import { quiet, useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('anti-entropy between nodes (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should fill a replica that missed records from another over the mesh, until the roots are equal', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    // 3 storage nodes, R = 3: every node is a replica of every partition
    const entity = 'room/missed'
    const p = a.journal.storage.partitionOf(entity)
    const records = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, epoch: 7, event: { n: i + 1 } }))
    for (const n of [a, b]) {
      expect(await n.journal.core(p).handle({ op: 'fence', entity, epoch: 7, activation: 'owner' })).to.include({ ok: true })
      for (let i = 0; i < 300; i += 100) {
        const reply = await n.journal.core(p).handle({ op: 'append', entity, epoch: 7, activation: 'owner', prevSeq: i, prevEpoch: i === 0 ? 0 : 7, records: records.slice(i, i + 100) })
        expect(reply.result).to.equal('ok')
      }
    }
    expect(hex(c.journal.storage.tree(p).root())).to.not.equal(hex(a.journal.storage.tree(p).root()))
    const ae = new AntiEntropy({
      self: c.id,
      journal: c.journal,
      peer: (node, partition) => meshPeer(c.system, node, partition, c.journal.partitions),
      live: () => new Set(nodes.map((n) => n.id)),
      intervalMs: 0,
      maxRecords: 10_000,
      log: quiet
    })
    await ae.runOnce()
    expect(ae.stats).to.include({ recordsFilled: 300, failures: 0, divergent: 0 })
    expect(hex(c.journal.storage.tree(p).root())).to.equal(hex(a.journal.storage.tree(p).root()))
    // the owner of epoch 7 ('owner') goes on writing to c as to the others
    const next = await c.journal.core(p).handle({ op: 'append', entity, epoch: 7, activation: 'owner', prevSeq: 300, prevEpoch: 7, records: [{ seq: 301, epoch: 7, event: { n: 301 } }] })
    expect(next.result).to.equal('ok')
    // a second pass moves nothing
    await ae.runOnce()
    expect(ae.stats.recordsFilled).to.equal(300)
  })

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
})
