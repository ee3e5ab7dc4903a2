/**
 * A network partition (issue 12), with the p2p host's fault hook on three nodes in one process
 * (real libp2p on loopback, a LevelDB each, every journal on all three: R = 3, W = 2): the
 * majority side serves, the minority cannot acknowledge a write (it cannot fence a journal
 * without a second replica), and once the network heals every room reads the same through every
 * node, with every acknowledged post once at its seq.
 */
import { expect } from 'chai'
import { chatRoom } from '../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../actors/index.ts'
import { useTestCluster } from '../helpers/test-cluster.ts'
import type { TestNode } from '../helpers/test-cluster.ts'
import { retryUnavailable } from '../helpers/retry-unavailable.ts'
import { waitFor } from '../helpers/wait-for.ts'

describe('a network partition (real libp2p on loopback, R=3 W=2)', function () {
  // each wait below is bounded on its own; this bounds their sum on a starved machine
  this.timeout(300_000)
  const net = useTestCluster()

  const post = (node: TestNode, room: string, text: string): Promise<PostAck> =>
    node.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text, replyTo }), { timeout: 10_000 })
  const history = (node: TestNode, room: string): Promise<ChatMessage[]> =>
    node.system.entity(chatRoom, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1000, replyTo }), { timeout: 10_000 })
  const sees = (node: TestNode, others: TestNode[], status: string): boolean =>
    others.every((o) => node.host.members().find((m) => m.peerId === o.id)?.status === status)
  it('should serve on the majority side, refuse writes on the minority, and read the same everywhere after healing', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const rooms = Array.from({ length: 8 }, (_, i) => `split-${i}`)
    const acked = new Map<string, Map<number, string>>(rooms.map((r) => [r, new Map()]))
    const remember = (room: string, ack: PostAck, text: string): void => { acked.get(room)?.set(ack.seq, text) }
    for (const room of rooms) remember(room, await post(a, room, `${room} before`), `${room} before`)

    // c is cut off from a and b, both ways
    await c.host.partition([a.id, b.id])
    await a.host.partition([c.id])
    await b.host.partition([c.id])
    await waitFor(() => sees(a, [c], 'down') && sees(b, [c], 'down') && sees(c, [a, b], 'down'), 'each side to see the other down', { timeout: 60_000, interval: 25 })
    for (const n of [a, b, c]) n.cluster.refresh()

    // the majority (a, b) holds two replicas of every partition: it serves every room
    for (const room of rooms) {
      const text = `${room} during`
      remember(room, await retryUnavailable(async () => await post(room.endsWith('1') ? b : a, room, text)), text)
    }
    // the minority (c) owns every room in its view, and cannot fence a journal with one replica
    // (all at once: each waits out its quorum in vain, and one after another that is most of the test)
    const errors = await Promise.all(rooms.map(async (room) => await post(c, room, `${room} from the minority`).then(() => null, (e: Error) => e)))
    errors.forEach((err, i) => { expect(err, `${rooms[i]}: a write on the minority side was acknowledged`).to.not.equal(null) })
    expect(errors).to.have.length(rooms.length)

    for (const n of [a, b, c]) n.host.heal()
    await waitFor(() => sees(a, [b, c], 'up') && sees(b, [a, c], 'up') && sees(c, [a, b], 'up'), 'all three up again', { timeout: 60_000, interval: 25 })
    for (const n of [a, b, c]) n.cluster.refresh()

    for (const room of rooms) {
      remember(room, await retryUnavailable(async () => await post(c, room, `${room} after`)), `${room} after`)
      const views = await Promise.all([a, b, c].map(async (n) => await retryUnavailable(async () => await history(n, room))))
      const texts = views.map((v) => v.filter((m) => m.kind === 'message').map((m) => `${m.seq}:${m.text}`))
      expect(texts[1], `${room} through b`).to.deep.equal(texts[0])
      expect(texts[2], `${room} through c`).to.deep.equal(texts[0])
      for (const [seq, text] of acked.get(room) ?? []) {
        expect(views[0]?.find((m) => m.seq === seq)?.text, `${room} seq ${seq}`).to.equal(text)
      }
      expect(texts[0]?.some((t) => t.endsWith('from the minority')), `${room}: a refused write appeared`).to.equal(false)
    }
  })
})
