import { expect } from 'chai'
import { chatClient, runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface Hit { kind: string, name: string, seq: number, author: string, snippet: string }
interface Answer { hits: Hit[], partial: boolean, missingPartitions?: number[], missing?: number[] }

/**
 * Search across three node processes on loopback (real libp2p, gRPC, LevelDB, SQLite): two replicas
 * of each partition, so that a search at any node needs another node's index for some partitions.
 */
describe('search across three nodes (replication factor 2)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  let ann = ''
  let bob = ''
  after(async () => { await cluster.close() })

  const search = async (slot: NodeSlot, token: string, request: object): Promise<Answer> => {
    const c = chatClient(slot.node.grpc, token)
    try {
      return await c.call<Answer>('Search', request)
    } finally {
      c.close()
    }
  }

  it('should find through any node the posts made through another, with the match marked', async () => {
    await cluster.start(['chat,storage', 'chat,storage', 'chat,storage'].map((roles) => ({ roles, args: ['--replication-factor', '2'] })))
    const [a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    ann = await cluster.addUser('ann', a)
    bob = await cluster.addUser('bob', a)
    const poster = chatClient(a.node.grpc, ann)
    try {
      for (let i = 0; i < 12; i++) await poster.call('Post', { room: `zoo${i}`, text: `the zebra number ${i} escaped on tuesday` })
      await poster.call('Post', { room: 'zoo0', text: 'lunch is pizza' })
    } finally {
      poster.close()
    }
    for (const slot of [b, c]) {
      await waitFor(async () => (await search(slot, bob, { query: 'zebra', limit: 50 })).hits.length === 12, `12 zebra posts found through ${slot.peerId}`, { timeout: 30_000, interval: 200 })
    }
    const answer = await search(c, bob, { query: 'zebra escaped', rooms: ['zoo3', 'zoo4'], author: 'ann' })
    expect(answer.partial).to.equal(false)
    expect(answer.hits.map((h) => h.name).sort()).to.deep.equal(['zoo3', 'zoo4'])
    expect(answer.hits[0]?.snippet).to.match(/zebra number \d escaped/)
    const admin = await cluster.api<Answer>(b, '/search?q=pizza')
    expect(admin.hits.map((h) => [h.kind, h.name, h.author])).to.deep.equal([['room', 'zoo0', 'ann']])
    const cli = await runCli(['chat', 'search', 'tuesday', '--room', 'zoo7', '--addr', b.node.grpc, '--token', bob])
    expect(cli.code, cli.stderr).to.equal(0)
    expect(cli.stdout).to.match(/^zoo7#1 {2}ann {2}\d{4}-.*escaped on \[tuesday\]$/m)
    // an import is indexed once it paused, by the original author and time, found through any node
    const lines = [{ format: 'plexi-export/1', source: 'elsewhere/room/zoo-old/1', kind: 'room', name: 'zoo-old', exportedAt: 1, from: 1, to: 2, floor: 1 },
      { seq: 1, kind: 'message', user: 'carol', ts: Date.UTC(2025, 0, 2), text: 'the okapi arrived in winter' },
      { seq: 2, kind: 'message', user: 'dave', ts: Date.UTC(2025, 0, 3), text: 'the okapi likes leaves' }]
    const res = await fetch(`http://${a.node.admin}/api/v1/rooms/zoo-new/import?as=ann`, {
      method: 'POST', headers: { authorization: `Bearer ${a.node.adminToken}`, 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n')
    })
    expect(res.status, await res.clone().text()).to.equal(200)
    for (const slot of [b, c]) {
      await waitFor(async () => (await search(slot, bob, { query: 'okapi' })).hits.length === 2, `the imported okapi posts found through ${slot.peerId}`, { timeout: 30_000, interval: 200 })
    }
    const okapi = await search(c, bob, { query: 'okapi', author: 'carol' })
    expect(okapi.hits.map((h) => [h.name, h.seq, h.author])).to.deep.equal([['zoo-new', 1, 'carol']])
  })

  it('should keep finding a room\'s posts when the room\'s owner fails', async () => {
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    const owner = await cluster.ownerOf(b, 'room', 'chat', 'zoo5')
    const victim = cluster.slots.find((s) => s.peerId === owner) ?? a
    const via = cluster.slots.find((s) => s !== victim) as NodeSlot
    await victim.node.stop('SIGKILL')
    // the first searches may ask the dead node before its failure is seen: its partitions are
    // asked of their other replica at once
    const answer = await search(via, bob, { query: 'zebra', rooms: ['zoo5'] })
    expect(answer.hits.map((h) => h.name)).to.deep.equal(['zoo5'])
    await waitFor(async () => {
      const all = await search(via, bob, { query: 'zebra', limit: 50 })
      return all.hits.length === 12 && !all.partial
    }, 'every zebra post found, not partial, with one node down', { timeout: 30_000, interval: 250 })
  })
})
