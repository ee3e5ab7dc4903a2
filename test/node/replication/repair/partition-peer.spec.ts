import { expect } from 'chai'
import { REPLICA_MERKLE_DEPTH, bucketOf, replicaPeer } from '../../../../node/index.ts'
import { append, entitiesOf, hex, recs, replicaDisks } from '../fixtures/replica-disks.ts'

/** This replica's side of a peer's pass, on a real LevelDB. */
describe('replicaPeer', () => {
  const { open, cleanup } = replicaDisks()
  afterEach(cleanup)

  it('should show its tree, its buckets with each entity\'s summary and digest, its spans and its records', async () => {
    const r = await open()
    const p = 3
    const [x, y] = entitiesOf(r.storage, p, 2) as [string, string]
    await append(r.core, x, 1, 0, 0, recs(1, 8, 1))
    await append(r.core, y, 2, 0, 0, recs(1, 3, 2))
    const peer = replicaPeer(p, r.storage, r.core)
    expect((await peer.tree(0, 0, 1)).map(hex)).to.deep.equal([r.storage.rootOf(p)])
    const bucket = await peer.bucket(bucketOf(x, REPLICA_MERKLE_DEPTH))
    const entry = bucket.find((e) => e.entity === x)
    expect(entry).to.deep.include({ entity: x, promisedBy: 'a1' })
    expect(entry?.summary).to.deep.include({ head: 8, headEpoch: 1 })
    expect(hex(entry?.digest as Uint8Array)).to.equal(hex(await r.storage.entityDigest(x)))
    const [whole] = await peer.spans(x, 1, 8, 8)
    expect(hex(whole as Uint8Array)).to.equal(hex(await r.storage.entityDigest(x)))
    expect((await peer.read(y, 2, 5)).map((rec) => [rec.seq, rec.epoch])).to.deep.equal([[2, 2], [3, 2]])
    // its entities page by page, in id order
    const first = await peer.entities('', 1)
    const rest = await peer.entities(first[0]?.entity as string, 10)
    expect([...first, ...rest].map((e) => e.entity)).to.deep.equal([x, y].sort())
    expect(rest.every((e) => e.summary.head > 0)).to.equal(true)
  })
})
