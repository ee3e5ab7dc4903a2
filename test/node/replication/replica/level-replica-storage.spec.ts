import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, REPLICA_MERKLE_DEPTH, bucketOf, diffLeaves } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { append, entitiesOf, hex, keyOf, recs, replicaDisks } from '../fixtures/replica-disks.ts'

describe('LevelReplicaStorage', () => {
  const { open, reopen, crashed, cleanup } = replicaDisks()
  afterEach(cleanup)

  it('should keep each partition\'s tree current on every write, truncations included, equal to the tree rebuilt at the next open', async () => {
    const r = await open()
    const p = r.storage.partitionOf('room/a')
    const empty = hex(r.storage.tree(p).root())
    await append(r.core, 'room/a', 1, 0, 0, recs(1, 40, 1))
    await append(r.core, 'room/a', 1, 40, 1, recs(41, 60, 1))
    const grown = hex(r.storage.tree(p).root())
    expect(grown).to.not.equal(empty)
    expect(r.storage.tree(p).records).to.equal(60)
    // the admin's statistics count the records the tree holds (appends within an epoch leave the
    // replica state's head as it was: it is not a count) and show the root
    const stats = (await r.storage.partitionStats()).get(p)
    expect(stats?.records).to.equal(60)
    expect(stats?.root).to.equal(grown)
    expect(r.storage.rootOf(p === 0 ? 1 : 0)).to.equal(empty)
    // a newer epoch replaces seqs 31-60 with 31-35 of its own (the replica truncates)
    await append(r.core, 'room/a', 2, 30, 1, recs(31, 35, 2, 'new'))
    expect(r.storage.tree(p).records).to.equal(35)
    const live = hex(r.storage.tree(p).root())
    const again = await reopen(r)
    expect(again.storage.treeBuild.records).to.equal(35)
    expect(hex(again.storage.tree(p).root())).to.equal(live)
  })

  it('should tell its watchers of every change that landed (appends, truncations) until they stop watching', async () => {
    const r = await open()
    const seen: Array<{ entity: string, removed: number[], put: number[] }> = []
    const stop = r.storage.watch((c) => { seen.push({ entity: c.entity, removed: [...c.removed], put: c.put.map((x) => x.seq) }) })
    await append(r.core, 'room/a', 1, 0, 0, recs(1, 3, 1))
    await append(r.core, 'room/a', 2, 2, 1, recs(3, 4, 2, 'new'))
    expect(seen).to.deep.equal([
      { entity: 'room/a', removed: [], put: [1, 2, 3] },
      // a newer epoch truncates seq 3 and puts its own 3 and 4
      { entity: 'room/a', removed: [3], put: [3, 4] }
    ])
    stop()
    await append(r.core, 'room/a', 2, 4, 2, recs(5, 5, 2))
    expect(seen).to.have.length(2)
  })

  it('should give two replicas of the same journals the same roots, and find the bucket where one lost a record', async () => {
    const a = await open()
    const b = await open()
    for (const [i, entity] of ['room/a', 'room/b', 'room/c', 'users/all'].entries()) {
      for (const r of [a, b]) await append(r.core, entity, 1, 0, 0, recs(1, 20 + i, 1))
    }
    const p = a.storage.partitionOf('room/b')
    expect(hex(b.storage.tree(p).root())).to.equal(hex(a.storage.tree(p).root()))
    // a record vanishes from b's disk behind the replica's back (a disk fault), then b crashes: its
    // tree, derived from its records at its next open, differs from a's in room/b's bucket only
    const key = [...(await b.storage.store.keys({ gte: 'r\x00', lte: 'r\x00\xff' }))].find((k) => k.includes('\x00room/b\x00')) as string
    await b.storage.store.write([{ type: 'del', key }])
    const b2 = await crashed(b)
    expect(b2.storage.treeBuild.from).to.equal('records')
    expect(hex(b2.storage.tree(p).root())).to.not.equal(hex(a.storage.tree(p).root()))
    const diff = await diffLeaves(a.storage.tree(p), (level, from, count) => b2.storage.tree(p).level(level, from, count), REPLICA_MERKLE_DEPTH)
    expect(diff.buckets).to.deep.equal([bucketOf('room/b', REPLICA_MERKLE_DEPTH)])
  })

  it('should keep each entity\'s span digests current on every write (appends, truncations, repairs), equal to those read from the store and to those rebuilt at the next open', async () => {
    const r = await open()
    const spans = async (storage: LevelReplicaStorage, entity: string, to: number): Promise<string[]> => (await storage.spanDigests(entity, 1, to, 16)).map(hex)
    // the same spans summed from single records' digests (read from the store)
    const read = async (storage: LevelReplicaStorage, entity: string, to: number): Promise<string[]> => {
      const single = await storage.spanDigests(entity, 1, to, 1)
      return Array.from({ length: Math.ceil(to / 16) }, (_, i) => hex(single.slice(i * 16, i * 16 + 16).reduce((x, d) => x.map((b, k) => b ^ (d[k] as number)), new Uint8Array(32))))
    }
    await append(r.core, 'room/a', 1, 0, 0, recs(1, 40, 1))
    await append(r.core, 'room/a', 1, 40, 1, recs(41, 70, 1))
    expect(await spans(r.storage, 'room/a', 70)).to.deep.equal(await read(r.storage, 'room/a', 70))
    // spans cut short of the last record read what the kept blocks cannot say
    expect(await r.storage.spanDigests('room/a', 1, 50, 16)).to.have.length(4)
    expect((await r.storage.spanDigests('room/a', 1, 50, 16)).map(hex)).to.deep.equal((await read(r.storage, 'room/a', 50)))
    expect(hex((await r.storage.spanDigests('room/a', 1, 70, 70))[0] as Uint8Array)).to.equal(hex(await r.storage.entityDigest('room/a')))
    // a newer epoch truncates 31-70 and writes 31-35 of its own
    await append(r.core, 'room/a', 2, 30, 1, recs(31, 35, 2, 'new'))
    expect(await spans(r.storage, 'room/a', 70)).to.deep.equal(await read(r.storage, 'room/a', 70))
    expect((await r.storage.loadMany(['room/a']))[0]?.summary).to.include({ head: 35, headEpoch: 2 })
    // a record's stored digest damaged behind the replica's back, the store closed cleanly: the
    // digests read at the next open are those written (the damage is not in them), until a repair
    // puts the record back (it makes them what the disk says first, then removes and puts)
    const written = await spans(r.storage, 'room/a', 35)
    const raw = await r.storage.store.getRaw(keyOf(r.storage, 'room/a', 20)) as Uint8Array
    raw[3] = (raw[3] as number) ^ 0xff
    await r.storage.store.putRawForTesting(keyOf(r.storage, 'room/a', 20), raw)
    const again = await reopen(r)
    expect(again.storage.treeBuild.from).to.equal('saved')
    expect(await spans(again.storage, 'room/a', 35)).to.deep.equal(written)
    expect(await spans(again.storage, 'room/a', 35)).to.not.deep.equal(await read(again.storage, 'room/a', 35))
    expect(await again.core.handle({ op: 'read', entity: 'room/a', from: 20, limit: 1 }).then(() => null, (e: unknown) => e)).to.have.property('name', 'CorruptRecordError')
    const peer = { promised: 2, head: 35, headEpoch: 2, segments: [[1, 1], [2, 31]] as Array<[number, number]>, snapshotSeq: 0 }
    expect(await again.core.repair('room/a', recs(20, 20, 1), peer)).to.equal(1)
    expect(await spans(again.storage, 'room/a', 35)).to.deep.equal(await read(again.storage, 'room/a', 35))
    const live = await spans(again.storage, 'room/a', 35)
    expect(await spans((await reopen(again)).storage, 'room/a', 35)).to.deep.equal(live)
  })

  it('should read the states of many entities together, each in its turn after the writes before it', async () => {
    const r = await open()
    const entities = entitiesOf(r.storage, 3, 6)
    for (const [i, entity] of entities.entries()) await append(r.core, entity, 1, 0, 0, recs(1, 10 + i, 1))
    // appends within an epoch leave the stored state as it was: the head comes from the records
    for (const entity of entities.slice(0, 3)) await append(r.core, entity, 1, 10 + entities.indexOf(entity), 1, recs(11 + entities.indexOf(entity), 30, 1))
    const again = await reopen(r)
    const before = again.storage.store.stats.reader.reads
    // an append asked before the states is in them
    const appended = again.core.handle({ op: 'append', entity: entities[5] as string, epoch: 1, activation: 'a1', prevSeq: 15, prevEpoch: 1, records: recs(16, 16, 1) })
    const states = await again.core.states([...entities, 'room/none'])
    expect((await appended).result).to.equal('ok')
    expect(states.map((s) => s.summary.head)).to.deep.equal([30, 30, 30, 13, 14, 16, 0])
    expect(states.map((s) => s.summary.headEpoch)).to.deep.equal([1, 1, 1, 1, 1, 1, 0])
    // one read of the store for the states, and one for the last records the states do not show
    expect(again.storage.store.stats.reader.reads - before).to.be.at.most(4)
    expect((await again.core.state(entities[0] as string)).summary.head).to.equal(30)
  })

  it('should record the partition count at the first start and refuse another one later', async () => {
    const d = await tempDir()
    const store = await LevelStore.open(d.path)
    try {
      expect((await LevelReplicaStorage.open(store)).partitions).to.equal(256)
      expect((await LevelReplicaStorage.open(store, 256)).partitions).to.equal(256)
      const err = await LevelReplicaStorage.open(store, 64).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'PartitionsMismatchError')
      expect((err as Error).message).to.match(/created with 256 partitions, and partitions is set to 64/)
    } finally {
      await store.close()
      await d.remove()
    }
  })
})
