import { expect } from 'chai'
import { ReplicaCore } from '../../../../node/index.ts'
import type { StoredRecord } from '../../../../node/index.ts'
import { append, keyOf, recs, replicaDisks } from '../fixtures/replica-disks.ts'

/**
 * One replica on a real LevelDB (docs/replication.md, steps 1–4 as a replica sees them): the
 * fencing that keeps a stale owner from overwriting a newer one, the leases that hold newer fences
 * back, and the tail a newer owner recovers over one of an older epoch.
 */
describe('ReplicaCore', () => {
  const { open, reopen, cleanup } = replicaDisks()
  afterEach(cleanup)
  const E = 'room/fenced'

  it('should promise a newer epoch durably and refuse an older one, a fence or an append, after a restart too', async () => {
    const r = await open()
    const promised = await r.core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'owner-5' })
    expect(promised).to.deep.include({ ok: true })
    // an older owner: its fence and its appends are refused, saying what was promised
    expect(await r.core.handle({ op: 'fence', entity: E, epoch: 4, activation: 'owner-4' })).to.deep.equal({ ok: false, promised: 5 })
    expect(await r.core.handle({ op: 'append', entity: E, epoch: 4, activation: 'owner-4', prevSeq: 0, prevEpoch: 0, records: recs(1, 1, 4) })).to.deep.equal({ result: 'stale', promised: 5 })
    // the same epoch from another activation (never a correct owner) is stale too
    expect(await r.core.handle({ op: 'append', entity: E, epoch: 5, activation: 'other', prevSeq: 0, prevEpoch: 0, records: recs(1, 1, 5) })).to.deep.equal({ result: 'stale', promised: 5 })
    expect(r.core.stats).to.include({ fences: 2, staleRefusals: 2 })
    // the promise is on disk: a restarted replica refuses as before, and answers the activation it
    // promised yes when it asks again
    const again = await reopen(r)
    expect(await again.core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'owner-4' })).to.deep.equal({ ok: false, promised: 5 })
    expect(await again.core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'owner-5' })).to.deep.include({ ok: true })
    expect((await again.core.state(E))).to.deep.include({ promisedBy: 'owner-5' })
  })

  it('should refuse a newer fence while another owner\'s lease holds, saying how long, until it ends or is let go of', async () => {
    const r = await open()
    let now = 10_000
    // started long ago: no lease of before a restart to wait for
    const core = new ReplicaCore(r.storage, { leaseMs: 1_000, clock: () => now, startedAt: 0 })
    // a promise is a lease too
    expect(await core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'a' })).to.deep.include({ ok: true })
    now += 400
    expect(await core.handle({ op: 'fence', entity: E, epoch: 6, activation: 'b' })).to.deep.equal({ ok: false, promised: 5, leaseMs: 600 })
    // an append with the holder renews it
    expect(await core.handle({ op: 'append', entity: E, epoch: 5, activation: 'a', prevSeq: 0, prevEpoch: 0, records: recs(1, 2, 5), holder: 'a' })).to.have.property('result', 'ok')
    now += 700
    expect(await core.handle({ op: 'fence', entity: E, epoch: 6, activation: 'b' })).to.deep.equal({ ok: false, promised: 5, leaseMs: 300 })
    now += 300
    expect(await core.handle({ op: 'fence', entity: E, epoch: 6, activation: 'b' })).to.deep.include({ ok: true })
    // b's lease, let go of: c is not held back
    expect(await core.handle({ op: 'release', entity: E, holder: 'b' })).to.deep.equal({ result: 'ok' })
    expect(await core.handle({ op: 'fence', entity: E, epoch: 7, activation: 'c' })).to.deep.include({ ok: true })
    // a lease request of an older epoch is stale; of a newer one, it takes the promise as an append would
    expect(await core.handle({ op: 'lease', entity: E, epoch: 6, activation: 'b', holder: 'b' })).to.deep.equal({ result: 'stale', promised: 7 })
    expect(await core.handle({ op: 'lease', entity: E, epoch: 8, activation: 'd', holder: 'd' })).to.deep.equal({ result: 'ok' })
    expect((await core.state(E)).summary.promised).to.equal(8)
  })

  it('should hold back, for one lease after it started, a fence of any entity that had a promise (a lease it granted may be forgotten)', async () => {
    const r = await open()
    await r.core.handle({ op: 'fence', entity: E, epoch: 5, activation: 'a' })
    let now = 50_000
    const restarted = new ReplicaCore(r.storage, { leaseMs: 1_000, clock: () => now, startedAt: now })
    expect(await restarted.handle({ op: 'fence', entity: E, epoch: 6, activation: 'b' })).to.deep.equal({ ok: false, promised: 5, leaseMs: 1_000 })
    // an entity never promised has no lease to forget
    expect(await restarted.handle({ op: 'fence', entity: 'room/new', epoch: 1, activation: 'b' })).to.deep.include({ ok: true })
    now += 1_000
    expect(await restarted.handle({ op: 'fence', entity: E, epoch: 6, activation: 'b' })).to.deep.include({ ok: true })
  })

  it('should let a newer owner recover the tail: records of an older epoch past where the logs agree are replaced, a gap is a mismatch', async () => {
    const r = await open()
    await append(r.core, E, 1, 0, 0, recs(1, 5, 1))
    // the owner of epoch 2 recovered seqs 1-3 and sealed 4 in its epoch: 4-5 of epoch 1 were never
    // acknowledged, and go
    await r.core.handle({ op: 'fence', entity: E, epoch: 2, activation: 'a2' })
    const sealed = await r.core.handle({ op: 'append', entity: E, epoch: 2, activation: 'a2', prevSeq: 3, prevEpoch: 1, records: recs(4, 4, 2, 'sealed') })
    expect(sealed).to.deep.equal({ result: 'ok', summary: { promised: 2, head: 4, headEpoch: 2, segments: [[1, 1], [2, 4]], snapshotSeq: 0 } })
    const read = await r.core.handle({ op: 'read', entity: E, from: 1, limit: 10 })
    expect(read.map((x: StoredRecord) => [x.seq, x.epoch])).to.deep.equal([[1, 1], [2, 1], [3, 1], [4, 2]])
    expect(await r.storage.store.get(keyOf(r.storage, E, 5))).to.equal(undefined)
    // records it already holds are skipped, and an append past its head is a mismatch with its summary
    expect(await r.core.handle({ op: 'append', entity: E, epoch: 2, activation: 'a2', prevSeq: 3, prevEpoch: 1, records: recs(4, 4, 2, 'sealed') })).to.have.property('result', 'ok')
    const gap = await r.core.handle({ op: 'append', entity: E, epoch: 2, activation: 'a2', prevSeq: 7, prevEpoch: 2, records: recs(8, 8, 2) })
    expect(gap).to.deep.include({ result: 'mismatch' })
    expect(r.core.stats).to.include({ mismatches: 1 })
    // and the log on disk is what a restarted replica reads
    const again = await reopen(r)
    expect((await again.core.state(E)).summary).to.deep.include({ head: 4, headEpoch: 2, promised: 2 })
  })

  it('should say it is a learner in its promises, and refuse appends and snapshots once retired while still fencing and reading', async () => {
    const r = await open()
    r.core.setLearner(true)
    expect(await r.core.handle({ op: 'fence', entity: E, epoch: 1, activation: 'a' })).to.deep.include({ ok: true, learner: true })
    r.core.setLearner(false)
    expect(await r.core.handle({ op: 'fence', entity: E, epoch: 1, activation: 'a' })).to.not.have.property('learner')
    // (epoch 2: the records of another owner than the fence's, as a replica move's new owner)
    await append(r.core, E, 2, 0, 0, recs(1, 2, 2))
    r.core.retire(true)
    const refused = await r.core.handle({ op: 'append', entity: E, epoch: 2, activation: 'a2', prevSeq: 2, prevEpoch: 2, records: recs(3, 3, 2) }).then(() => null, (e: unknown) => e)
    expect(refused).to.have.property('name', 'ReplicaRetiredError')
    const snapshot = await r.core.handle({ op: 'save-snapshot', entity: E, epoch: 2, snapshot: { seq: 2, state: {} } }).then(() => null, (e: unknown) => e)
    expect(snapshot).to.have.property('name', 'ReplicaRetiredError')
    expect(await r.core.handle({ op: 'fence', entity: E, epoch: 3, activation: 'b' })).to.deep.include({ ok: true })
    expect(await r.core.handle({ op: 'read', entity: E, from: 1, limit: 5 })).to.have.length(2)
    r.core.retire(false)
    expect(await r.core.handle({ op: 'save-snapshot', entity: E, epoch: 3, snapshot: { seq: 2, state: { n: 2 } } })).to.deep.equal({ result: 'ok' })
    expect(await r.core.handle({ op: 'save-snapshot', entity: E, epoch: 2, snapshot: { seq: 2, state: {} } })).to.deep.equal({ result: 'stale', promised: 3 })
    expect(await r.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal({ seq: 2, state: { n: 2 } })
  })

  it('should repair only records of the log it agrees on: never past its head, never another epoch, never over a record that reads correctly', async () => {
    const a = await open()
    await append(a.core, 'room/x', 1, 0, 0, recs(1, 10, 1))
    const peer = { promised: 1, head: 10, headEpoch: 1, segments: [[1, 1]] as Array<[number, number]>, snapshotSeq: 0 }
    // intact records are not replaced, whatever is offered
    expect(await a.core.repair('room/x', recs(3, 4, 1, 'other'), peer)).to.equal(0)
    await a.storage.store.write([{ type: 'del', key: keyOf(a.storage, 'room/x', 5) }])
    // another epoch at seq 5, a seq past the head, or a peer whose log parts before 5: refused
    expect(await a.core.repair('room/x', recs(5, 5, 2), peer)).to.equal(0)
    expect(await a.core.repair('room/x', recs(11, 11, 1), { ...peer, head: 11 })).to.equal(0)
    expect(await a.core.repair('room/x', recs(5, 5, 1), { ...peer, head: 4, headEpoch: 1 })).to.equal(0)
    expect(await a.core.repair('room/x', recs(5, 5, 1), peer)).to.equal(1)
    expect((await a.core.handle({ op: 'read', entity: 'room/x', from: 1, limit: 20 })).map((r) => r.seq)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i + 1))
  })
})
