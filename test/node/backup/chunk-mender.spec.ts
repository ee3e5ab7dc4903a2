import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { BackupKey, ciphertextDigest, holderAt, sealChunk } from '../../../node/backup/index.ts'
import type { ManifestChunk } from '../../../node/backup/index.ts'
import { ChunkMender } from '../../../node/backup/chunk-mender.ts'
import { HolderSet } from '../../../node/backup/holder-set.ts'
import { useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { BackupCluster } from '../../helpers/backup-cluster.ts'
import { flipChunkByte } from '../../helpers/chunk-stores.ts'

const key = new BackupKey(Buffer.alloc(32, 5))

describe('ChunkMender', function () {
  this.timeout(120_000)
  const { cluster, dirs } = useBackupCluster()

  /** A chunk put on the holders that should keep it (the first two of its ranking). */
  async function stored (c: BackupCluster): Promise<{ chunk: ManifestChunk, set: HolderSet, ranked: string[] }> {
    const plain = randomBytes(3_000)
    const id = key.chunkId(plain)
    const sealed = sealChunk(key, id, plain)
    const set = new HolderSet(c.options)
    const ranked = set.rank(id)
    for (const node of ranked) await set.client(node).put([{ id, digest: ciphertextDigest(sealed), sealed }])
    return { chunk: { id, size: sealed.byteLength, digest: ciphertextDigest(sealed) }, set, ranked }
  }

  it('should find every copy whole and change nothing', async () => {
    const c = await cluster()
    const { chunk, set } = await stored(c)
    expect(await new ChunkMender(set).check(chunk)).to.deep.equal({ found: [], unmended: false, repaired: 0 })
  })

  it('should put back a copy a holder lost, and one whose bytes rotted, from a whole one', async () => {
    const c = await cluster()
    const { chunk, set, ranked } = await stored(c)
    const [first, second] = ranked as [string, string]
    await set.client(second).remove([chunk.id])
    const result = await new ChunkMender(set).check(chunk)
    expect(result).to.deep.include({ unmended: false, repaired: 1 })
    expect(result.found).to.deep.equal([`${second}: missing; put back from ${first}`])
    expect(await set.client(second).has([chunk.id])).to.deep.equal([true])
    // rot on the other holder (whose pack holds its one record of the chunk): whether it is read
    // here or challenged, its copy gives itself away
    const index = c.nodes.findIndex((n) => n.id === first)
    expect(await flipChunkByte(dirs[index]?.path as string, chunk.id)).to.equal(true)
    expect(await holderAt(c.nodes[0]!.system, first).check([{ id: chunk.id, digest: chunk.digest }])).to.deep.equal(['damaged'])
    const again = await new ChunkMender(set).check(chunk)
    expect(again.repaired).to.equal(1)
    expect(again.found[0]).to.match(new RegExp(`^${first}: damaged .*; put back from ${second}$`))
    expect(await holderAt(c.nodes[0]!.system, first).check([{ id: chunk.id, digest: chunk.digest }])).to.deep.equal(['ok'])
  })

  it('should say a chunk is lost when no holder keeps it whole, and leave an unreachable holder unmended', async () => {
    const c = await cluster()
    const { chunk, set, ranked } = await stored(c)
    for (const node of ranked) await set.client(node).remove([chunk.id])
    const lost = await new ChunkMender(set).check(chunk)
    expect(lost).to.deep.include({ unmended: true, repaired: 0 })
    expect(lost.found[0]).to.match(/^no whole copy on any holder: lost/)
    // given a whole copy, a holder that cannot be reached stays as it is
    const mended = await new ChunkMender(set).mend(chunk, [{ node: 'unreachable-node', why: 'unreachable (timeout)', mendable: false, damaged: false }], undefined, [])
    expect(mended).to.deep.equal({ found: ['no whole copy on any holder: lost (unreachable-node: unreachable (timeout))'], unmended: true, repaired: 0 })
  })
})
