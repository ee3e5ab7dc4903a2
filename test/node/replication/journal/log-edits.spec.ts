import { expect } from 'chai'
import { EntityLog, StaleEpochError, checkLogTicket } from '../../../../node/index.ts'
import type { LogTicket, ReplicaCore } from '../../../../node/index.ts'
import { waitFor } from '../../../helpers/wait-for.ts'
import { posts, useReplicaSet } from '../fixtures/replica-set.ts'

/**
 * An owner's rewrites and trims (EntityLog.rewrite/trim, log-edits.ts; docs/replication.md,
 * "Rewrites and trims") on three real replicas (LevelDB in temp dirs), W = 2, any of them
 * unreachable at will.
 */
describe('LogEdits (EntityLog.rewrite, EntityLog.trim)', () => {
  const set = useReplicaSet(['a', 'b', 'c'])
  const E = 'room/edited'
  const open = async (activation: string): Promise<EntityLog> =>
    await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, activation, env: set.env, appendTimeoutMs: 2_000 })
  const core = (node: string): ReplicaCore => set.cores.get(node) as ReplicaCore
  const stored = async (node: string, seq: number): Promise<unknown> => (await core(node).handle({ op: 'read', entity: E, from: seq, limit: 1 }))[0]?.event
  const snapshot = (seq: number): { seq: number, state: unknown } => ({ seq, state: { upTo: seq } })

  /** A log of five posts that every replica holds, whose edits wait `everyReplicaMs` past W. */
  const fedLog = async (everyReplicaMs: number): Promise<EntityLog> => {
    const log = await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, activation: 'first', env: set.env, appendTimeoutMs: 60_000, editEveryReplicaMs: everyReplicaMs })
    await log.append(posts(1, 5))
    // as the owner knows it (each replica's answer back): a rewrite counts only a replica it knows
    // in step, and one it thought behind would be asked again with no grace, c's ask never answered
    await waitFor(() => log.replicaMatches().every((r) => r.match === 5), 'every replica known in step')
    return log
  }

  /** Five posts every replica holds, seq `seq` (the last by default) rewritten while c was down (c
   * keeps the old event); the owner closed, every replica reachable again. */
  const rewrittenWithoutC = async (seq = 5): Promise<void> => {
    const first = await open('first')
    await first.append(posts(1, 5))
    await waitFor(async () => (await core('c').state(E)).summary.head === 5, 'c fed up to the head')
    set.down.add('c')
    await first.rewrite([{ seq, event: 'redacted' }])
    first.close()
    set.down.clear()
  }

  it('should rewrite at W with a replica down, at the next revision, and serve the new event from then on', async () => {
    const log = await open('first')
    await log.append(posts(1, 5))
    // acknowledged at W = 2: c must hold them before it goes down (it keeps the old event), and the
    // owner must know a and b in step (one it thought behind would be asked again, c with it)
    await waitFor(() => log.replicaMatches().every((r) => r.match === 5), 'every replica known in step')
    set.down.add('c')
    await log.rewrite([{ seq: 3, event: 'redacted' }])
    expect(set.sent.filter((s) => s === 'c rewrite'), 'c, known to be down, not waited for past W').to.have.length(1)
    expect(await stored('a', 3)).to.equal('redacted')
    expect(await stored('b', 3)).to.equal('redacted')
    expect(await stored('c', 3)).to.deep.equal({ n: 3 })
    expect((await log.read(3, 1))[0]).to.deep.include({ event: 'redacted', rev: 1 })
    await log.rewrite([{ seq: 3, event: 'redacted again' }])
    expect(await core('a').handle({ op: 'read', entity: E, from: 3, limit: 1 })).to.deep.equal([{ seq: 3, epoch: log.epoch, event: 'redacted again', rev: 2 }])
    log.close()
  })

  it('should resolve a rewrite once the replica that was out of reach took it too, not at W, while it comes back in time', async () => {
    // a minute to come back: the rewrite cannot resolve at W meanwhile, whatever the machine's speed
    const log = await fedLog(60_000)
    // c does not answer, and membership has not marked it down (a replica a moment behind)
    set.silent.add('c')
    let resolved = false
    const rewrite = log.rewrite([{ seq: 3, event: 'redacted' }]).then(() => { resolved = true })
    await waitFor(() => set.held.length === 1, 'the rewrite asked c')
    await waitFor(async () => await stored('a', 3) === 'redacted' && await stored('b', 3) === 'redacted', 'a and b rewritten')
    set.held[0]?.fail()
    await waitFor(() => set.held.length === 2, 'c asked again after W took it')
    expect(resolved, 'W took it, c did not').to.equal(false)
    set.silent.delete('c')
    set.held[1]?.fail()
    await rewrite
    expect(await stored('c', 3), 'the text left c as well before the rewrite resolved').to.equal('redacted')
    log.close()
  })

  it('should not wait past its grace for a replica cut off without a word once W took the rewrite', async () => {
    const log = await fedLog(100)
    set.silent.add('c')
    const rewrite = log.rewrite([{ seq: 3, event: 'redacted' }])
    // the first ask of c waits as an ask to a node behind dropped packets does, until its timeout
    await waitFor(() => set.held.length === 1, 'the rewrite asked c')
    set.held[0]?.fail()
    // W took it: c is asked again, and that ask is never answered; the grace ends the wait
    await rewrite
    expect(await stored('a', 3)).to.equal('redacted')
    expect(await stored('b', 3)).to.equal('redacted')
    expect(set.held.length, 'c asked again after W').to.be.greaterThan(1)
    for (const h of set.held) h.fail()
    log.close()
  })

  it('should refuse a rewrite of what is not acknowledged or was trimmed, and fail when too few replicas take it, the log going on', async () => {
    const log = await open('first')
    await log.append(posts(1, 4))
    const refused = async (p: Promise<void>): Promise<string> => await p.then(() => 'done', (err: Error) => err.name)
    expect(await refused(log.rewrite([{ seq: 5, event: 'x' }]))).to.equal('RangeError')
    await log.trim(3, snapshot(3))
    expect(await refused(log.rewrite([{ seq: 2, event: 'x' }]))).to.equal('RangeError')
    set.down.add('b')
    set.down.add('c')
    expect(await refused(log.rewrite([{ seq: 4, event: 'x' }]))).to.equal('ReplicasUnavailableError')
    set.down.clear()
    await log.append(posts(5, 5))
    log.close()
  })

  it('should recover the highest revision of the last record from every replica that ends in it, not the one a replica that missed the rewrite holds', async () => {
    await rewrittenWithoutC()
    // the next owner fences b and c (a is unreachable): c missed the rewrite, b holds it
    set.down.add('a')
    const next = await open('next')
    expect((await next.read(5, 1))[0]?.event).to.equal('redacted')
    expect(await stored('c', 5)).to.equal('redacted')
    next.close()
  })

  it('should not seal the last record from a replica that missed its rewrite when those that hold it do not answer the read (seed 712001921)', async () => {
    await rewrittenWithoutC()
    // the next owner fences a and c (b is unreachable); a, which holds the rewrite, loses the reads
    // of the last record: c's copy is all that answers, older than the rewrite it does not hold
    set.down.add('b')
    set.lose.push('a read', 'a read')
    const refused = await open('next').then(() => undefined, (err: Error) => err)
    expect(refused?.name, 'the take that could read only c refused').to.equal('ReplicasUnavailableError')
    expect(set.lose, 'a asked twice: alone, then beside c').to.deep.equal([])
    expect(await stored('c', 5)).to.deep.equal({ n: 5 })
    const next = await open('again')
    expect((await next.read(5, 1))[0]?.event).to.equal('redacted')
    await waitFor(async () => await stored('c', 5) === 'redacted', 'c sealed at the rewrite')
    next.close()
  })

  it('should read, as a new owner, only from replicas that hold the latest rewrite, even its own node\'s that missed it', async () => {
    await rewrittenWithoutC(3)
    set.down.add('b')
    // on c, whose replica is read first, and which missed the rewrite
    const next = await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, activation: 'next', env: set.env, appendTimeoutMs: 2_000, self: 'c' })
    expect((await next.read(3, 1))[0]?.event).to.equal('redacted')
    expect(await stored('c', 3)).to.deep.equal({ n: 3 })
    expect((await core('a').state(E)).summary).to.deep.include({ revised: 1 })
    next.close()
  })

  /** An owner that fed every replica seqs 1-5 and then rewrote seq 5 where only c took it (never
   * acknowledged: c holds that generation whole); returned open, every replica reachable again. */
  const rewroteOnCAlone = async (): Promise<EntityLog> => {
    const first = await open('first')
    await first.append(posts(1, 5))
    await waitFor(async () => (await core('c').state(E)).summary.head === 5, 'c fed up to the head')
    set.down.add('a')
    set.down.add('b')
    expect(await first.rewrite([{ seq: 5, event: 'never acknowledged' }]).then(() => 'acknowledged', (err: Error) => err.name)).to.equal('ReplicasUnavailableError')
    set.down.clear()
    return first
  }
  /** seq 2 as read by a new owner on c's node. */
  const readOnC = async (activation: string): Promise<unknown> => {
    const log = await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, activation, env: set.env, appendTimeoutMs: 2_000, self: 'c' })
    const event = (await log.read(2, 1))[0]?.event
    log.close()
    return event
  }

  it('should not take a replica holding an unacknowledged rewrite of an older owner for one holding a later owner\'s rewrite of the same generation (seed 701095)', async () => {
    ;(await rewroteOnCAlone()).close()
    // the next owner reads a and b (c down), knows no rewrite, and rewrites seq 2: its generation 1,
    // acknowledged on a and b
    set.down.add('c')
    const second = await open('second')
    await second.rewrite([{ seq: 2, event: 'redacted' }])
    second.close()
    set.down.clear()
    // a third owner on c's node must not read seq 2 from c, which never took that rewrite
    expect(await readOnC('third')).to.equal('redacted')
  })

  it('should not give a rewrite the generation of one of its own that failed, which a replica may hold', async () => {
    const first = await rewroteOnCAlone()
    set.down.add('c')
    await first.rewrite([{ seq: 2, event: 'redacted' }])
    first.close()
    set.down.clear()
    expect(await readOnC('next')).to.equal('redacted')
  })

  it('should read, as a new owner whose replicas each missed a rewrite, every record at its latest revision from all of them', async () => {
    // W = 1: each rewrite is acknowledged by one replica
    const openW1 = async (activation: string, self?: string): Promise<EntityLog> =>
      await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 1, activation, env: set.env, appendTimeoutMs: 2_000, ...(self !== undefined && { self }) })
    const first = await openW1('first')
    await first.append(posts(1, 5))
    await waitFor(async () => (await core('c').state(E)).summary.head === 5 && (await core('b').state(E)).summary.head === 5, 'every replica fed')
    set.down.add('b')
    set.down.add('c')
    await first.rewrite([{ seq: 3, event: 'gen 1' }])
    set.down.clear()
    set.down.add('a')
    set.down.add('b')
    await first.rewrite([{ seq: 4, event: 'gen 2' }])
    first.close()
    set.down.clear()
    // a holds gen 1 only, c gen 2 only (it missed gen 1): none holds every rewrite
    expect((await core('a').state(E)).summary).to.deep.include({ revised: 1 })
    expect((await core('c').state(E)).summary).to.deep.include({ rewrites: 2 })
    const next = await openW1('next', 'b')
    expect((await next.read(3, 2)).map((r) => r.event)).to.deep.equal(['gen 1', 'gen 2'])
    // with one of them down, such a read is refused rather than answered from the others
    set.down.add('a')
    const refused = await next.read(3, 2).then(() => 'answered', (err: Error) => err.name)
    expect(refused).to.equal('ReplicasUnavailableError')
    next.close()
  })

  it('should trim at W, the new owner learning the floor and the snapshot that covers it, reads starting at the floor', async () => {
    const first = await open('first')
    await first.append(posts(1, 6))
    // acknowledged at W = 2: c may not have them yet, and it must before it goes down (it keeps them)
    await waitFor(async () => (await core('c').state(E)).summary.head === 6, 'c fed up to the head')
    set.down.add('c')
    await first.trim(5, snapshot(5))
    expect(first.floor).to.equal(5)
    expect((await first.read(1, 10)).map((r) => r.seq)).to.deep.equal([5, 6])
    expect(await stored('a', 1)).to.equal(undefined)
    expect(await stored('c', 1)).to.deep.equal({ n: 1 })
    first.close()
    set.down.clear()
    set.down.add('b')
    const next = await open('next')
    expect(next.floor).to.equal(5)
    expect(await next.loadSnapshot()).to.deep.equal(snapshot(5))
    expect((await next.read(1, 10)).map((r) => r.seq)).to.deep.equal([5, 6])
    const replayed: number[] = []
    for await (const r of next.replay(1)) replayed.push(r.seq)
    expect(replayed).to.deep.equal([5, 6])
    next.close()
  })

  it('should take a log trimmed whole at W = 3, counting the replicas it learns hold it after the fence (seed 500006648)', async () => {
    const all = async (activation: string): Promise<EntityLog> =>
      await EntityLog.open({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 3, activation, env: set.env, appendTimeoutMs: 2_000 })
    const first = await all('first')
    await first.append(posts(1, 4))
    await first.trim(5, snapshot(4))
    first.close()
    // one promise fences it at W = 3 (F = 1); the other two are asked their logs after, and hold it whole
    const next = await all('next')
    expect(next.floor).to.equal(5)
    await next.append(posts(5, 5))
    expect((await next.read(5, 1))[0]?.event).to.deep.equal({ n: 5 })
    next.close()
  })

  it('should have a replica drop a tail past its head that it holds below both floors (seed 900009823)', async () => {
    const first = await open('first')
    await first.append(posts(1, 3))
    await waitFor(async () => (await core('c').state(E)).summary.head === 3, 'c fed up to the head')
    await first.trim(4, snapshot(3))
    await waitFor(async () => (await core('c').state(E)).summary.floor === 4, 'c trimmed too')
    // a tail that only c takes (never acknowledged): the owner then goes
    set.down.add('a')
    set.down.add('b')
    void first.append(posts(4, 6)).catch(() => undefined)
    await waitFor(async () => (await core('c').state(E)).summary.head === 6, 'c holding the tail')
    first.close()
    set.down.clear()
    // the next owner recovers without c to a log trimmed whole at 3, and has nothing to send c
    set.down.add('c')
    const next = await open('next')
    expect(next.head).to.equal(3)
    set.down.clear()
    await waitFor(async () => (await core('c').state(E)).summary.head === 3, 'c told to drop what it holds past the head')
    expect(await core('c').handle({ op: 'read', entity: E, from: 4, limit: 9 })).to.deep.equal([])
    // and the log goes on there as everywhere
    await next.append(posts(4, 4))
    await waitFor(async () => (await core('c').state(E)).summary.head === 4, 'c fed the next record')
    expect((await core('c').handle({ op: 'read', entity: E, from: 4, limit: 9 })).map((r) => r.epoch)).to.deep.equal([next.epoch])
    next.close()
  })

  it('should bring a replica whose log ends below the floor up to it with the snapshot, and feed it after', async () => {
    const log = await open('first')
    await log.append(posts(1, 2))
    set.down.add('c')
    await log.append(posts(3, 6))
    await log.trim(6, snapshot(6))
    set.down.delete('c')
    await log.append(posts(7, 8))
    await waitFor(async () => (await core('c').state(E)).summary.head === 8, 'c fed up to the head')
    expect((await core('c').state(E)).summary).to.deep.include({ floor: 6, snapshotSeq: 6 })
    expect((await core('c').handle({ op: 'read', entity: E, from: 6, limit: 9 })).map((r) => r.seq)).to.deep.equal([6, 7, 8])
    expect(await stored('c', 1)).to.equal(undefined)
    log.close()
  })

  it('should hand the floor over to the next owner in a live move', async () => {
    const first = await open('first')
    await first.append(posts(1, 4))
    await first.trim(3, snapshot(3))
    const ticket = checkLogTicket(structuredClone(first.handOver('t1') as LogTicket))
    expect(ticket).to.include({ floor: 3 })
    const next = EntityLog.resume({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, env: set.env, appendTimeoutMs: 2_000 }, ticket) as EntityLog
    expect(next.floor).to.equal(3)
    expect((await next.read(1, 9)).map((r) => r.seq)).to.deep.equal([3, 4])
    next.close()
  })

  it('should fail a stale owner\'s rewrite and trim as its appends', async () => {
    const first = await open('first')
    await first.append(posts(1, 3))
    const next = await open('next')
    const err = await first.rewrite([{ seq: 2, event: 'x' }]).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(StaleEpochError)
    expect(first.failed).to.be.instanceOf(StaleEpochError)
    expect(await stored('a', 2)).to.deep.equal({ n: 2 })
    next.close()
  })
})
