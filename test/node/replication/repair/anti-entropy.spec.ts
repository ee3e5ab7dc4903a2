import { expect } from 'chai'
import { AntiEntropy, meshPeer } from '../../../../node/index.ts'
import { ServiceFailures } from '../../../../node/services/index.ts'
import { quiet, useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('AntiEntropy (real libp2p on loopback)', function () {
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

  it('should pass again an interval after each pass ended, count a pass that fails as the service\'s, and stop', async () => {
    const [a] = await net.of([['chat']]) as [TestNode]
    const failures = new ServiceFailures()
    let broken = false
    const ae = new AntiEntropy({
      self: a.id,
      journal: a.journal,
      peer: (node, partition) => meshPeer(a.system, node, partition, a.journal.partitions),
      live: () => { if (broken) throw new Error('no view of the members'); return new Set([a.id]) },
      intervalMs: 5,
      maxRecords: 10,
      failures,
      log: quiet
    })
    ae.start()
    await waitFor(() => ae.stats.passes >= 3, 'three passes')
    broken = true
    await waitFor(() => failures.of('anti-entropy') >= 1, 'a failed pass counted')
    expect(ae.failingFor).to.be.at.least(1)
    // stop waits for the pass in progress (bounded) and starts none after it
    await ae.stop()
  })
})
