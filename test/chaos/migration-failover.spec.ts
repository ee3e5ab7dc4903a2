/**
 * A live move to a node that dies in the middle of the hand-off (issue 14), on real processes
 * under chat load: A drains (SIGTERM) and moves its rooms to B, C and D; B is killed (SIGKILL) as
 * soon as it logs that a second hand-over from A reached it (`adopting room/... from A`, at debug):
 * it has taken the first of A's rooms (and may have acknowledged posts in it), it is taking the
 * second, and the others wait for it. All of them fail over to C and D, which recover them from
 * their journals (fencing B's epoch). Clients may see errors for the posts
 * they were not acknowledged (B's own clients, asks that were on their way to B), and retry them
 * with the same client id; but every acknowledged post is in its room once, at its seq, in its
 * sender's order, and the rooms' histories are the same through C and D.
 *
 * Roles: A, C and D hold the journals (R = 3); B holds none, so that with A gone and B dead every
 * partition keeps a majority of its replicas (C and D) to fence and write with.
 */
import { expect } from 'chai'
import { ChatLoad } from '../helpers/chat-load.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { expectRoomHistories } from '../helpers/room-histories.ts'

/** Rooms of each kind: A's that go to B when A drains (the moves B dies in), A's that go to C or
 * D, and rooms of B, C and D. */
const PER_KIND = 4
/** Senders with client ids retry a failed post this many times (the same client id) through C and
 * D, and for as long as RETRY_FOR_MS after its first try: until the failover is done, however slow
 * the machine (a count of tries alone ran out on a slow one, the failures coming fast). */
const TRIES = 40
const RETRY_FOR_MS = 90_000
/** The gRPC code a client may see for a post it was not acknowledged: UNAVAILABLE (the node it
 * went through, or the owner it was on its way to, is gone). */
const UNAVAILABLE = 14

describe('a live move to a node that dies mid-hand-off (real processes)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()

  before(async () => {
    await cluster.start(['chat,storage', { roles: 'chat', args: ['--log-level', 'debug'] }, 'chat,storage', 'chat,storage'])
  })

  after(async () => {
    await cluster.close()
  })

  it('should fail over the rooms a dying node was taking, losing and repeating no acknowledged post', async () => {
    const [a, b, c, d] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot, NodeSlot]
    // rooms by where placement puts them now, and once A has left
    const kinds = { toB: [] as string[], toOthers: [] as string[], notA: [] as string[] }
    for (let i = 0; i < 1_000 && Object.values(kinds).some((k) => k.length < PER_KIND); i++) {
      const room = `fo${i}`
      const now = await cluster.ownerOf(c, 'room', 'chat', room)
      const kind = now !== a.peerId ? kinds.notA : await cluster.ownerOf(c, 'room', 'chat', room, [a.peerId]) === b.peerId ? kinds.toB : kinds.toOthers
      if (kind.length < PER_KIND) kind.push(room)
    }
    const rooms = [...kinds.toB, ...kinds.toOthers, ...kinds.notA]
    expect(rooms, 'rooms of every kind').to.have.length(3 * PER_KIND)
    const tokens = await Promise.all(Array.from({ length: 5 }, async (_, i) => await cluster.addUser(`poster${i}`, c)))
    const survivors = [c, d]
    // B's own clients, and clients of C and D; the last two give no client id (and never retry)
    const load = new ChatLoad({
      tag: 'failover',
      rooms,
      senders: 5,
      tokens,
      via: (i) => [b, c, d, c, d][i] as NodeSlot,
      tries: TRIES,
      retryForMs: RETRY_FOR_MS,
      retryVia: (i, failed) => survivors.find((s) => s.node !== failed.node) ?? c,
      clientIds: (i) => i < 3
    })
    try {
      await load.awaitAcked(150)
      // B takes hand-overs one at a time (its /migration actor awaits each adoption): when it logs
      // the second, it has taken the first room (and may have acknowledged posts in it)
      const sigterm = Date.now()
      const adoptions: string[] = []
      const second = b.node.awaitLog((l) => (l.time as number) >= sigterm && l.from === a.peerId && typeof l.msg === 'string' && l.msg.startsWith('adopting room/') &&
        adoptions.push(l.entity as string) === 2, 'a second hand-over from A', 60_000)
      const drained = a.node.stop('SIGTERM', 60_000)
      await second
      await b.node.stop('SIGKILL', 20_000)
      for (const entity of adoptions) expect(kinds.toB.map((r) => `room/${r}`), 'the rooms B took and was taking when it died').to.include(entity)
      expect(await drained, 'A\'s exit after its drain').to.deep.equal({ code: 0, signal: null })
      await cluster.awaitUp(2, survivors)
      // the load goes on through C and D, B's rooms now theirs
      await load.awaitAcked(load.acked() + 150)
    } finally {
      await load.stop()
    }
    const report = await a.node.awaitLog((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg), 'the drain report')
    expect(report.moved as number, 'entities A\'s drain moved').to.be.greaterThan(0)
    expect(load.errors.filter((e) => e.code !== UNAVAILABLE).map((e) => `${e.post.text} through ${e.via} (${e.at.join(' to ')}): ${e.message}`),
      'errors other than UNAVAILABLE').to.deep.equal([])
    // each with the room and the last try's error: what a CI failure has to go on
    const lastError = (p: { text: string }): string => { const e = load.errors.filter((x) => x.post.text === p.text).at(-1); return e === undefined ? 'no error kept' : `${e.message} through ${e.via}` }
    expect(load.posted.filter((p) => p.clientId !== undefined && p.seq === undefined).map((p) => `${p.text} in ${p.room}: ${lastError(p)}`), `posts with a client id never acknowledged in ${TRIES} tries and ${RETRY_FOR_MS / 1000} s`).to.deep.equal([])
    // the rooms A was handing to B live on C and D now
    const where = await cluster.api<Array<{ key: string, node: string }>>(c, '/actors?type=room&limit=1000')
    for (const room of kinds.toB) expect(survivors.map((s) => s.peerId), `where ${room} lives`).to.include(where.find((x) => x.key === room)?.node)
    await expectRoomHistories({ cluster, token: tokens[0] as string, rooms, posted: load.posted, readers: survivors })
  })
})
