import { expect } from 'chai'
import { createPlainCodec } from '../../../../actors/index.ts'
import { LevelReplicaStorage, LevelStore, ReplicaCore } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { append, hex, keyOf, recs, replicaDisks } from '../fixtures/replica-disks.ts'
import type { ReplicaDisk } from '../fixtures/replica-disks.ts'

const PARTITIONS = 16
const ENTITIES = ['room/a', 'room/b', 'room/c', 'room/d', 'users/all', 'agent/u1']

/** Everything a replica derives from its records: every partition's root and record count, each
 * entity's digest, span digests and the entities of its bucket. */
async function derived (r: ReplicaDisk): Promise<unknown> {
  const s = r.storage
  return {
    roots: Array.from({ length: PARTITIONS }, (_, p) => s.rootOf(p)),
    records: Array.from({ length: PARTITIONS }, (_, p) => s.tree(p).records),
    entities: await Promise.all(ENTITIES.map(async (e) => ({ digest: hex(await s.entityDigest(e)), spans: (await s.spanDigests(e, 1, 64, 16)).map(hex) })))
  }
}

/** The keys of the kept state (derived-digests.ts) in the store. */
const keptKeys = async (store: LevelStore): Promise<string[]> => await store.keys({ gte: 'm\x00derived\x00', lte: 'm\x00derived\x00\xff' })

describe('LevelReplicaStorage: the trees kept at a clean stop', () => {
  const { open, reopen, crashed, cleanup } = replicaDisks(PARTITIONS)
  afterEach(cleanup)

  const fill = async (r: ReplicaDisk): Promise<void> => {
    for (const [i, entity] of ENTITIES.entries()) await append(r.core, entity, 1, 0, 0, recs(1, 30 + i * 7, 1))
    // a newer epoch truncates one log and writes its own; another gets a snapshot
    await append(r.core, 'room/b', 2, 20, 1, recs(21, 25, 2, 'new'))
    await r.core.handle({ op: 'save-snapshot', entity: 'room/c', epoch: 1, snapshot: { seq: 30, state: { n: 30 } } })
  }

  it('should read the trees and digests as a clean close left them, drop them from the store as it opens, and derive them from the records after a crash', async () => {
    const r = await open()
    await fill(r)
    const live = await derived(r)
    const again = await reopen(r)
    expect(again.storage.treeBuild).to.include({ from: 'saved', records: (live as { records: number[] }).records.reduce((a, b) => a + b) })
    expect(await derived(again)).to.deep.equal(live)
    // only true of the store as it was at that stop: gone before anything can be written
    expect(await keptKeys(again.storage.store)).to.deep.equal([])
    // more writes, then a crash: no kept state, the trees derived from every record agree
    await append(again.core, 'room/a', 1, 30, 1, recs(31, 40, 1))
    await append(again.core, 'room/d', 3, 10, 1, recs(11, 12, 3, 'newer'))
    const grown = await derived(again)
    expect(grown).to.not.deep.equal(live)
    const after = await crashed(again)
    expect(after.storage.treeBuild.from).to.equal('records')
    expect(await derived(after)).to.deep.equal(grown)
    // and a clean close of that one keeps them again
    expect(await derived(await reopen(after))).to.deep.equal(grown)
  })

  it('should derive them from the records, saying why, when what was kept is damaged or of another version, and drop it', async () => {
    const r = await open()
    await fill(r)
    const live = await derived(r)
    const path = r.path
    const { storage } = await reopen(r)
    await storage.store.close()
    // a byte of one kept tree flipped on disk
    const raw = await LevelStore.open(path)
    const [treeKey] = (await keptKeys(raw)).filter((k) => k.includes('\x00t'))
    const bytes = await raw.getRaw(treeKey as string) as Uint8Array
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 1
    await raw.putRawForTesting(treeKey as string, bytes)
    await raw.close()
    const warned: string[] = []
    const told: string[] = []
    const log = { info: (_o: object, msg: string) => { told.push(msg) }, warn: (_o: object, msg: string) => { warned.push(msg) } }
    const damaged = await LevelStore.open(path)
    try {
      const s = await LevelReplicaStorage.open(damaged, PARTITIONS, log)
      expect(s.treeBuild.from).to.equal('records')
      expect(warned).to.have.length(1)
      expect(warned[0]).to.match(/kept at the last stop were not used \(it could not be read .*\): they are derived again from every record/)
      expect(told.at(-1)).to.match(/^the replicas' Merkle trees were derived from \d+ records in [\d.]+ s \(what the last stop kept could not be used\)$/)
      expect(await derived({ storage: s, core: new ReplicaCore(s), path })).to.deep.equal(live)
      expect(await keptKeys(damaged)).to.deep.equal([])
    } finally {
      await damaged.close()
    }
    // a marker of a version this one does not read
    const other = await LevelStore.open(path)
    await other.write([{ type: 'put', key: 'm\x00derived\x00marker', value: createPlainCodec().encode({ v: 99 }) }])
    await other.close()
    const later = await LevelStore.open(path)
    try {
      const s = await LevelReplicaStorage.open(later, PARTITIONS, log)
      expect(s.treeBuild.from).to.equal('records')
      expect(warned[1]).to.match(/it is of version 99; this one reads 1/)
      expect(await derived({ storage: s, core: new ReplicaCore(s), path })).to.deep.equal(live)
    } finally {
      await later.close()
    }
  })

  it('should put back a record lost or damaged while the node was stopped cleanly, leaving the trees equal to a replica that never lost it', async () => {
    const a = await open()
    const b = await open()
    for (const r of [a, b]) await fill(r)
    // on b's disk while it is stopped: record 12 of room/a lost, record 9 of room/b's stored digest
    // flipped; its trees, read as it left them, still count both as written
    const path = b.path
    await b.storage.store.close()
    const raw = await LevelStore.open(path)
    await raw.write([{ type: 'del', key: keyOf(b.storage, 'room/a', 12) }])
    const bytes = await raw.getRaw(keyOf(b.storage, 'room/b', 9)) as Uint8Array
    bytes[4] = (bytes[4] as number) ^ 0xff
    await raw.putRawForTesting(keyOf(b.storage, 'room/b', 9), bytes)
    await raw.close()
    const b2 = await open(path)
    expect(b2.storage.treeBuild.from).to.equal('saved')
    expect(await derived(b2)).to.deep.equal(await derived(a))
    // a repair (what scrub does once it meets them) makes each entity's part of the trees what the
    // disk says first, then puts the record back
    for (const [entity, seq] of [['room/a', 12], ['room/b', 9]] as const) {
      const summary = (await a.core.state(entity)).summary
      expect(await b2.core.repair(entity, await a.core.handle({ op: 'read', entity, from: seq, limit: 1 }), summary)).to.equal(1)
    }
    expect(await derived(b2)).to.deep.equal(await derived(a))
    expect(await derived(await crashed(b2))).to.deep.equal(await derived(a))
  })

  it('should keep nothing for a store closed before its replicas opened, and open a new store with nothing kept', async () => {
    const d = await tempDir()
    try {
      const store = await LevelStore.open(d.path)
      await store.close()
      const again = await LevelStore.open(d.path)
      expect(await keptKeys(again)).to.deep.equal([])
      const s = await LevelReplicaStorage.open(again, PARTITIONS)
      expect(s.treeBuild).to.include({ from: 'records', records: 0 })
      await again.close()
    } finally {
      await d.remove()
    }
  })
})
