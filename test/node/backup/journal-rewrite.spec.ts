import { expect } from 'chai'
import { replicaClient, rewriteJournal, wholeValues } from '../../../node/backup/index.ts'
import type { ReplicaClient } from '../../../node/backup/index.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import type { ReplicaCore } from '../../../node/index.ts'
import { append, recs, replicaDisks } from '../replication/fixtures/replica-disks.ts'
import { recordKey, sealedRecord } from '../../../node/replication/index.ts'
import type { StoredRecord } from '../../../node/replication/index.ts'
import { storedCut } from '../../helpers/stored-cuts.ts'

describe('rewriteJournal: a journal made what a backup holds, on every replica (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  /** 150 records of epoch 4 and a snapshot at 120 on each node, as an owner leaves them. */
  async function seeded (nodes: readonly TestNode[], entity: string): Promise<void> {
    for (const n of nodes) {
      const core = n.journal.core(n.journal.storage.partitionOf(entity))
      expect(await core.handle({ op: 'fence', entity, epoch: 4, activation: 'owner' })).to.include({ ok: true })
      for (let i = 0; i < 150; i += 50) {
        const records = Array.from({ length: 50 }, (_, j) => ({ seq: i + j + 1, epoch: 4, event: { n: i + j + 1, old: true } }))
        expect((await core.handle({ op: 'append', entity, epoch: 4, activation: 'owner', prevSeq: i, prevEpoch: i === 0 ? 0 : 4, records })).result).to.equal('ok')
      }
      expect(await core.handle({ op: 'save-snapshot', entity, epoch: 4, snapshot: { seq: 120, state: { old: 120 } } })).to.deep.equal({ result: 'ok' })
    }
  }

  it('should leave every replica with exactly the records given, under a newer epoch, and the snapshot of their state', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a] = nodes as [TestNode]
    const entity = 'room/rewritten'
    await seeded(nodes, entity)
    const p = a.journal.storage.partitionOf(entity)
    const clients = new Map(nodes.map((n) => [n.id, replicaClient(a.system, a.journal, a.id, n.id, p)]))
    const records = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, epoch: 2, event: { n: i + 1, restored: true } }))
    const { epoch, dropped } = await rewriteJournal(entity, records.slice(0, 100), () => ({ restored: 100 }), clients, 'restore-bk-1')
    expect([epoch, dropped]).to.deep.equal([5, 50])
    for (const n of nodes) {
      const core = n.journal.core(p)
      expect(await core.handle({ op: 'summary', entity })).to.deep.include({ head: 100, headEpoch: 5, snapshotSeq: 100 })
      expect(await core.handle({ op: 'load-snapshot', entity })).to.deep.equal({ seq: 100, state: { restored: 100 } })
      const back = [...await core.handle({ op: 'read', entity, from: 1, limit: 256 })]
      expect(back.map((r) => (r.event as { n: number, restored?: boolean }))).to.deep.equal(records.slice(0, 100).map((r) => r.event))
      expect(back.every((r) => r.epoch === 5)).to.equal(true)
      // the old owner is fenced out for good
      expect((await core.handle({ op: 'append', entity, epoch: 4, activation: 'owner', prevSeq: 150, prevEpoch: 4, records: [{ seq: 151, epoch: 4, event: {} }] })).result).to.equal('stale')
    }
    // more records than an append takes at once, and again over a rewritten log
    const again = await rewriteJournal(entity, records, () => ({ restored: 300 }), clients, 'restore-bk-2')
    expect(again.epoch).to.equal(6)
    expect(await a.journal.core(p).handle({ op: 'summary', entity })).to.deep.include({ head: 300, headEpoch: 6, snapshotSeq: 300 })
  })

  it('should write only where each replica parts from the backup: nothing when all hold it, the tail when posts came after it, the rest where a replica lags', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const entity = 'room/grown'
    await seeded(nodes, entity)
    const p = a.journal.storage.partitionOf(entity)
    const clients = new Map(nodes.map((n) => [n.id, replicaClient(a.system, a.journal, a.id, n.id, p)]))
    const backup = Array.from({ length: 150 }, (_, i) => ({ seq: i + 1, epoch: 4, event: { n: i + 1, old: true } }))
    // every replica holds the backup's journal: nothing is fenced or written
    expect(await rewriteJournal(entity, backup, () => ({ old: 150 }), clients, 'restore-bk-4')).to.deep.equal({ epoch: 0, dropped: 0, written: 0 })
    expect(await a.journal.core(p).handle({ op: 'summary', entity })).to.deep.include({ head: 150, headEpoch: 4, promised: 4 })
    // the backup is older: its 120 records are the start of every replica's journal; the 30 posts
    // after it go, record 120 is written again under the new epoch, and the records before it stay
    const older = backup.slice(0, 120)
    const { epoch, dropped, written } = await rewriteJournal(entity, older, () => ({ old: 120 }), clients, 'restore-bk-5')
    expect([epoch, dropped, written]).to.deep.equal([5, 30, 3])
    for (const n of nodes) {
      const core = n.journal.core(p)
      expect(await core.handle({ op: 'summary', entity })).to.deep.include({ head: 120, headEpoch: 5, snapshotSeq: 120 })
      const back = [...await core.handle({ op: 'read', entity, from: 1, limit: 256 })]
      expect(back.map((r) => r.event)).to.deep.equal(older.map((r) => r.event))
      expect(back.map((r) => r.epoch)).to.deep.equal([...older.slice(0, 119).map(() => 4), 5])
    }
    // a replica that lags (it holds 60 of them) gets what it lacks; the others only the tail
    const lagging = 'room/lagging'
    for (const n of nodes) {
      const core = n.journal.core(n.journal.storage.partitionOf(lagging))
      expect(await core.handle({ op: 'fence', entity: lagging, epoch: 2, activation: 'owner' })).to.include({ ok: true })
      const upTo = n === c ? 60 : 100
      expect((await core.handle({ op: 'append', entity: lagging, epoch: 2, activation: 'owner', prevSeq: 0, prevEpoch: 0, records: backup.slice(0, upTo).map((r) => ({ ...r, epoch: 2 })) })).result).to.equal('ok')
    }
    const q = a.journal.storage.partitionOf(lagging)
    const lagClients = new Map(nodes.map((n) => [n.id, replicaClient(a.system, a.journal, a.id, n.id, q)]))
    const target = backup.slice(0, 100).map((r) => ({ ...r, epoch: 2 }))
    expect((await rewriteJournal(lagging, target, () => ({}), lagClients, 'restore-bk-6')).written).to.equal(1 + 1 + 40)
    for (const n of [a, b, c]) {
      const back = [...await n.journal.core(q).handle({ op: 'read', entity: lagging, from: 1, limit: 256 })]
      expect(back.map((r) => r.event), n.id).to.deep.equal(target.map((r) => r.event))
    }
  })

  it('should refuse, writing nothing, when a replica does not answer', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, b] = nodes as [TestNode, TestNode]
    const entity = 'room/partly'
    await seeded(nodes, entity)
    const p = a.journal.storage.partitionOf(entity)
    const gone: ReplicaClient = async () => { throw new Error('peer unreachable') }
    const clients = new Map<string, ReplicaClient>(nodes.map((n) => [n.id, n.id === b.id ? gone : replicaClient(a.system, a.journal, a.id, n.id, p)]))
    const err = await rewriteJournal(entity, [{ seq: 1, epoch: 1, event: {} }], () => ({}), clients, 'restore-bk-3').then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('BackupRestoreError')
    expect(err?.message).to.match(/did not answer.*needs every replica/)
    expect(await a.journal.core(p).handle({ op: 'summary', entity })).to.deep.include({ head: 150, headEpoch: 4, promised: 4 })
  })
  it('should write a backup\'s records as they were stored, under their own epochs and seals, truncating what each replica holds past the part it shares', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a] = nodes as [TestNode]
    const entity = 'room/bulk'
    await seeded(nodes, entity)
    const p = a.journal.storage.partitionOf(entity)
    const clients = new Map(nodes.map((n) => [n.id, replicaClient(a.system, a.journal, a.id, n.id, p)]))
    const written = Array.from({ length: 250 }, (_, i) => ({ seq: i + 1, epoch: i < 100 ? 2 : 3, event: { n: i + 1, restored: true } }))
    const cut = storedCut(entity, written, { partitions: a.journal.partitions })
    const records = wholeValues(cut).map((v, i) => sealedRecord(i + 1, v) as StoredRecord)
    // the replicas' logs (epoch 4 from seq 1) part from the backup's at its first record: every one
    // is truncated whole, then takes the 200 records in bulk; the snapshot at 120 gives way
    const { epoch, written: count } = await rewriteJournal(entity, records.slice(0, 200), () => ({ restored: 200 }), clients, 'restore-bk-9', undefined, { sealedKeys: true })
    expect([epoch, count]).to.deep.equal([5, 600])
    const roots: string[] = []
    for (const n of nodes) {
      const core = n.journal.core(p)
      expect(await core.handle({ op: 'summary', entity })).to.deep.include({ promised: 5, head: 200, headEpoch: 3, snapshotSeq: 200 })
      expect(await core.handle({ op: 'load-snapshot', entity })).to.deep.equal({ seq: 200, state: { restored: 200 } })
      const back = [...await core.handle({ op: 'read', entity, from: 1, limit: 256 })]
      expect(back).to.deep.equal(written.slice(0, 200))
      // the very bytes the backup kept, seals intact, and the Merkle tree built from them
      for (const seq of [1, 100, 101, 200]) expect(Buffer.from(await n.journal.storage.store.getRaw(recordKey(p, entity, seq)) as Uint8Array).equals(Buffer.from(wholeValues(cut)[seq - 1] as Uint8Array))).to.equal(true)
      roots.push(Buffer.from(n.journal.storage.tree(p).root()).toString('hex'))
      // the old owner is fenced out
      expect((await core.handle({ op: 'append', entity, epoch: 4, activation: 'owner', prevSeq: 150, prevEpoch: 4, records: [{ seq: 151, epoch: 4, event: {} }] })).result).to.equal('stale')
    }
    expect(new Set(roots).size).to.equal(1)
    // again with 50 more: every replica shares the 200, and takes only the rest; record 220 is one
    // the erasure filter scrubbed, a copy of a sealed record with its old bytes beside it: it is
    // written as its event says (the way an owner writes), never as the bytes it was copied with
    const scrubbed = records.map((r) => r.seq === 220 ? { ...r, event: { n: 220, redacted: true } } : r)
    const again = await rewriteJournal(entity, scrubbed, () => ({ restored: 250 }), clients, 'restore-bk-10', undefined, { sealedKeys: true })
    expect([again.epoch, again.written]).to.deep.equal([6, 150])
    for (const n of nodes) {
      const [r220] = await n.journal.core(p).handle({ op: 'read', entity, from: 220, limit: 1 })
      expect(r220?.event).to.deep.equal({ n: 220, redacted: true })
    }
    // a new owner takes it on from there
    const core = a.journal.core(p)
    const { promised } = await core.handle({ op: 'summary', entity })
    const { headEpoch } = await core.handle({ op: 'summary', entity })
    expect(await core.handle({ op: 'fence', entity, epoch: promised + 1, activation: 'next' })).to.include({ ok: true })
    expect((await core.handle({ op: 'append', entity, epoch: promised + 1, activation: 'next', prevSeq: 250, prevEpoch: headEpoch, records: [{ seq: 251, epoch: promised + 1, event: { n: 251 } }] })).result).to.equal('ok')
  })
})

describe('rewriteJournal of a trimmed backup (in-process, real LevelDB)', () => {
  const { open, cleanup } = replicaDisks()
  afterEach(cleanup)
  const E = 'room/restored'
  const clientOf = (core: ReplicaCore): ReplicaClient => async (request) => await core.handle(request)

  it('should leave every replica trimmed at the backup\'s floor, holding its snapshot and records in a newer epoch', async () => {
    const [a, b] = [await open(), await open()]
    await append(a.core, E, 3, 0, 0, recs(1, 9, 3))
    await append(b.core, E, 3, 0, 0, recs(1, 2, 3))
    await a.core.handle({ op: 'save-snapshot', entity: E, epoch: 3, snapshot: { seq: 8, state: { newer: 8 } } })
    const backup = [{ seq: 5, epoch: 2, event: 'five', rev: 2 }, { seq: 6, epoch: 2, event: 'six' }]
    const clients = new Map([['a', clientOf(a.core)], ['b', clientOf(b.core)]])
    const { epoch, dropped } = await rewriteJournal(E, backup, () => { throw new Error('a trimmed backup brings its own state') }, clients, 'restore-1', { floor: 5, snapshot: { seq: 4, state: { upTo: 4 } } })
    expect(dropped).to.equal(3)
    for (const r of [a, b]) {
      expect((await r.core.state(E)).summary).to.deep.include({ head: 6, headEpoch: epoch, floor: 5, snapshotSeq: 4 })
      expect(await r.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal({ seq: 4, state: { upTo: 4 } })
      expect((await r.core.handle({ op: 'read', entity: E, from: 5, limit: 9 })).map((x) => [x.seq, x.event, x.rev ?? 0])).to.deep.equal([[5, 'five', 2], [6, 'six', 0]])
      expect(r.storage.tree(r.storage.partitionOf(E)).records).to.equal(2)
    }
  })

  it('should refuse to restore below the floor a replica was trimmed to since the backup', async () => {
    const a = await open()
    await append(a.core, E, 3, 0, 0, recs(1, 9, 3))
    await a.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before: 7, prevEpoch: 3, snapshot: { seq: 6, state: {} } })
    const err = await rewriteJournal(E, recs(1, 5, 2), () => ({}), new Map([['a', clientOf(a.core)]]), 'restore-2').then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('name', 'BackupRestoreError')
    expect((await a.core.state(E)).summary).to.deep.include({ head: 9, floor: 7 })
  })
})
