import { expect } from 'chai'
import type { LandedChange } from '../../../../node/index.ts'
import { append, hex, recs, replicaDisks } from '../fixtures/replica-disks.ts'

/**
 * Rewrites and trims as one replica takes them (docs/replication.md, "Rewrites and trims"), on a
 * real LevelDB: fenced as appends are, idempotent, durable, and followed by the Merkle tree, the
 * kept digests and the store's watchers.
 */
describe('replica edits (rewrite, trim)', () => {
  const { open, reopen, cleanup } = replicaDisks()
  afterEach(cleanup)
  const E = 'room/edited'
  const snapshot = (seq: number): { seq: number, state: unknown } => ({ seq, state: { upTo: seq } })

  it('should replace a record of the same seq and epoch with a higher revision, ignore any other, and keep it across a restart', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 3, 3))
    const changes: LandedChange[] = []
    r.storage.watch((c) => { changes.push(c) })
    const edit = (records: Array<{ seq: number, epoch: number, event: unknown, rev: number }>, epoch = 3, activation = 'a3') =>
      r.core.handle({ op: 'rewrite', entity: E, epoch, activation, gen: 1, records })
    expect(await edit([{ seq: 2, epoch: 3, event: 'redacted', rev: 1 }])).to.deep.include({ result: 'ok', kept: 1 })
    expect(changes).to.deep.equal([{ partition: r.storage.partitionOf(E), entity: E, removed: [2], put: [{ seq: 2, epoch: 3, event: 'redacted', rev: 1 }] }])
    // a retry, an older revision, another epoch, a seq past the head: nothing changes
    expect(await edit([{ seq: 2, epoch: 3, event: 'again', rev: 1 }])).to.deep.include({ kept: 0 })
    expect(await edit([{ seq: 1, epoch: 2, event: 'other epoch', rev: 5 }, { seq: 9, epoch: 3, event: 'past', rev: 1 }])).to.deep.include({ kept: 0 })
    expect(changes).to.have.length(1)
    // an older owner is refused, as its appends are
    expect(await edit([{ seq: 1, epoch: 2, event: 'stale', rev: 9 }], 2, 'a2')).to.deep.equal({ result: 'stale', promised: 3 })
    expect((await r.core.handle({ op: 'read', entity: E, from: 1, limit: 3 })).map((x) => x.event)).to.deep.equal([{ n: 1, tag: '' }, 'redacted', { n: 3, tag: '' }])
    const again = await reopen(r)
    expect(await again.core.handle({ op: 'read', entity: E, from: 2, limit: 1 })).to.deep.equal([{ seq: 2, epoch: 3, event: 'redacted', rev: 1 }])
  })

  it('should order revisions by the epoch of the owner that made them: a newer owner\'s first one is later than a stale owner\'s many', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 3, 3))
    // a stale owner of epoch 3 rewrote seq 2 five times here, acknowledged nowhere else
    await r.core.handle({ op: 'rewrite', entity: E, epoch: 3, activation: 'a3', gen: 1, records: [{ seq: 2, epoch: 3, event: 'stale', rev: 5, revEpoch: 3 }] })
    expect(await r.core.handle({ op: 'rewrite', entity: E, epoch: 4, activation: 'a4', gen: 2, records: [{ seq: 2, epoch: 3, event: 'newer', rev: 1, revEpoch: 4 }] })).to.deep.include({ kept: 1 })
    expect(await r.core.handle({ op: 'read', entity: E, from: 2, limit: 1 })).to.deep.equal([{ seq: 2, epoch: 3, event: 'newer', rev: 1, revEpoch: 4 }])
    // and the stale owner's next one is refused (fenced)
    expect(await r.core.handle({ op: 'rewrite', entity: E, epoch: 3, activation: 'a3', gen: 1, records: [{ seq: 2, epoch: 3, event: 'stale', rev: 6, revEpoch: 3 }] })).to.have.property('result', 'stale')
  })

  it('should keep the Merkle tree and the entity digests as a replica that was written the new record from the start keeps them', async () => {
    const a = await open()
    const b = await open()
    await append(a.core, E, 3, 0, 0, recs(1, 5, 3))
    const rewritten = { seq: 4, epoch: 3, event: 'new text', rev: 2 }
    await append(b.core, E, 3, 0, 0, [...recs(1, 3, 3), rewritten, ...recs(5, 5, 3)])
    const p = a.storage.partitionOf(E)
    expect(a.storage.rootOf(p)).to.not.equal(b.storage.rootOf(p))
    await a.core.handle({ op: 'rewrite', entity: E, epoch: 3, activation: 'a3', gen: 1, records: [rewritten] })
    expect(a.storage.rootOf(p)).to.equal(b.storage.rootOf(p))
    expect(hex(await a.storage.entityDigest(E))).to.equal(hex(await b.storage.entityDigest(E)))
    expect((await a.storage.spanDigests(E, 1, 8, 4)).map(hex)).to.deep.equal((await b.storage.spanDigests(E, 1, 8, 4)).map(hex))
  })

  it('should trim only holding a snapshot that covers what goes, read nothing below the floor, and never lower it', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 6, 3))
    const changes: LandedChange[] = []
    r.storage.watch((c) => { changes.push(c) })
    const trim = (before: number, snap?: { seq: number, state: unknown }) =>
      r.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before, prevEpoch: 3, ...(snap !== undefined && { snapshot: snap }) })
    expect(await trim(4)).to.have.property('result', 'no-snapshot')
    expect(await r.core.handle({ op: 'read', entity: E, from: 1, limit: 6 })).to.have.length(6)
    const p = r.storage.partitionOf(E)
    const trimmed = await trim(4, snapshot(5))
    expect(trimmed).to.deep.include({ result: 'ok' })
    expect(trimmed).to.have.nested.property('summary.floor', 4)
    expect(changes).to.deep.equal([{ partition: p, entity: E, removed: [1, 2, 3], put: [] }])
    expect(await r.core.handle({ op: 'read', entity: E, from: 1, limit: 6 })).to.deep.equal([])
    expect((await r.core.handle({ op: 'read', entity: E, from: 4, limit: 6 })).map((x) => x.seq)).to.deep.equal([4, 5, 6])
    // a lower trim (a retry, or an older one arriving late) changes nothing
    expect(await trim(2, snapshot(5))).to.have.nested.property('summary.floor', 4)
    const root = r.storage.rootOf(p)
    // the tree followed: the one built from the store at the next start is the same
    const again = await reopen(r)
    expect(again.storage.rootOf(p)).to.equal(root)
    expect((await again.core.state(E)).summary).to.deep.include({ floor: 4, head: 6, snapshotSeq: 5 })
    expect(await again.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal(snapshot(5))
    // an append that resends records below the floor writes only those at or above it
    expect(await again.core.handle({ op: 'append', entity: E, epoch: 3, activation: 'a3', prevSeq: 2, prevEpoch: 3, records: recs(3, 7, 3) })).to.deep.include({ result: 'ok' })
    expect((await again.core.handle({ op: 'read', entity: E, from: 4, limit: 9 })).map((x) => x.seq)).to.deep.equal([4, 5, 6, 7])
    expect(await again.core.handle({ op: 'read', entity: E, from: 3, limit: 1 })).to.deep.equal([])
  })

  it('should take the owner\'s log up to the floor whole when its own does not reach it, and keep what it holds past the floor when it does', async () => {
    const behind = await open()
    await append(behind.core, E, 3, 0, 0, recs(1, 2, 3))
    // it missed 3-6 of epoch 3 and 7-9 of epoch 5: the owner of epoch 5 trims at 9
    const reply = await behind.core.handle({ op: 'trim', entity: E, epoch: 5, activation: 'a5', before: 9, prevEpoch: 5, snapshot: snapshot(8) })
    expect(reply).to.have.property('result', 'ok')
    expect((await behind.core.state(E)).summary).to.deep.include({ head: 8, headEpoch: 5, floor: 9, promised: 5 })
    expect(await behind.core.handle({ op: 'read', entity: E, from: 1, limit: 9 })).to.deep.equal([])
    // the owner's feed goes on from there
    await append(behind.core, E, 5, 8, 5, recs(9, 10, 5))
    expect((await behind.core.handle({ op: 'read', entity: E, from: 9, limit: 9 })).map((x) => x.seq)).to.deep.equal([9, 10])

    const parted = await open()
    // 1-4 of epoch 3, then a tail of epoch 4 that was never acknowledged: the owner of epoch 5 holds
    // 5-6 of epoch 5 (acknowledged, trimmed below 7) and 7 of epoch 5
    await append(parted.core, E, 4, 0, 0, [...recs(1, 4, 3), ...recs(5, 7, 4)])
    await parted.core.handle({ op: 'trim', entity: E, epoch: 5, activation: 'a5', before: 7, prevEpoch: 5, snapshot: snapshot(6) })
    // what it holds past the floor stays (matched by epoch, seq by seq, as ever)
    expect((await parted.core.state(E)).summary).to.deep.include({ head: 7, headEpoch: 4, floor: 7 })
    expect((await parted.core.handle({ op: 'read', entity: E, from: 7, limit: 9 })).map((r) => r.epoch)).to.deep.equal([4])
    // and the owner's next append replaces what parts from its log
    await append(parted.core, E, 5, 6, 5, recs(7, 8, 5, 'owner'))
    expect((await parted.core.handle({ op: 'read', entity: E, from: 7, limit: 9 })).map((r) => [r.seq, r.epoch])).to.deep.equal([[7, 5], [8, 5]])
    expect(parted.storage.tree(parted.storage.partitionOf(E)).records).to.equal(2)

    // a replica whose record before the floor was resealed by a newer owner (seed 600028604): its
    // acknowledged records past the floor stay, whatever its epoch at floor − 1
    const resealed = await open()
    await append(resealed.core, E, 8, 0, 0, [...recs(1, 2, 3), ...recs(3, 6, 8)])
    expect(await resealed.core.handle({ op: 'trim', entity: E, epoch: 9, activation: 'a9', before: 4, prevEpoch: 3, snapshot: snapshot(3) })).to.have.property('result', 'ok')
    expect((await resealed.core.state(E)).summary).to.deep.include({ head: 6, headEpoch: 8, floor: 4 })
    expect((await resealed.core.handle({ op: 'read', entity: E, from: 4, limit: 9 })).map((x) => x.seq)).to.deep.equal([4, 5, 6])
    // and so does anti-entropy's copy of a peer's floor (seed 445834940)
    expect(await resealed.core.takeFloor(E, 5, 3, snapshot(4))).to.equal(true)
    expect((await resealed.core.handle({ op: 'read', entity: E, from: 5, limit: 9 })).map((x) => x.seq)).to.deep.equal([5, 6])
  })

  it('should drop what it holds past an owner\'s head, fenced as an append, and say where the logs part above its floor', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 6, 3))
    const truncate = (after: number, afterEpoch: number, epoch = 5, activation = 'a5') => r.core.handle({ op: 'truncate', entity: E, epoch, activation, after, afterEpoch })
    // where the logs part at `after` (epoch 4 there, 3 here): mismatch, nothing dropped
    expect(await truncate(4, 4)).to.deep.include({ result: 'mismatch' })
    expect((await r.core.state(E)).summary).to.deep.include({ head: 6 })
    expect(await truncate(4, 3)).to.deep.include({ result: 'ok' })
    expect((await r.core.state(E)).summary).to.deep.include({ head: 4, headEpoch: 3, promised: 5 })
    expect((await r.core.handle({ op: 'read', entity: E, from: 1, limit: 9 })).map((x) => x.seq)).to.deep.equal([1, 2, 3, 4])
    // a stale owner is refused; nothing past the head: nothing to do
    expect(await truncate(2, 3, 4, 'a4')).to.deep.equal({ result: 'stale', promised: 5 })
    expect(await truncate(9, 3)).to.deep.include({ result: 'ok' })
    // below its floor it holds nothing to compare: its head there becomes the owner's record's
    await r.core.handle({ op: 'trim', entity: E, epoch: 5, activation: 'a5', before: 4, prevEpoch: 3, snapshot: snapshot(3) })
    expect(await truncate(3, 5)).to.deep.include({ result: 'ok' })
    expect((await r.core.state(E)).summary).to.deep.include({ head: 3, headEpoch: 5, floor: 4 })
    expect(await r.core.handle({ op: 'read', entity: E, from: 4, limit: 9 })).to.deep.equal([])
  })

  it('should refuse rewrites and trims on a retired replica, as appends', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 3, 3))
    r.core.retire(true)
    let name = ''
    try {
      await r.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before: 2, prevEpoch: 3, snapshot: snapshot(1) })
    } catch (err) {
      name = (err as Error).name
    }
    expect(name).to.equal('ReplicaRetiredError')
    const truncated = await r.core.handle({ op: 'truncate', entity: E, epoch: 3, activation: 'a3', after: 1, afterEpoch: 3 }).then(() => 'taken', (err: Error) => err.name)
    expect(truncated).to.equal('ReplicaRetiredError')
  })
})
