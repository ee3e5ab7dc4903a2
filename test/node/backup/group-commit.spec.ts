import { expect } from 'chai'
import { mkdir } from 'node:fs/promises'
import { ChunkStore, PACK_TARGET_BYTES } from '../../../node/backup/index.ts'
import { GroupCommit } from '../../../node/backup/group-commit.ts'
import { PackCompaction } from '../../../node/backup/pack-compaction.ts'
import { PackIndex } from '../../../node/backup/pack-index.ts'
import { PackWriter } from '../../../node/backup/pack-writer.ts'
import { expectHolds, randomChunk as chunk } from '../../helpers/chunk-stores.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('GroupCommit', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: ChunkStore | undefined
  beforeEach(async () => { dir = await tempDir('plexi-chunk-store-') })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  it('should resolve concurrent puts from many callers with fewer writes than callers, every chunk readable', async () => {
    store = await ChunkStore.open(dir.path)
    const batches = Array.from({ length: 40 }, () => Array.from({ length: 3 }, () => chunk(4000)))
    const results = await Promise.all(batches.map(async (b) => await store!.put(b)))
    expect(results).to.deep.equal(batches.map(() => ({ stored: 3, had: 0 })))
    expect(store.stats().commits).to.be.lessThan(batches.length)
    const all = batches.flat()
    await expectHolds(store, new Map(all.map((c) => [c.id, c.sealed])))
    // puts and removes mixed, in arrival order
    const [r1, p1, r2] = await Promise.all([store.remove([all[0]!.id]), store.put([all[0]!]), store.remove([all[0]!.id, all[1]!.id])])
    expect([r1, p1, r2]).to.deep.equal([1, { stored: 1, had: 0 }, 2])
    expect(store.has([all[0]!.id, all[1]!.id])).to.deep.equal([false, false])
  })

  it('should fail every call of a group whose write fails, indexing nothing of it, and refuse later writes', async () => {
    // the parts a store is made of, over a real directory: its current pack's file closed under it
    const index = new PackIndex()
    const writer = new PackWriter(dir.path, PACK_TARGET_BYTES, index)
    await mkdir(writer.packsDir, { recursive: true })
    await writer.newPack(1)
    const commits = new GroupCommit(index, writer, new PackCompaction(index, writer))
    const kept = chunk(1000)
    expect(await commits.put([kept], kept.sealed.byteLength)).to.deep.equal({ stored: 1, had: 0 })
    await writer.close()
    const [a, b] = [chunk(1000), chunk(1000)]
    const results = await Promise.allSettled([commits.put([a], 1000), commits.remove([kept.id]), commits.put([b], 1000)])
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'rejected'])
    expect(results.map((r) => (r as PromiseRejectedResult).reason.name)).to.deep.equal(['ChunkStoreBrokenError', 'ChunkStoreBrokenError', 'ChunkStoreBrokenError'])
    expect([index.has(a.id), index.has(b.id), index.has(kept.id)]).to.deep.equal([false, false, true])
    expect(writer.commits).to.equal(1)
    expect((await rejection(async () => await commits.put([a], 1000))).name).to.equal('ChunkStoreBrokenError')
    await commits.drained()
  })
})
