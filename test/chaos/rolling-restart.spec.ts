/**
 * A rolling restart on real processes (issue 14): five chat+storage nodes (R = 3) under chat load
 * (sequential senders, each waiting for its ack, posting to 16 rooms through the nodes, and a
 * subscriber of every room on every node). Each node in turn is taken out of the clients' load
 * balancer (its clients move to other nodes first, as docs/operations.md "Rolling restart" says),
 * stopped with SIGTERM (its entities move live to the others), started again on its data dir with
 * --join, and put back once every member sees five up. No client sees an error; every
 * acknowledged post is in its room once, at its seq, in its sender's order; every room's history
 * is the same through every node; every subscriber got every message once, in order.
 *
 * The cluster and its load start in `before` and stay for every phase (`it`); each phase ends
 * with expectInvariants(), which checks all that was posted since the start.
 */
import { expect } from 'chai'
import { migrateAskMs } from '../../node/migration/index.ts'
import { INTERRUPT_GRACE_MS } from '../../node/root/index.ts'
import type { Job } from '../../protocols/index.ts'
import { ChatLoad } from '../helpers/chat-load.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { expectRoomHistories } from '../helpers/room-histories.ts'
import { retryUnavailable } from '../helpers/retry-unavailable.ts'
import { RoomWatch } from '../helpers/room-watch.ts'
import { waitFor } from '../helpers/wait-for.ts'

const NODES = 5
const ROOMS = Array.from({ length: 16 }, (_, i) => `rr${i}`)
const SENDERS = 5
/** Posts acknowledged before the first restart and after each one: every phase runs under load. */
const POSTS_PER_STEP = 40
/** Each sender posts at most this often (25 posts/s each): the load lasts the whole spec. */
const SEND_EVERY_MS = 40
/** Random admin migrations: one every MIGRATE_EVERY_MS for MIGRATE_FOR_MS, rooms and targets drawn
 * from a seeded generator (the seed is printed: one seed draws the same requests). 20 s (100
 * requests, each room moved about 6 times) in `npm test`, which must stay under 10 minutes on 2
 * cores; PLEXI_CHAOS_MIGRATE_MS runs it longer (a minute was the default until issue 38). */
const MIGRATE_EVERY_MS = 200
const MIGRATE_FOR_MS = Number(process.env.PLEXI_CHAOS_MIGRATE_MS ?? 20_000)
/** How long one admin migration job may take to end: the node's own bound on it (migrateAskMs with
 * the default migration-timeout, 30 s: 74 s), and as long again for the job's polls on a starved
 * machine. A shorter wait here than the node's own gave up on a job still running. */
const JOB_END_MS = 2 * migrateAskMs(30_000, INTERRUPT_GRACE_MS)

/** `plexi_migrations_total` of a node's /metrics, by `trigger/outcome`. */
function movesOf (metrics: string): Map<string, number> {
  const moves = new Map<string, number>()
  for (const m of metrics.matchAll(/^plexi_migrations_total\{trigger="([a-z-]+)",outcome="([a-z-]+)"\} (\d+)/gm)) moves.set(`${m[1]}/${m[2]}`, Number(m[3]))
  return moves
}

describe('a rolling restart of five nodes under chat load (real processes)', function () {
  // each wait below is bounded on its own; this bounds their sum on a starved machine (the first
  // phase took 115 s of the 300 s this was in a full npm test on two cores)
  this.timeout(600_000)
  // every node stops by SIGTERM (it says it leaves: no member waits out a failure timeout), so
  // nothing here waits on failure detection, and the timeout is long: 1.5 s, then the default's
  // 3 s, took members that a busy machine starved of CPU for a moment (two spec files of five nodes
  // each at once on two cores, load 7 to 12) for dead or their connections for silent, and the
  // connections replaced dropped what was in flight on them (a client's post, a move's answer)
  const cluster = new ProcessCluster({ failureTimeout: 10_000 })
  let reader = ''
  let load: ChatLoad | undefined
  const watches: RoomWatch[] = []
  /** The nodes in the clients' load balancer. */
  const inRotation = new Set<NodeProcess>()
  /** Every node process's moves as its /metrics last said (a stopped one's are final, but for
   * its drain's, which its drain report says). */
  const moves = new Map<NodeProcess, Map<string, number>>()
  /** The drain reports (`drain: N entities moved ...`) of the nodes stopped. */
  const drains: Array<Record<string, unknown>> = []

  before(async () => {
    await cluster.start(Array.from({ length: NODES }, () => 'chat,storage'))
    const tokens = await Promise.all(Array.from({ length: SENDERS }, async (_, i) => await cluster.addUser(`sender${i}`)))
    reader = await cluster.addUser('reader')
    for (const s of cluster.slots) {
      inRotation.add(s.node)
      watches.push(new RoomWatch(s, ROOMS, reader))
    }
    load = new ChatLoad({ tag: 'rolling', rooms: ROOMS, senders: SENDERS, tokens, everyMs: SEND_EVERY_MS, via: (i) => cluster.slots[i % NODES] as NodeSlot })
    await load.awaitAcked(POSTS_PER_STEP)
  })

  after(async () => {
    await load?.stop()
    for (const w of watches) w.close()
    await cluster.close()
  })

  /** The load balancer's pick for a client: the node in rotation with the fewest clients. */
  function pick (): NodeSlot {
    const clients = (s: NodeSlot): number => (load?.vias() ?? []).filter((v) => v.node === s.node).length + watches.filter((w) => w.slot.node === s.node).length
    const candidates = cluster.running().filter((s) => inRotation.has(s.node))
    const best = candidates.sort((a, b) => clients(a) - clients(b))[0]
    if (best === undefined) throw new Error('no node in the load balancer')
    return best
  }

  /** Every invariant, over all posted since the start (the load pauses while they are read). */
  async function expectInvariants (opts: { allLive: boolean } = { allLive: true }): Promise<void> {
    const posting = load as ChatLoad
    await posting.pause()
    try {
      expect(posting.errors.map((e) => `${e.post.text} through ${e.via} (${e.at.join(' to ')}): ${e.message}`), `errors seen by the posting clients: ${posting.errors.slice(0, 10).map((e) => `${e.post.text}: ${e.message}`).join('; ')}`).to.deep.equal([])
      for (const w of watches.flatMap((x) => x.watches)) expect(w.errors, `a subscription to ${w.room}`).to.deep.equal([])
      await expectRoomHistories({ cluster, token: reader, rooms: ROOMS, posted: posting.posted, readers: cluster.running(), watches: watches.flatMap((w) => w.watches) })
      // every move was live: none recovered cold from the journal, none failed
      for (const s of cluster.running()) moves.set(s.node, movesOf(await cluster.metrics(s)))
      const notLive = [...moves.values()].flatMap((m) => [...m].filter(([label, n]) => n > 0 && /\/(cold|failed)$/.test(label)))
      // under admin migrations every 200 ms, a move can race a newer one of the same room and end
      // in a failover from the journal (nothing lost: the checks above hold); counted, not failed
      if (opts.allLive) expect(notLive, 'moves that were not live').to.deep.equal([])
      else if (notLive.length > 0) console.log(`      moves that ended in a failover instead of live: ${JSON.stringify(notLive)}`)
      for (const report of drains) expect(Object.keys(report.outcomes as object).filter((o) => o === 'cold' || o === 'failed'), 'drain moves that were not live').to.deep.equal([])
    } finally {
      posting.resume()
    }
  }

  /** The operator's steps for one node (docs/operations.md, Rolling restart). */
  async function restart (index: number): Promise<void> {
    const slot = cluster.slots[index] as NodeSlot
    // 1. out of the load balancer: its clients go on through the other nodes before it stops
    inRotation.delete(slot.node)
    await load?.moveOff(slot, () => pick())
    for (const w of watches) if (w.slot.node === slot.node) w.moveTo(pick())
    moves.set(slot.node, movesOf(await cluster.metrics(slot)))
    // 2. SIGTERM: it drains (its entities move live to the others) and exits 0
    const exit = await slot.node.stop('SIGTERM', 60_000)
    expect(exit, `the exit of node ${index} after its drain`).to.deep.equal({ code: 0, signal: null })
    // a node that held no entity has nothing to report
    const report = await slot.node.awaitLog((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg), 'the drain report').catch(() => undefined)
    if (report !== undefined) drains.push(report)
    // 3. (the upgrade) and the start on the same data dir, joining the members that run
    const back = await cluster.restart(index)
    await cluster.awaitUp(NODES)
    expect(await cluster.ready(back), `node ${index}'s /readyz after its restart`).to.equal(true)
    // 4. back in the load balancer; the load goes on
    inRotation.add(back.node)
    await load?.awaitAcked((load?.acked() ?? 0) + POSTS_PER_STEP)
  }

  it('should restart every node in turn with no error seen by a client and no post lost, repeated or reordered', async () => {
    for (let i = 0; i < NODES; i++) await restart(i)
    expect(drains.reduce((sum, r) => sum + (r.moved as number), 0), 'entities the drains moved').to.be.greaterThan(0)
    await expectInvariants()
  })

  it('should then migrate random rooms to random members every 200 ms for 20 s (or PLEXI_CHAOS_MIGRATE_MS), with no error seen by a client', async () => {
    const seed = Number(process.env.PLEXI_CHAOS_SEED ?? Date.now() % 1_000_000)
    console.log(`      random migrations: seed ${seed} (PLEXI_CHAOS_SEED=${seed} draws the same requests)`)
    // mulberry32: small, seeded, good enough to draw rooms and members
    let state = seed >>> 0
    const random = (): number => {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
    }
    // each job is followed from its start (a node keeps only its last 100 finished jobs)
    const started: Array<Promise<Job>> = []
    const refused: string[] = []
    const followJob = async (via: NodeSlot, job: Job): Promise<Job> => {
      let last = job
      await waitFor(async () => (last = await retryUnavailable(async () => await cluster.api<Job>(via, `/jobs/${job.id}`))).state !== 'running', `migrate job ${job.id} to end`, { timeout: JOB_END_MS, interval: 250 })
      return last
    }
    const until = performance.now() + MIGRATE_FOR_MS
    const requests: Array<Promise<void>> = []
    while (performance.now() < until && started.length + refused.length < MIGRATE_FOR_MS / MIGRATE_EVERY_MS + 10) {
      const nodes = cluster.running()
      const room = ROOMS[Math.floor(random() * ROOMS.length)] as string
      const to = nodes[Math.floor(random() * nodes.length)] as NodeSlot
      const via = nodes[Math.floor(random() * nodes.length)] as NodeSlot
      requests.push(cluster.api<Job>(via, `/actors/room/${room}/migrate`, { method: 'POST', body: { to: to.peerId } })
        .then((job) => {
          const followed = followJob(via, job)
          followed.catch(() => undefined) // awaited below, with every other
          started.push(followed)
        }, async (err: unknown) => {
          // what the node that refused saw of the members then
          const seen = await cluster.api<Array<{ peerId: string, status: string }>>(via, '/nodes').then((ms) => ms.map((m) => `${m.peerId.slice(-6)} ${m.status}`).join(', '), (e: unknown) => `(/nodes: ${(e as Error).message})`)
          refused.push(`${room} to ${to.peerId}: ${(err as Error).message} [members seen by ${via.peerId.slice(-6)}: ${seen}]`)
        }))
      await new Promise((resolve) => setTimeout(resolve, MIGRATE_EVERY_MS))
    }
    await Promise.all(requests)
    expect(refused, 'migrations refused').to.deep.equal([])
    // every job ends, none failed
    const ended = await Promise.all(started)
    expect(ended.filter((j) => j.state !== 'done').map((j) => `${j.id} ${j.target}: ${j.state}: ${j.error ?? j.message}`), 'migrate jobs that did not end done').to.deep.equal([])
    expect(ended.filter((j) => /moved live/.test(j.message)).length, 'rooms moved live by the admin').to.be.greaterThan(0)
    await load?.awaitAcked((load?.acked() ?? 0) + POSTS_PER_STEP)
    console.log(`      ${ended.length} migrate jobs: ${ended.filter((j) => /moved live/.test(j.message)).length} moved live, the others had nothing to move`)
    await expectInvariants({ allLive: false })
  })
})
