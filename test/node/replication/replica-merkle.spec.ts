import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicaCore, diffLeaves, bucketOf, REPLICA_MERKLE_DEPTH } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const recs = (from: number, to: number, epoch: number, tag = ''): Array<{ seq: number, epoch: number, event: unknown }> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, epoch, event: { n: from + i, tag } }))

describe('Merkle trees of a replica on LevelDB', () => {
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
    for (const d of dirs.splice(0)) await d.remove()
  })
  const open = async (path?: string): Promise<{ storage: LevelReplicaStorage, core: ReplicaCore, path: string }> => {
    let dir = path
    if (dir === undefined) {
      const d = await tempDir()
      dirs.push(d)
      dir = d.path
    }
    const store = await LevelStore.open(dir)
    stores.push(store)
    const storage = await LevelReplicaStorage.open(store, 16)
    return { storage, core: new ReplicaCore(storage), path: dir }
  }
  const reopen = async (r: { path: string }): Promise<{ storage: LevelReplicaStorage, core: ReplicaCore, path: string }> => {
    await (stores.pop() as LevelStore).close()
    return await open(r.path)
  }
  const append = async (core: ReplicaCore, entity: string, epoch: number, prevSeq: number, prevEpoch: number, records: Array<{ seq: number, epoch: number, event: unknown }>): Promise<void> => {
    const reply = await core.handle({ op: 'append', entity, epoch, activation: `a${epoch}`, prevSeq, prevEpoch, records })
    expect(reply.result).to.equal('ok')
  }

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

  it('should give two replicas of the same journals the same roots, and find the bucket where one lost a record', async () => {
    const a = await open()
    const b = await open()
    for (const [i, entity] of ['room/a', 'room/b', 'room/c', 'users/all'].entries()) {
      for (const r of [a, b]) await append(r.core, entity, 1, 0, 0, recs(1, 20 + i, 1))
    }
    const p = a.storage.partitionOf('room/b')
    expect(hex(b.storage.tree(p).root())).to.equal(hex(a.storage.tree(p).root()))
    // a record vanishes from b's disk behind the replica's back (a disk fault): b's tree, rebuilt
    // at its next open, differs from a's in room/b's bucket only
    const key = [...(await b.storage.store.keys({ gte: 'r\x00', lte: 'r\x00\xff' }))].find((k) => k.includes('\x00room/b\x00')) as string
    await b.storage.store.write([{ type: 'del', key }])
    const b2 = await reopen(b)
    expect(hex(b2.storage.tree(p).root())).to.not.equal(hex(a.storage.tree(p).root()))
    const diff = await diffLeaves(a.storage.tree(p), (level, from, count) => b2.storage.tree(p).level(level, from, count), REPLICA_MERKLE_DEPTH)
    expect(diff.buckets).to.deep.equal([bucketOf('room/b', REPLICA_MERKLE_DEPTH)])
  })
})
