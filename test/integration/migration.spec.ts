/**
 * Live migration on real node processes (issue 14): three chat+storage nodes (R = 3), clients
 * posting through one node and subscribed through another while the third is drained with
 * SIGTERM (its rooms move live to the others) and then started again (its rooms move back to
 * it). The invariants, each checked on its own: no acknowledged post is lost, none is stored
 * twice, each sender's posts keep their order, and every subscriber keeps its stream (no error,
 * no gap, no duplicate).
 */
import { expect } from 'chai'
import { ChatLoad } from '../helpers/chat-load.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { expectRoomHistories } from '../helpers/room-histories.ts'
import { RoomWatch } from '../helpers/room-watch.ts'
import { waitFor } from '../helpers/wait-for.ts'

const ROOMS = Array.from({ length: 12 }, (_, i) => `mv${i}`)
const SENDERS = 3

describe('live migration on real processes (drain by SIGTERM, restart)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  let token = ''

  before(async () => {
    await cluster.start(['chat,storage', 'chat,storage', 'chat,storage'])
    token = await cluster.addUser('mover', cluster.slots[1])
  })

  after(async () => {
    await cluster.close()
  })

  /** Posts through `via`, watched through `watched`; then the invariants, read through `readers`. */
  async function underLoad (tag: string, via: NodeSlot, watched: NodeSlot, readers: () => NodeSlot[], during: (load: ChatLoad) => Promise<void>): Promise<void> {
    const watch = new RoomWatch(watched, ROOMS, token)
    try {
      const load = new ChatLoad({ tag, rooms: ROOMS, senders: SENDERS, tokens: [token], via: () => via })
      try {
        await during(load)
      } finally {
        await load.stop()
      }
      expect(load.errors.map((e) => `${e.post.text}: ${e.message}`), 'errors seen by the posting clients').to.deep.equal([])
      for (const w of watch.watches) expect(w.errors, `subscription to ${w.room}`).to.deep.equal([])
      await expectRoomHistories({ cluster, token, rooms: ROOMS, posted: load.posted, readers: readers(), watches: watch.watches })
    } finally {
      watch.close()
    }
  }

  it('should move a draining node\'s rooms live: no post lost, repeated or reordered, no stream cut', async () => {
    const [drained, via, watched] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    await underLoad('drain', via, watched, () => [via, watched], async (load) => {
      await load.awaitAcked(150)
      const before = load.acked()
      // SIGTERM: the node drains (its rooms move live to the others) and exits
      const exit = await drained.node.stop('SIGTERM', 60_000)
      expect(exit.code, 'exit code after the drain').to.equal(0)
      const report = await drained.node.awaitLog((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg), 'the drain report')
      expect(report.moved as number, 'rooms moved off the drained node').to.be.greaterThan(0)
      // every move live, none recovered cold, none failed ('not-active': a new owner's claim had
      // moved it first, or it passivated, before its turn in the drain came)
      expect(Object.keys(report.outcomes as object).filter((o) => o !== 'moved' && o !== 'not-active'), 'drain moves that were not live').to.deep.equal([])
      expect((report.outcomes as { moved?: number }).moved, 'rooms moved live').to.be.greaterThan(0)
      await load.awaitAcked(before + 150)
    })
  })

  it('should move rooms back to a node that starts again, live, losing nothing', async () => {
    const [, via, watched] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    await underLoad('restart', via, watched, () => cluster.slots, async (load) => {
      await load.awaitAcked(100)
      const restarted = await cluster.restart(0, [via])
      await cluster.awaitUp(3)
      // its share of the rooms comes back to it
      await waitFor(async () => (await cluster.api<Array<{ node: string }>>(via, '/actors?type=room')).some((a) => a.node === restarted.peerId),
        'rooms on the restarted node', { timeout: 30_000, interval: 100 })
      await load.awaitAcked(load.acked() + 150)
      // the rooms came back live: the others moved them (a rebalance, or claimed by the restarted node)
      const moves = await Promise.all([via, watched].map(async (s) => await cluster.metrics(s)))
      const count = (outcome: string): number => moves.flatMap((m) => [...m.matchAll(new RegExp(`^plexi_migrations_total\\{trigger="(rebalance|claim)",outcome="${outcome}"\\} (\\d+)`, 'gm'))]).reduce((sum, m) => sum + Number(m[2]), 0)
      expect(count('moved'), 'rooms moved back live').to.be.greaterThan(0)
      expect(count('cold') + count('failed'), 'moves that were not live').to.equal(0)
    })
  })
})

describe('a draining node whose entities no other member can take (real processes)', function () {
  this.timeout(120_000)
  const cluster = new ProcessCluster()
  let token = ''

  before(async () => {
    // the rooms' journals live on both nodes (R = 2, W = 2): the keeper's last writes need the other
    await cluster.start(['chat,storage', 'storage'])
    token = await cluster.addUser('keeper', cluster.slots[0])
  })

  after(async () => {
    await cluster.close()
  })

  it('should stop those entities while the mesh still runs (their last writes reach the other node), exit 0 and lose no acknowledged post', async () => {
    const [keeper] = cluster.slots as [NodeSlot, NodeSlot]
    const rooms = ROOMS.slice(0, 6)
    const load = new ChatLoad({ tag: 'keep', rooms, senders: SENDERS, tokens: [token], via: () => keeper })
    try {
      await load.awaitAcked(90)
      // SIGTERM under load: no member takes chat, so the rooms stay until the stop
      const exit = await keeper.node.stop('SIGTERM', 60_000)
      expect(exit, 'the exit after the drain').to.deep.equal({ code: 0, signal: null })
      await keeper.node.awaitLog((l) => l.msg === 'stopped: journal flushed', 'the stop\'s last line')
      expect(keeper.node.logs.filter((l) => typeof l.msg === 'string' && /did not (stop|finish)/.test(l.msg)).map((l) => l.msg), 'parts or entities that did not stop').to.deep.equal([])
    } finally {
      await load.stop()
    }
    // started again on its data dir: every acknowledged post is there, once, in order
    const back = await cluster.restart(0)
    await expectRoomHistories({ cluster, token, rooms, posted: load.posted, readers: [back] })
  })
})
