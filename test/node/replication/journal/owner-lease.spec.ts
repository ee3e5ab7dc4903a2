import { expect } from 'chai'
import { EntityLeaseHeldError, EntityLog, LevelReplicaStorage, LevelStore, ReplicaCore, ReplicasUnavailableError, StaleEpochError, TakeAbandonedError, checkLogTicket } from '../../../../node/index.ts'
import type { LeaseOptions, LogTicket, OwnerEnv, ReplicaRequest, ReplyOf } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

/**
 * Owners' leases (docs/replication.md, "Leases"): three real replicas (LevelDB in temp dirs) on a
 * clock the test moves by hand, so that what happens before and after a lease ends is decided by
 * the test, not by how fast the machine is.
 */
describe('OwnerLease (leases as owners hold them and replicas grant them)', () => {
  const NODES = ['a', 'b', 'c'] as const
  const LEASE: LeaseOptions = { ms: 1_000, maxDrift: 0.01 }
  let dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  let stores: LevelStore[] = []
  let storages: LevelReplicaStorage[] = []
  let cores: Map<string, ReplicaCore>
  let now: number
  let timers: Array<{ at: number, fn: () => void, cancelled: boolean }>
  const down = new Set<string>()
  /** Requests each replica was sent, by op. */
  let sent: Map<string, number>

  beforeEach(async () => {
    down.clear()
    fenceDelays.clear()
    leaseLatency = 0
    now = 10_000
    timers = []
    sent = new Map()
    dirs = await Promise.all(NODES.map(async () => await tempDir()))
    stores = await Promise.all(dirs.map(async (d) => await LevelStore.open(d.path)))
    storages = await Promise.all(stores.map(async (s) => await LevelReplicaStorage.open(s, 4)))
    cores = new Map(NODES.map((n, i) => [n, new ReplicaCore(storages[i] as LevelReplicaStorage, { leaseMs: LEASE.ms, clock: () => now, startedAt: 0 })] as const))
  })
  afterEach(async () => {
    await Promise.all(stores.map(async (s) => { await s.close() }))
    await Promise.all(dirs.map(async (d) => { await d.remove() }))
  })

  /** Fences held back on the test's clock, by `activation@node`. */
  const fenceDelays = new Map<string, number>()
  /** Requests sent and not yet answered. */
  let inFlight = 0
  /** How long (on the test's clock) a lease request takes to be answered. */
  let leaseLatency = 0
  const env: OwnerEnv = {
    call: async <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
      sent.set(request.op, (sent.get(request.op) ?? 0) + 1)
      if (down.has(node)) throw new ReplicasUnavailableError(request.entity, `asking ${node}`, 1, 0, `${node} is unreachable`)
      if (request.op === 'lease' && leaseLatency > 0) await new Promise<void>((resolve) => { env.timer(leaseLatency, resolve) })
      const held = request.op === 'fence' ? fenceDelays.get(`${request.activation}@${node}`) : undefined
      if (held !== undefined) await new Promise<void>((resolve) => { env.timer(held, resolve) })
      inFlight++
      try {
        return await (cores.get(node) as ReplicaCore).handle(request)
      } finally {
        inFlight--
      }
    },
    timer: (ms, fn) => {
      const t = { at: now + ms, fn, cancelled: false }
      timers.push(t)
      return () => { t.cancelled = true }
    },
    random: () => 0.5,
    now: () => now,
    clock: () => now,
    live: (node) => !down.has(node)
  }
  /** Lets whatever is in flight run until it waits on the clock: until no request is in flight
   * (real disk writes included) through a few turns of the event loop in a row. */
  const settle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 5;) {
      await new Promise((resolve) => setImmediate(resolve))
      quiet = inFlight === 0 ? quiet + 1 : 0
    }
  }
  /** Moves the clock on by `ms`, firing the timers due on the way, in order. */
  const advance = async (ms: number): Promise<void> => {
    const end = now + ms
    for (;;) {
      await settle()
      const due = timers.filter((t) => !t.cancelled && t.at <= end).sort((x, y) => x.at - y.at)[0]
      if (due === undefined) break
      now = Math.max(now, due.at)
      due.cancelled = true
      due.fn()
    }
    now = end
    await settle()
  }
  const open = (activation: string, lease: LeaseOptions | null = LEASE, signal?: AbortSignal): Promise<EntityLog> =>
    EntityLog.open({ entityId: 'room/l', replicas: [...NODES], writeQuorum: 2, activation, env, appendTimeoutMs: 60_000, ...(lease !== null && { lease }), ...(signal !== undefined && { signal }) })
  const posts = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))
  /** A promise's outcome once settled, or 'pending'. */
  const outcome = <T>(p: Promise<T>): { get: () => T | Error | 'pending' } => {
    let v: T | Error | 'pending' = 'pending'
    p.then((x) => { v = x }, (e: Error) => { v = e })
    return { get: () => v }
  }

  it('should refuse a newer fence while an owner\'s lease holds, saying how long, and let the new activation in once it ended', async () => {
    const first = await open('first')
    await first.append(posts(1, 3))
    const reply = await (cores.get('a') as ReplicaCore).handle({ op: 'fence', entity: 'room/l', epoch: first.epoch + 10, activation: 'other' })
    expect(reply.ok).to.equal(false)
    expect(reply).to.have.property('promised', first.epoch)
    expect((reply as { leaseMs: number }).leaseMs).to.be.within(1, LEASE.ms)
    const second = outcome(open('second'))
    await advance(LEASE.ms / 2)
    expect(second.get(), 'not while the lease holds').to.equal('pending')
    await advance(LEASE.ms)
    const log = second.get()
    expect(log).to.be.instanceOf(EntityLog)
    expect((log as EntityLog).head).to.equal(3)
    // the first owner was superseded: its next write fails, and its next read too
    const err = await first.append(posts(4, 4)).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(StaleEpochError)
    ;(log as EntityLog).close()
  })

  it('should let the next activation in at once when the owner closed its log (it lets go)', async () => {
    const first = await open('first')
    await first.append(posts(1, 2))
    first.close()
    // (a moment later: epochs are drawn from the clock)
    await advance(10)
    const at = now
    // the clock does not move unless the test moves it: waiting for a lease would never end
    const second = await open('second')
    expect(now).to.equal(at)
    expect(second.head).to.equal(2)
    second.close()
  })

  it('should serve reads from what it holds while the lease holds, and confirm with a quorum after it lapsed', async () => {
    const log = await open('first')
    await log.append(posts(1, 4))
    sent.clear()
    expect((await log.read(1, 10)).map((r) => r.seq)).to.deep.equal([1, 2, 3, 4])
    expect(log.current()).to.equal(true)
    expect(sent.get('lease') ?? 0, 'no round trip while the lease holds').to.equal(0)
    // nothing used it for longer than a lease: it lapsed, and the next read asks a quorum first
    await advance(LEASE.ms * 3)
    expect(log.current()).to.equal(false)
    sent.clear()
    expect((await log.read(1, 10)).map((r) => r.seq)).to.deep.equal([1, 2, 3, 4])
    expect(sent.get('lease'), 'one round to the three replicas').to.equal(3)
    expect(log.current()).to.equal(true)
    expect(await log.confirm()).to.equal(4)
    log.close()
  })

  it('should count its lease as lasting lease-ms less the clock drift it allows, from when W replicas were asked', async () => {
    const log = await open('first')
    await log.append(posts(1, 2))
    await settle()
    // the append's requests were sent at `now`: W replicas refuse newer fences for LEASE.ms on their
    // clocks from when they took them; with clocks disagreeing by maxDrift, the owner counts 990 ms
    await advance(LEASE.ms * (1 - LEASE.maxDrift) - 5)
    expect(log.current(), 'within the lease less the drift').to.equal(true)
    log.close()
    const next = await open('second')
    await next.append(posts(3, 3))
    await settle()
    await advance(LEASE.ms * (1 - LEASE.maxDrift) + 5)
    expect(next.current(), 'past the lease less the drift, though within lease-ms').to.equal(false)
    next.close()
  })

  it('should confirm a read by W replicas taking the lease even when their answers come after the lease they renew would have ended', async () => {
    const log = await open('first')
    await log.append(posts(1, 2))
    await advance(LEASE.ms * 3)
    // a slow network: the replicas answer two leases after they were asked
    leaseLatency = LEASE.ms * 2
    const read = outcome(log.read(1, 10))
    await advance(LEASE.ms)
    expect(read.get()).to.equal('pending')
    await advance(LEASE.ms * 1.5)
    expect(read.get()).to.deep.equal(posts(1, 2).map((p) => ({ seq: p.seq, epoch: log.epoch, event: p.event })))
    // the lease it renewed had ended when the answers came: the next read asks again
    expect(log.current()).to.equal(false)
    log.close()
  })

  it('should keep the lease of an entity in use warm, so that its reads never wait', async () => {
    const log = await open('first')
    await log.append(posts(1, 1))
    for (let i = 0; i < 10; i++) {
      await advance(LEASE.ms / 3)
      expect(log.current(), `read ${i}`).to.equal(true)
      await log.read(1, 1)
    }
    expect(sent.get('lease') ?? 0).to.be.greaterThan(0)
    log.close()
  })

  it('should not renew in the background the lease of an entity read once after it lapsed: the read confirms, and the next read after it lapses again confirms again', async () => {
    const log = await open('first')
    await log.append(posts(1, 1))
    await advance(LEASE.ms * 3)
    const before = sent.get('lease') ?? 0
    expect(log.current()).to.equal(false)
    await log.read(1, 1)
    const confirmed = sent.get('lease') ?? 0
    expect(confirmed - before, 'one round to each replica').to.equal(NODES.length)
    await advance(LEASE.ms * 3)
    expect(sent.get('lease') ?? 0, 'no renewal nobody read').to.equal(confirmed)
    expect(log.current()).to.equal(false)
    await log.read(1, 1)
    expect((sent.get('lease') ?? 0) - confirmed).to.equal(NODES.length)
    log.close()
  })

  it('should not count the uses of the read a slow confirming round served as uses again: no renewal follows it', async () => {
    const log = await open('first')
    await log.append(posts(1, 1))
    await advance(LEASE.ms * 3)
    // the answers take more than half a lease: the read goes on with its lease past half
    leaseLatency = LEASE.ms * 0.6
    const read = outcome(log.read(1, 1))
    await advance(LEASE.ms * 0.6)
    expect(read.get()).to.have.length(1)
    const confirmed = sent.get('lease') ?? 0
    // the same request reads the state again at once, as a handler does after its confirmation
    expect(log.current()).to.equal(true)
    await advance(LEASE.ms * 2)
    expect(sent.get('lease') ?? 0, 'no renewal for the one read').to.equal(confirmed)
    log.close()
  })

  it('should fail a superseded owner\'s read with StaleEpochError, and the log with it, instead of serving what it holds (issue 35, finding 1)', async () => {
    const first = await open('first')
    let failed: Error | undefined
    await first.append(posts(1, 2))
    // the first owner is cut off from a and b; its lease lapses, a newer owner takes the entity
    // and writes
    await advance(LEASE.ms * 2)
    const second = await open('second')
    await second.append(posts(3, 3))
    const err = await first.read(1, 10).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(StaleEpochError)
    expect(first.failed).to.be.instanceOf(StaleEpochError)
    first.append(posts(3, 3)).catch((e: Error) => { failed = e })
    await settle()
    expect(failed).to.be.instanceOf(StaleEpochError)
    expect((await second.read(1, 10)).map((r) => r.seq)).to.deep.equal([1, 2, 3])
    second.close()
  })

  it('should refuse a read it cannot confirm with too few replicas, and stay open for the next', async () => {
    const log = await open('first')
    await log.append(posts(1, 2))
    await advance(LEASE.ms * 2)
    down.add('a')
    down.add('b')
    const err = await log.read(1, 10).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(ReplicasUnavailableError)
    expect((err as ReplicasUnavailableError).op).to.equal('read')
    expect(log.failed).to.equal(undefined)
    down.clear()
    expect((await log.read(1, 10)).length).to.equal(2)
    log.close()
  })

  it('should hand over without any wait: the next owner goes on in the same epoch and confirms its own lease', async () => {
    const first = await open('first')
    await first.append(posts(1, 2))
    const ticket = first.handOver('t1') as LogTicket
    const next = EntityLog.resume({ entityId: 'room/l', replicas: [...NODES], writeQuorum: 2, env, appendTimeoutMs: 60_000, lease: LEASE }, checkLogTicket(structuredClone(ticket))) as EntityLog
    expect(next.epoch).to.equal(first.epoch)
    expect(next.current(), 'its own lease is not granted yet').to.equal(false)
    expect((await next.read(1, 10)).map((r) => r.seq)).to.deep.equal([1, 2])
    expect(next.current()).to.equal(true)
    // the old owner serves nothing more
    const err = await first.read(1, 10).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('name', 'EntityLogClosedError')
    await next.append(posts(3, 3))
    next.close()
  })

  it('should grant no fence for one lease after a replica restarted (it may have granted one it forgot)', async () => {
    const log = await open('first')
    await log.append(posts(1, 1))
    log.close()
    await settle()
    // every replica restarts now: the leases they granted are forgotten
    cores = new Map(NODES.map((n, i) => [n, new ReplicaCore(storages[i] as LevelReplicaStorage, { leaseMs: LEASE.ms, clock: () => now, startedAt: now })] as const))
    const reply = await (cores.get('a') as ReplicaCore).handle({ op: 'fence', entity: 'room/l', epoch: log.epoch + 10, activation: 'other' })
    expect(reply.ok).to.equal(false)
    expect((reply as { leaseMs: number }).leaseMs).to.equal(LEASE.ms)
    // an entity no one ever took is not held back
    const fresh = await (cores.get('a') as ReplicaCore).handle({ op: 'fence', entity: 'room/new', epoch: 5, activation: 'other' })
    expect(fresh.ok).to.equal(true)
    const second = outcome(open('second'))
    // (one lease, and at most a quarter of one more at random)
    await advance(LEASE.ms * 1.25 + 50)
    expect(second.get()).to.be.instanceOf(EntityLog)
    ;(second.get() as EntityLog).close()
  })

  it('should not recover without a replica that refuses for another owner\'s lease when other nodes may hold the journal: it waits the lease out and reads that log too', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      cores.set('d', new ReplicaCore(await LevelReplicaStorage.open(store, 4), { leaseMs: LEASE.ms, clock: () => now, startedAt: 0 }))
      const first = await open('first')
      await first.append(posts(1, 3))
      first.close()
      await settle()
      // a lease of the first owner's still held by a (a grant the release did not reach)
      const reply = await (cores.get('a') as ReplicaCore).handle({ op: 'lease', entity: 'room/l', epoch: first.epoch, activation: 'first', holder: 'first~late' })
      expect(reply.result).to.equal('ok')
      await advance(10)
      // b, c and d promise: F of a, b, c, and all but one of the four nodes that may hold it;
      // enough to take it, but a is up and unread
      const second = outcome(EntityLog.open({ entityId: 'room/l', replicas: [...NODES], formerHolders: ['d'], writeQuorum: 2, activation: 'second', env, appendTimeoutMs: 60_000, lease: LEASE }))
      await advance(LEASE.ms / 2)
      expect(second.get(), 'not while a refuses for a lease').to.equal('pending')
      await advance(LEASE.ms)
      const log = second.get()
      expect(log).to.be.instanceOf(EntityLog)
      expect((log as EntityLog).head).to.equal(3)
      expect((await (cores.get('a') as ReplicaCore).state('room/l')).promisedBy).to.equal('second')
      ;(log as EntityLog).close()
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should give up on an entity whose owner keeps renewing its lease (it is alive and serving)', async () => {
    const first = await open('first')
    await first.append(posts(1, 1))
    const second = outcome(open('second'))
    // the first owner goes on writing: its lease never lapses
    for (let i = 0; i < 12 && second.get() === 'pending'; i++) {
      await first.append(posts(2 + i, 2 + i))
      await advance(LEASE.ms / 2)
    }
    expect(second.get()).to.be.instanceOf(EntityLeaseHeldError)
    expect(first.failed).to.equal(undefined)
    first.close()
  })

  it('should stop waiting out another owner\'s lease as soon as the activation lets go (placement moved the entity meanwhile), taking nothing', async () => {
    const first = await open('first')
    await first.append(posts(1, 2))
    const leaving = new AbortController()
    const second = outcome(open('second', LEASE, leaving.signal))
    await advance(LEASE.ms / 4)
    expect(second.get(), 'it waits for the lease').to.equal('pending')
    const fences = sent.get('fence') ?? 0
    leaving.abort()
    await advance(1)
    expect(second.get()).to.be.instanceOf(TakeAbandonedError)
    expect((second.get() as TakeAbandonedError).superseded, 'what waited for it is sent again').to.equal(true)
    // no fence after it let go, and the owner serving it was never disturbed
    await advance(LEASE.ms * 4)
    expect(sent.get('fence') ?? 0).to.equal(fences)
    await first.append(posts(3, 3))
    expect(first.failed).to.equal(undefined)
    expect(first.committed).to.equal(3)
    first.close()
  })

  it('should let go of the leases its promises granted when a fence round does not take the entity, while it waits', async () => {
    const first = await open('first')
    await first.append(posts(1, 2))
    first.close()
    await advance(10)
    // a lease of the first owner's still held by b and c (grants its release did not reach), none by a
    for (const node of ['b', 'c']) {
      const reply = await (cores.get(node) as ReplicaCore).handle({ op: 'lease', entity: 'room/l', epoch: first.epoch, activation: 'first', holder: 'first~late' })
      expect(reply.result).to.equal('ok')
    }
    await advance(10)
    // x gets a's promise (a lease at a too) and is refused by b and c: it waits for their lease
    const x = outcome(open('x'))
    await advance(10)
    expect(x.get()).to.equal('pending')
    // meanwhile a holds no lease of x's: another activation's fence is not refused there
    const other = await (cores.get('a') as ReplicaCore).handle({ op: 'fence', entity: 'room/l', epoch: now + 1, activation: 'other' })
    expect(other.ok, JSON.stringify(other)).to.equal(true)
    // x asks again once the lease ran out, and takes it (above the other's epoch)
    for (let i = 0; i < 40 && x.get() === 'pending'; i++) await advance(50)
    expect(x.get()).to.be.instanceOf(EntityLog)
    expect((x.get() as EntityLog).head).to.equal(2)
    ;(x.get() as EntityLog).close()
  })

  it('should let one of two activations that take an entity at once have it, though each got a part of the replicas first', async () => {
    const first = await open('first')
    await first.append(posts(1, 2))
    first.close()
    await advance(10)
    // c is unreachable: x's fence reaches a first and y's (a millisecond later) reaches b first, so
    // each holds one promise (and its lease) of the two that F needs, and the other refuses it
    down.add('c')
    fenceDelays.set('x@b', 5)
    fenceDelays.set('y@a', 5)
    const own = (random: number): OwnerEnv => ({ ...env, random: () => random })
    const said: string[] = []
    const debug = { debug: (_obj: Record<string, unknown>, msg: string) => { said.push(msg) } }
    const take = (activation: string, random: number): { get: () => EntityLog | Error | 'pending' } =>
      outcome(EntityLog.open({ entityId: 'room/l', replicas: [...NODES], writeQuorum: 2, activation, env: own(random), appendTimeoutMs: 60_000, lease: LEASE, log: debug }))
    const x = take('x', 0.1)
    await advance(1)
    const y = take('y', 0.9)
    fenceDelays.clear()
    // each lets go of what it got before it asks again: one of them takes both
    for (let i = 0; i < 100 && x.get() === 'pending' && y.get() === 'pending'; i++) await advance(20)
    const [won, lost] = x.get() instanceof EntityLog ? [x, y] : [y, x]
    const log = won.get()
    expect(log).to.be.instanceOf(EntityLog)
    expect(lost.get()).to.equal('pending')
    expect((log as EntityLog).head).to.equal(2)
    // the winner writes on, renewing its lease: the other, refused again after waiting, gives up
    for (let i = 0; i < 12 && lost.get() === 'pending'; i++) {
      await (log as EntityLog).append(posts(3 + i, 3 + i))
      await advance(LEASE.ms / 2)
    }
    expect(lost.get()).to.be.instanceOf(Error)
    // each round that did not take it is said at debug, with what refused it
    expect(said.some((m) => /^room\/l: fence of epoch \d+ did not take it \(promised by \d+; \d+ refused; lease left \d+ ms; /.test(m)), said.join('\n')).to.equal(true)
    expect((log as EntityLog).failed).to.equal(undefined)
    expect((await (log as EntityLog).read(1, 20)).length).to.be.greaterThan(2)
    ;(log as EntityLog).close()
  })

  it('should not wait for anything without leases (a node alone)', async () => {
    const log = await open('first', null)
    await log.append(posts(1, 1))
    sent.clear()
    await advance(LEASE.ms * 5)
    expect(log.failed).to.equal(undefined)
    expect(log.current()).to.equal(true)
    expect((await log.read(1, 10)).length).to.equal(1)
    expect(sent.get('lease') ?? 0).to.equal(0)
    log.close()
  })
})
