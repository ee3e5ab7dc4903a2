import { expect } from 'chai'
import { chatClient } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { seriesValue } from '../helpers/metric-text.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface PartitionRow { partition: number, configurationVersion: number | null, earlierSets: Array<{ version: number, nodes: string[] }> | null, replicas: Array<{ peerId: string }> }

/**
 * Settling hand-offs (docs/replication.md, "When a hand-off is settled") on node processes (real
 * libp2p, gRPC and LevelDB on loopback, replication factor 2): a storage node joining moves
 * partitions, whose earlier replica sets every node's roster names until the keeper's node stored
 * the new configuration on them, had the new sets pull from them and recorded them settled.
 */
describe('settling hand-offs as storage nodes join (node processes, replication factor 2)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  const args = ['--replication-factor', '2']
  after(async () => { await cluster.close() })

  const rows = async (slot: NodeSlot): Promise<PartitionRow[]> => await cluster.api<PartitionRow[]>(slot, '/partitions?limit=1000')
  const unsettled = (list: PartitionRow[]): PartitionRow[] => list.filter((r) => r.earlierSets === null || r.earlierSets.length > 0)
  /** Waits until no node's roster names an earlier set, every node at the same roster version. */
  const awaitSettled = async (): Promise<void> => {
    await waitFor(async () => {
      const versions = await Promise.all(cluster.running().map(async (s) => seriesValue(await cluster.metrics(s), 'plexi_roster_version')))
      if (versions.some((v) => v === undefined || v !== versions[0])) return false
      for (const s of cluster.running()) if (unsettled(await rows(s)).length > 0) return false
      return true
    }, 'every hand-off settled on every node', { timeout: 60_000, interval: 250 })
  }
  /** Waits until every node places by a roster version naming `count` storage nodes (the join made). */
  const awaitStorage = async (count: number): Promise<void> => {
    await waitFor(async () => {
      for (const s of cluster.running()) if ((await cluster.api<Array<{ state: string }>>(s, '/storage')).filter((r) => r.state === 'active').length !== count) return false
      return true
    }, `every node to place on ${count} storage nodes`, { timeout: 60_000, interval: 250 })
  }
  const settledTotal = async (): Promise<number> => {
    let total = 0
    for (const s of cluster.running()) total += seriesValue(await cluster.metrics(s), 'plexi_roster_settled_total') ?? 0
    return total
  }

  it('should name the partitions a join moved as not settled, settle them all, and keep every room\'s history whole through two joins', async () => {
    await cluster.start([{ roles: 'chat,storage', args }])
    const [a] = cluster.slots as [NodeSlot]
    const token = await cluster.addUser('ann', a)
    const rooms = Array.from({ length: 16 }, (_, i) => `settle-${i}`)
    const client = chatClient(a.node.grpc, token)
    try {
      for (const room of rooms) for (const text of ['one', 'two']) await client.call('Post', { room, text })
    } finally {
      client.close()
    }
    // version 1 formed with the first node alone: its set is every node, nothing to settle
    await waitFor(async () => (await rows(a)).every((r) => r.configurationVersion === 1), 'version 1 formed', { timeout: 20_000, interval: 100 })
    expect(unsettled(await rows(a))).to.deep.equal([])
    const settledBefore = await settledTotal()

    // a second storage node joins: every partition's set goes from {a} to {a, b}; its earlier set
    // {a} is named until the hand-off settles
    const b = await cluster.add('chat,storage', args)
    await cluster.awaitUp(2)
    await awaitStorage(2)
    await awaitSettled()
    expect(await settledTotal() - settledBefore, 'partitions settled after the first join').to.equal(256)
    const afterFirst = await rows(b)
    expect(afterFirst.every((r) => r.replicas.length === 2 && r.configurationVersion !== null && r.configurationVersion > 1), 'every partition moved to {a, b}').to.equal(true)

    // a third: a share of the partitions moves; each settles; the others were never unsettled
    const c = await cluster.add('chat,storage', args)
    await cluster.awaitUp(3)
    await awaitStorage(3)
    await awaitSettled()
    const afterSecond = await rows(c)
    const moved = afterSecond.filter((r, p) => r.configurationVersion !== afterFirst[p]?.configurationVersion).length
    expect(moved, 'partitions the third node\'s join moved').to.be.greaterThan(0).and.lessThan(256)
    expect(await settledTotal() - settledBefore, 'partitions settled in all').to.equal(256 + moved)
    // the same configuration on every node, and every room's history whole, read through each node
    const names = async (s: NodeSlot): Promise<string> => JSON.stringify((await rows(s)).map((r) => [r.configurationVersion, r.earlierSets]))
    expect(new Set(await Promise.all(cluster.running().map(names))).size).to.equal(1)
    for (const s of cluster.running()) {
      for (const room of rooms) expect((await cluster.history(s, room, token)).map((m) => `${m.seq} ${m.text}`), `${room} through ${s.peerId}`).to.deep.equal(['1 one', '2 two'])
    }
    // writes go on after it (each room's owner under the settled configuration)
    const again = chatClient(c.node.grpc, token)
    try {
      for (const room of rooms) expect((await again.call<{ seq: number }>('Post', { room, text: 'three' })).seq, room).to.equal(3)
    } finally {
      again.close()
    }
  })
})
