import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { BackupKey, ciphertextDigest, holderAt, sealChunk } from '../../../node/backup/index.ts'
import { HolderSet } from '../../../node/backup/holder-set.ts'
import { rendezvousRanking } from '../../../node/mesh/index.ts'
import { useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'

const key = new BackupKey(Buffer.alloc(32, 3))

function sealed (): { id: string, digest: string, sealed: Uint8Array } {
  const plain = randomBytes(2_000)
  const id = key.chunkId(plain)
  const bytes = sealChunk(key, id, plain)
  return { id, digest: ciphertextDigest(bytes), sealed: bytes }
}

describe('HolderSet', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should rank a chunk\'s holders as rendezvous hashing does, `copies` of them while enough hold the role', async () => {
    const { options, holders } = await cluster()
    const set = new HolderSet(options)
    const id = 'c'.repeat(64)
    expect(set.rank(id)).to.deep.equal(rendezvousRanking(`chunk/${id}`, options.holders(), 2))
    expect([set.copies(), set.all().length, set.empty]).to.deep.equal([2, 3, false])
    const [first] = [...holders]
    holders.clear()
    holders.add(first as string)
    expect([set.copies(), set.rank(id)]).to.deep.equal([1, [first]])
    holders.clear()
    expect([set.copies(), set.empty]).to.deep.equal([1, true])
  })

  it('should put this node first among the nodes it is given', async () => {
    const { options } = await cluster()
    const set = new HolderSet(options)
    expect(set.localFirst(['x', options.self, 'y'])).to.deep.equal([options.self, 'x', 'y'])
    expect(set.localFirst(['x', 'y'])).to.deep.equal(['x', 'y'])
  })

  it('should fetch a blob from the first holder that serves it whole, passing over one missing or damaged, and drop it from those that took it', async () => {
    const { nodes, options } = await cluster()
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const set = new HolderSet(options)
    const blob = sealed()
    await holderAt(a.system, c.id).put([blob])
    // named on b (which lacks it), then found on c
    expect(Buffer.from(await set.fetch(blob.id, blob.digest, [b.id, c.id])).equals(Buffer.from(blob.sealed))).to.equal(true)
    // a digest it does not hash to: no holder serves it whole
    const err = await rejection(async () => await set.fetch(blob.id, 'f'.repeat(64), [b.id, c.id]))
    expect(err.name).to.equal('BackupHolderError')
    expect(err.message).to.include(`${c.id}: damaged`).and.include(`${b.id}: missing`)
    await set.drop({ digest: blob.id, bytes: blob.sealed.byteLength, holders: [c.id, 'a-node-that-is-gone'] })
    expect(await holderAt(a.system, c.id).has([blob.id])).to.deep.equal([false])
    expect(set.client(b.id).node).to.equal(b.id)
  })
})
