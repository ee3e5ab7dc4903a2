import { expect } from 'chai'
import { LevelReplicaStorage, ReplicatedJournal, pullFrom, replicaPeer } from '../../../../node/index.ts'
import { append, entitiesOf, hex, keyOf, recs, replicaDisks } from '../fixtures/replica-disks.ts'

describe('pullFrom (one anti-entropy pass)', () => {
  const { open, crashed, cleanup } = replicaDisks()
  afterEach(cleanup)

  it('should bring a replica that was down while 1,000 records were written level with the others by anti-entropy alone (roots equal)', async function () {
    this.timeout(30_000)
    const names = ['a', 'b', 'c']
    const nodes = await Promise.all(names.map(async () => await open()))
    const down = new Set<string>()
    const roster = names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    const journals = new Map<string, ReplicatedJournal>()
    for (const [i, self] of names.entries()) {
      journals.set(self, new ReplicatedJournal({
        self,
        storage: (nodes[i] as { storage: LevelReplicaStorage }).storage,
        roster: () => roster,
        remote: async (node, partition, request) => {
          if (down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
          return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const a = journals.get('a') as ReplicatedJournal
    const rooms = Array.from({ length: 20 }, (_, i) => `room/r${i}`)
    // every room written once with all three up, then c goes down and 1,000 more land on a and b
    const logs = await Promise.all(rooms.map(async (room) => await a.open(room)))
    for (const log of logs) await log.append([{ seq: 1, event: { n: 1 } }])
    down.add('c')
    for (let i = 0; i < 50; i++) await Promise.all(logs.map(async (log) => { await log.append([{ seq: i + 2, event: { n: i + 2 } }]) }))
    // nobody talks to the rooms any more: no owner feeds c when it returns
    for (const log of logs) log.close()
    down.delete('c')
    const storages = nodes.map((n) => n.storage)
    const partitions = [...new Set(rooms.map((r) => storages[0]?.partitionOf(r) as number))]
    const c = journals.get('c') as ReplicatedJournal
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    expect(partitions.some((p) => hex(storages[2]?.tree(p).root() as Uint8Array) !== hex(storages[0]?.tree(p).root() as Uint8Array))).to.equal(true)
    let filled = 0
    for (const p of partitions) {
      const result = await pullFrom(p, storages[2] as LevelReplicaStorage, c.core(p), replicaPeer(p, storages[0] as LevelReplicaStorage, a.core(p)))
      filled += result.records
      expect(result.divergent).to.equal(0)
      expect(hex(storages[2]?.tree(p).root() as Uint8Array), `partition ${p}`).to.equal(hex(storages[0]?.tree(p).root() as Uint8Array))
      // a second pass finds nothing: one hash compared
      expect(await pullFrom(p, storages[2] as LevelReplicaStorage, c.core(p), replicaPeer(p, storages[0] as LevelReplicaStorage, a.core(p)))).to.include({ compared: 1, records: 0 })
    }
    expect(filled).to.equal(1_000)
    // c alone (a and b down) now serves every record, and a new owner there takes the rooms whole
    down.add('a')
    down.add('b')
    for (const room of rooms) {
      const p = storages[0]?.partitionOf(room) as number
      const records = await c.core(p).handle({ op: 'read', entity: room, from: 1, limit: 100 })
      expect(records.map((r) => (r.event as { n: number }).n)).to.deep.equal(Array.from({ length: 51 }, (_, i) => i + 1))
      // and it took the owner's promise with the records: that owner could go on writing here
      const [mine, theirs] = [await c.core(p).state(room), await a.core(p).state(room)]
      expect([mine.summary.promised, mine.promisedBy]).to.deep.equal([theirs.summary.promised, theirs.promisedBy])
    }
  })

  it('should fill only after its head, keep a log that parts from the peer\'s when it is the newer, and let an older one give way to the newer (adopt)', async () => {
    const a = await open()
    const b = await open()
    const p = a.storage.partitionOf('room/x')
    await append(a.core, 'room/x', 1, 0, 0, recs(1, 10, 1))
    await append(b.core, 'room/x', 1, 0, 0, recs(1, 5, 1))
    // b's seqs 6-7 are of another epoch than a's: the logs part at 5
    await append(b.core, 'room/x', 2, 5, 1, recs(6, 7, 2, 'other'))
    const result = await pullFrom(p, b.storage, b.core, replicaPeer(p, a.storage, a.core))
    expect(result).to.include({ divergent: 1, records: 0 })
    expect((await b.core.state('room/x')).summary.head).to.equal(7)
    // fill refuses what does not follow the head it was told
    expect(await b.core.fill('room/x', 5, 1, recs(6, 6, 1), { epoch: 1, by: 'a1' })).to.equal('moved-on')
    // the other way, a's tail after seq 5 (epoch 1: never acknowledged, or the owner of epoch 2
    // would hold it) gives way to b's newer one, and the two replicas are equal
    const back = await pullFrom(p, a.storage, a.core, replicaPeer(p, b.storage, b.core))
    expect(back).to.include({ adopted: 1, records: 2, divergent: 0 })
    expect((await a.core.handle({ op: 'read', entity: 'room/x', from: 1, limit: 20 })).map((r) => [r.seq, r.epoch])).to.deep.equal([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 2], [7, 2]])
    expect((await a.core.state('room/x')).summary).to.deep.include({ head: 7, headEpoch: 2, promised: 2 })
    expect(hex(a.storage.tree(p).root())).to.equal(hex(b.storage.tree(p).root()))
    // adopt refuses a peer that is not newer, or a match this replica does not agree with
    expect(await a.core.adopt('room/x', 5, 1, 2, recs(6, 6, 2), { epoch: 2, by: 'a2' })).to.equal('moved-on')
  })

  it('should fill nothing when the peer\'s log changed between its listing and the read (an adoption there), and take the new log at the next pass', async () => {
    // the simulator's seed 564 (with lease batches): two pulls at once, the peer adopting a newer
    // log between its summary and the page read after it; the page's records followed another
    // record than this log's head, and filling them made this replica diverge
    const a = await open()
    const b = await open()
    const p = a.storage.partitionOf('room/x')
    await append(a.core, 'room/x', 1, 0, 0, recs(1, 8, 1))
    await append(b.core, 'room/x', 1, 0, 0, recs(1, 5, 1))
    const peer = replicaPeer(p, a.storage, a.core)
    let adopted = false
    const changing = {
      ...peer,
      read: async (entity: string, from: number, limit: number) => {
        if (!adopted) {
          adopted = true
          // a's tail after seq 2 (epoch 1, never acknowledged) gives way to a newer owner's log
          expect(await a.core.adopt('room/x', 2, 1, 2, recs(3, 8, 2, 'newer'), { epoch: 2, by: 'a2' })).to.equal('adopted')
        }
        return await peer.read(entity, from, limit)
      }
    }
    const first = await pullFrom(p, b.storage, b.core, changing)
    expect(first).to.include({ records: 0 })
    expect((await b.core.handle({ op: 'read', entity: 'room/x', from: 1, limit: 20 })).map((r) => [r.seq, r.epoch])).to.deep.equal([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1]])
    // the next pass lists a's log as it is now: b's tail gives way to it, and the two are equal
    const next = await pullFrom(p, b.storage, b.core, peer)
    expect(next).to.include({ adopted: 1 })
    expect((await b.core.handle({ op: 'read', entity: 'room/x', from: 1, limit: 20 })).map((r) => [r.seq, r.epoch])).to.deep.equal([[1, 1], [2, 1], [3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [8, 2]])
    expect(hex(a.storage.tree(p).root())).to.equal(hex(b.storage.tree(p).root()))
  })

  it('should put back, moving only what differs, a record lost from the middle of a log and one whose stored digest was damaged, and take nothing from a damaged peer', async () => {
    const a = await open()
    const b = await open()
    const entities = ['room/a', 'room/b', 'room/c']
    for (const entity of entities) {
      for (const r of [a, b]) await append(r.core, entity, 1, 0, 0, recs(1, 500, 1))
    }
    const keyOf = (entity: string, seq: number): string => `r\x00${a.storage.partitionOf(entity).toString(16).padStart(4, '0')}\x00${entity}\x00${seq.toString(16).padStart(16, '0')}`
    // on b's disk, behind the replica's back: record 250 of room/a lost, a byte of record 100 of
    // room/b's digest flipped (its seal fails, and its tree leaf differs once derived from the disk
    // after a crash)
    await b.storage.store.write([{ type: 'del', key: keyOf('room/a', 250) }])
    const raw = await b.storage.store.getRaw(keyOf('room/b', 100)) as Uint8Array
    const flipped = raw.slice()
    flipped[5] = (flipped[5] as number) ^ 0xff
    await b.storage.store.putRawForTesting(keyOf('room/b', 100), flipped)
    const b2 = await crashed(b)
    // a read never returns the damaged record or steps over the lost one
    const err = await b2.core.handle({ op: 'read', entity: 'room/b', from: 99, limit: 5 }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'CorruptRecordError')
    expect((await b2.core.handle({ op: 'read', entity: 'room/a', from: 248, limit: 5 })).map((r) => r.seq)).to.deep.equal([248, 249])
    expect(await b2.core.handle({ op: 'read', entity: 'room/a', from: 250, limit: 5 })).to.deep.equal([])
    // a pulls from b: b's damage is nothing a takes (its own copies read correctly)
    for (const entity of ['room/a', 'room/b']) {
      const p = a.storage.partitionOf(entity)
      const before = hex(a.storage.tree(p).root())
      const result = await pullFrom(p, a.storage, a.core, replicaPeer(p, b2.storage, b2.core))
      expect(result).to.include({ records: 0, repaired: 0 })
      expect(hex(a.storage.tree(p).root())).to.equal(before)
    }
    // b pulls from a: both put back, and only they (and some digests) crossed
    let repaired = 0
    let bytes = 0
    for (const p of new Set(entities.map((e) => a.storage.partitionOf(e)))) {
      const result = await pullFrom(p, b2.storage, b2.core, replicaPeer(p, a.storage, a.core))
      repaired += result.repaired
      bytes += result.bytes
      expect(result.records).to.equal(0)
      expect(hex(b2.storage.tree(p).root())).to.equal(hex(a.storage.tree(p).root()))
    }
    expect(repaired).to.equal(2)
    // 1,500 records of about 40 bytes each were not sent again
    expect(bytes).to.be.below(20_000)
    expect((await b2.core.handle({ op: 'read', entity: 'room/a', from: 248, limit: 5 })).map((r) => r.seq)).to.deep.equal([248, 249, 250, 251, 252])
    expect((await b2.core.handle({ op: 'read', entity: 'room/b', from: 100, limit: 1 }))[0]).to.deep.equal({ seq: 100, epoch: 1, event: { n: 100, tag: '' } })
    expect(b2.core.stats.repaired).to.equal(2)
  })

  it('should bring many differing entities of a partition level in one pass, their fills and repairs sharing write batches', async () => {
    const a = await open()
    const b = await open()
    const p = 5
    const entities = entitiesOf(a.storage, p, 30)
    for (const entity of entities) {
      await append(a.core, entity, 1, 0, 0, recs(1, 60, 1))
      // b missed the last 4 records of every third room
      await append(b.core, entity, 1, 0, 0, recs(1, entities.indexOf(entity) % 3 === 0 ? 56 : 60, 1))
    }
    // and lost or damaged one record in the middle of the others, then crashed
    for (const [i, entity] of entities.entries()) {
      if (i % 3 === 1) await b.storage.store.write([{ type: 'del', key: keyOf(b.storage, entity, 10 + i) }])
      if (i % 3 === 2) {
        const raw = await b.storage.store.getRaw(keyOf(b.storage, entity, 40 - i)) as Uint8Array
        raw[7] = (raw[7] as number) ^ 0x55
        await b.storage.store.putRawForTesting(keyOf(b.storage, entity, 40 - i), raw)
      }
    }
    const b2 = await crashed(b)
    const batches = b2.storage.store.stats.writer.batches
    const result = await pullFrom(p, b2.storage, b2.core, replicaPeer(p, a.storage, a.core))
    expect(result).to.include({ entities: 30, records: 40, repaired: 20, divergent: 0, movedOn: 0 })
    expect(hex(b2.storage.tree(p).root())).to.equal(hex(a.storage.tree(p).root()))
    // 30 entities written in a few batches (one fsync each), not one each
    expect(b2.storage.store.stats.writer.batches - batches).to.be.below(10)
    for (const entity of entities) {
      expect(await b2.core.handle({ op: 'read', entity, from: 1, limit: 100 })).to.deep.equal(await a.core.handle({ op: 'read', entity, from: 1, limit: 100 }))
    }
    expect(await pullFrom(p, b2.storage, b2.core, replicaPeer(p, a.storage, a.core))).to.include({ compared: 1, records: 0, repaired: 0 })
  })

  it('should leave the disk, the tree and the kept digests as they were when the batches holding several entities\' repairs fail, and repair them on the next pass', async () => {
    const a = await open()
    const b = await open()
    const p = 9
    const entities = entitiesOf(a.storage, p, 8)
    for (const entity of entities) for (const r of [a, b]) await append(r.core, entity, 1, 0, 0, recs(1, 50, 1))
    for (const [i, entity] of entities.entries()) await b.storage.store.write([{ type: 'del', key: keyOf(b.storage, entity, 5 + i) }])
    const b2 = await crashed(b)
    const root = hex(b2.storage.tree(p).root())
    const digests = await Promise.all(entities.map(async (e) => hex(await b2.storage.entityDigest(e))))
    const spans = await Promise.all(entities.map(async (e) => (await b2.storage.spanDigests(e, 1, 50, 16)).map(hex)))
    const batches = b2.storage.store.stats.writer.batches
    b2.storage.store.failWritesForTesting(new Error('disk full'))
    const err = await pullFrom(p, b2.storage, b2.core, replicaPeer(p, a.storage, a.core)).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('message', 'disk full')
    // every batch holding the eight repairs failed
    expect(b2.storage.store.stats.writer.batches).to.equal(batches)
    b2.storage.store.failWritesForTesting(undefined)
    expect(hex(b2.storage.tree(p).root())).to.equal(root)
    expect(await Promise.all(entities.map(async (e) => hex(await b2.storage.entityDigest(e))))).to.deep.equal(digests)
    expect(await Promise.all(entities.map(async (e) => (await b2.storage.spanDigests(e, 1, 50, 16)).map(hex)))).to.deep.equal(spans)
    for (const [i, entity] of entities.entries()) {
      expect(await b2.storage.store.getRaw(keyOf(b2.storage, entity, 5 + i))).to.equal(undefined)
      expect((await b2.core.handle({ op: 'read', entity, from: 1, limit: 50 })).map((r) => r.seq)).to.deep.equal(Array.from({ length: 4 + i }, (_, k) => k + 1))
    }
    // the tree derived from the disk after a crash agrees with the one kept
    const b3 = await crashed(b2)
    expect(hex(b3.storage.tree(p).root())).to.equal(root)
    const result = await pullFrom(p, b3.storage, b3.core, replicaPeer(p, a.storage, a.core))
    expect(result).to.include({ entities: 8, repaired: 8 })
    expect(hex(b3.storage.tree(p).root())).to.equal(hex(a.storage.tree(p).root()))
  })

  it('should take what the peer can serve of a block where the peer holds a record damaged, without failing the pass', async () => {
    const a = await open()
    const b = await open()
    for (const r of [a, b]) await append(r.core, 'room/x', 1, 0, 0, recs(1, 40, 1))
    const p = a.storage.partitionOf('room/x')
    // b lost 18; a holds 20 damaged (seqs 17-20 are one block of span digests)
    await b.storage.store.write([{ type: 'del', key: keyOf(b.storage, 'room/x', 18) }])
    const raw = await a.storage.store.getRaw(keyOf(a.storage, 'room/x', 20)) as Uint8Array
    raw[9] = (raw[9] as number) ^ 0x0f
    await a.storage.store.putRawForTesting(keyOf(a.storage, 'room/x', 20), raw)
    const a2 = await crashed(a)
    const b2 = await crashed(b)
    const result = await pullFrom(p, b2.storage, b2.core, replicaPeer(p, a2.storage, a2.core))
    expect(result).to.include({ repaired: 1, records: 0 })
    expect((await b2.core.handle({ op: 'read', entity: 'room/x', from: 1, limit: 40 })).map((r) => r.seq)).to.deep.equal(Array.from({ length: 40 }, (_, k) => k + 1))
    // and b's intact 20 stays as it was: a takes it when it pulls
    const back = await pullFrom(p, a2.storage, a2.core, replicaPeer(p, b2.storage, b2.core))
    expect(back).to.include({ repaired: 1 })
    expect(hex(a2.storage.tree(p).root())).to.equal(hex(b2.storage.tree(p).root()))
  })
  describe('rewrites and trims (docs/replication.md, "Rewrites and trims")', () => {
    const E = 'room/edits'
    const snapshot = { seq: 4, state: { upTo: 4 } }

    it('should take a higher revision of a record it holds correctly, and reach the peer\'s root', async () => {
      const [a, b] = [await open(), await open()]
      for (const r of [a, b]) await append(r.core, E, 3, 0, 0, recs(1, 10, 3))
      await a.core.handle({ op: 'rewrite', entity: E, epoch: 3, activation: 'a3', gen: 1, records: [{ seq: 6, epoch: 3, event: 'scrubbed', rev: 1 }] })
      const p = a.storage.partitionOf(E)
      expect(a.storage.rootOf(p)).to.not.equal(b.storage.rootOf(p))
      // a pull from b leaves a as it is (its revision is the higher)
      expect(await pullFrom(p, a.storage, a.core, replicaPeer(p, b.storage, b.core))).to.include({ repaired: 0 })
      const result = await pullFrom(p, b.storage, b.core, replicaPeer(p, a.storage, a.core))
      expect(result).to.include({ repaired: 1 })
      expect(b.storage.rootOf(p)).to.equal(a.storage.rootOf(p))
      expect(await b.core.handle({ op: 'read', entity: E, from: 6, limit: 1 })).to.deep.equal([{ seq: 6, epoch: 3, event: 'scrubbed', rev: 1 }])
      // and it says it holds that rewrite now: owners read from it again
      expect((await b.core.state(E)).summary.revised).to.equal(1)
    })

    it('should take the peer\'s higher floor with its snapshot, dropping its own records below it, and never put one back below its floor', async () => {
      const [a, b] = [await open(), await open()]
      for (const r of [a, b]) await append(r.core, E, 3, 0, 0, recs(1, 10, 3))
      await a.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before: 5, prevEpoch: 3, snapshot })
      const p = a.storage.partitionOf(E)
      // a never takes b's records below its floor back
      expect(await pullFrom(p, a.storage, a.core, replicaPeer(p, b.storage, b.core))).to.include({ repaired: 0, floors: 0 })
      expect(await a.core.handle({ op: 'read', entity: E, from: 5, limit: 1 })).to.have.length(1)
      expect(a.storage.tree(p).records).to.equal(6)
      const result = await pullFrom(p, b.storage, b.core, replicaPeer(p, a.storage, a.core))
      expect(result).to.include({ floors: 1 })
      expect(b.storage.rootOf(p)).to.equal(a.storage.rootOf(p))
      expect((await b.core.state(E)).summary).to.deep.include({ floor: 5, snapshotSeq: 4, head: 10 })
      expect(await b.core.handle({ op: 'load-snapshot', entity: E })).to.deep.equal(snapshot)
    })

    it('should take a floor above its head, and fill after it', async () => {
      const [a, b] = [await open(), await open()]
      await append(a.core, E, 3, 0, 0, recs(1, 10, 3))
      await append(b.core, E, 3, 0, 0, recs(1, 2, 3))
      await a.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before: 5, prevEpoch: 3, snapshot })
      const p = a.storage.partitionOf(E)
      const result = await pullFrom(p, b.storage, b.core, replicaPeer(p, a.storage, a.core))
      expect(result).to.include({ floors: 1, records: 6 })
      expect(b.storage.rootOf(p)).to.equal(a.storage.rootOf(p))
      expect((await b.core.handle({ op: 'read', entity: E, from: 5, limit: 10 })).map((r) => r.seq)).to.deep.equal([5, 6, 7, 8, 9, 10])
    })
  })
})
