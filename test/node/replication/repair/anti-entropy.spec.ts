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

  it('should run a take-over of one partition beside a pass held up on another, and compares of one partition one after the other', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, , c] = nodes as [TestNode, TestNode, TestNode]
    // a pass's compares of partition 0 wait at the gate (a slow peer); the others go through
    let open!: () => void
    const gate = new Promise<void>((resolve) => { open = resolve })
    const asked: number[] = []
    const ae = new AntiEntropy({
      self: c.id,
      journal: c.journal,
      peer: (node, partition) => {
        const peer = meshPeer(c.system, node, partition, c.journal.partitions)
        return { ...peer, tree: async (level, from, count) => { asked.push(partition); if (partition === 0) await gate; return await peer.tree(level, from, count) } }
      },
      live: () => new Set(nodes.map((n) => n.id)),
      intervalMs: 0,
      maxRecords: 10_000,
      log: quiet
    })
    const pass = ae.runOnce()
    await waitFor(() => asked.includes(0), 'the pass at partition 0')
    // a learner's take-over of partition 5 is not queued behind the pass (held up at 0)
    expect(await ae.takeOver(5, a.id)).to.include({ records: 0, repaired: 0 })
    // one of partition 0 waits for the pass's compare of it
    let tookZero = false
    const zero = ae.takeOver(0, a.id).then(() => { tookZero = true })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(tookZero, 'a second compare of partition 0 while the first is held up').to.equal(false)
    expect(asked.filter((p) => p === 0)).to.have.length(1)
    open()
    await Promise.all([pass, zero])
    expect(asked.filter((p) => p === 0).length).to.be.at.least(2)
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
