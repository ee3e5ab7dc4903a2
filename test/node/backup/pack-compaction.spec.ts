import { expect } from 'chai'
import { CHUNK_OVERHEAD_BYTES, ChunkStore, PACK_RECORD_HEADER_BYTES } from '../../../node/backup/index.ts'
import { expectHolds, flipBit, packFiles, randomChunk as chunk } from '../../helpers/chunk-stores.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const H = PACK_RECORD_HEADER_BYTES

/** PackCompaction, through the store that runs it between its writes (ChunkStore.compact). */
describe('PackCompaction', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: ChunkStore | undefined
  beforeEach(async () => { dir = await tempDir('plexi-chunk-store-') })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  it('should free the space of removed chunks on compact, keeping every live one, across a reopen', async () => {
    const options = { packTargetBytes: 64 * 1024 }
    store = await ChunkStore.open(dir.path, options)
    const chunks = Array.from({ length: 40 }, () => chunk(8 * 1024))
    for (let i = 0; i < chunks.length; i += 4) await store.put(chunks.slice(i, i + 4))
    const live = chunks.filter((_, i) => i % 4 === 0)
    expect(await store.remove(chunks.filter((_, i) => i % 4 !== 0).map((c) => c.id))).to.equal(30)
    const before = store.stats()
    const packsBefore = (await packFiles(dir.path)).length
    // reads while packs move and are deleted: each finds its chunk where the index says
    const [{ packsRewritten, bytesFreed }, ...read] = await Promise.all([store.compact(), ...live.map(async (c) => await store!.get(c.id))])
    expect(read.map((b, i) => (b as Buffer).equals(live[i]!.sealed))).to.deep.equal(live.map(() => true))
    expect(packsRewritten).to.be.greaterThan(0)
    expect(bytesFreed).to.be.greaterThan(20 * 8 * 1024)
    const after = store.stats()
    expect(after.packBytes).to.equal(before.packBytes - bytesFreed)
    expect(after.deadBytes).to.be.lessThan(before.deadBytes)
    expect((await packFiles(dir.path)).length).to.be.lessThan(packsBefore)
    const model = new Map(live.map((c) => [c.id, c.sealed]))
    await expectHolds(store, model)
    expect(await store.compact()).to.deep.equal({ packsRewritten: 0, bytesFreed: 0 })
    await store.close()
    store = await ChunkStore.open(dir.path, options)
    await expectHolds(store, model)
  })

  it('should not bring a removed chunk back when compaction rewrites the pack of its tombstone but not of its put', async () => {
    const options = { packTargetBytes: 600 }
    store = await ChunkStore.open(dir.path, options)
    const [x, y, z, w] = [chunk(CHUNK_OVERHEAD_BYTES), chunk(400), chunk(CHUNK_OVERHEAD_BYTES), chunk(400)]
    await store.put([x!, y!, z!]) // pack 1, full; it stays mostly live
    await store.remove([x!.id]) // pack 2: x's tombstone
    await store.put([w!])
    await store.remove([w!.id]) // pack 2 now mostly dead
    const { packsRewritten } = await store.compact()
    expect(packsRewritten).to.equal(1)
    await store.close()
    store = await ChunkStore.open(dir.path, options)
    await expectHolds(store, new Map([[y!.id, y!.sealed], [z!.id, z!.sealed]]))
    // once the pack of x's put is rewritten (z copied out of it), x's tombstone is dead too
    await store.remove([y!.id])
    await store.compact()
    expect(store.stats().deadBytes).to.equal(2 * H)
    await expectHolds(store, new Map([[z!.id, z!.sealed]]))
    // and z's copy guards like any put (in this same run: a reopen would count its puts afresh):
    // its tombstone outlives a rewrite of the tombstone's pack
    const [v, u] = [chunk(400), chunk(400)]
    await store.put([v!])
    await store.remove([z!.id])
    await store.put([u!])
    await store.remove([u!.id])
    await store.compact()
    await store.close()
    store = await ChunkStore.open(dir.path, options)
    await expectHolds(store, new Map([[v!.id, v!.sealed]]))
  })

  it('should leave a pack alone when a live chunk in it is found damaged, deleting nothing of it', async () => {
    const options = { packTargetBytes: 3 * (H + 1000) }
    store = await ChunkStore.open(dir.path, options)
    const chunks = Array.from({ length: 6 }, () => chunk(1000))
    for (const c of chunks) await store.put([c])
    const [first] = await packFiles(dir.path)
    // the first pack mostly dead, and the body of its one live chunk rotted
    await store.remove([chunks[0]!.id, chunks[1]!.id])
    await flipBit(first!, 2 * (H + 1000) + H + 10)
    expect(await store.compact()).to.deep.equal({ packsRewritten: 0, bytesFreed: 0 })
    expect(await packFiles(dir.path)).to.include(first)
    expect(store.stats().damaged.map((d) => d.pack)).to.deep.equal([first])
    expect(await store.verify(chunks[2]!.id)).to.equal('damaged')
  })

  it('should drop an empty pack a crash left behind, but never the pack it writes to', async () => {
    store = await ChunkStore.open(dir.path, { packTargetBytes: 1 })
    const c = chunk(CHUNK_OVERHEAD_BYTES)
    await store.put([c])
    // the target reached: the next write starts pack 2; pack 1 holds c and stays live
    expect(await store.compact()).to.deep.equal({ packsRewritten: 0, bytesFreed: 0 })
    await store.close()
    store = undefined
    // as if a crash followed the making of a new pack at once
    const { writeFile } = await import('node:fs/promises')
    await writeFile(`${dir.path}/packs/00000002.pack`, '')
    await writeFile(`${dir.path}/packs/00000003.pack`, '')
    store = await ChunkStore.open(dir.path, { packTargetBytes: 1 })
    expect((await packFiles(dir.path)).length).to.equal(3)
    expect(await store.compact()).to.deep.equal({ packsRewritten: 1, bytesFreed: 0 })
    expect((await packFiles(dir.path)).map((p) => p.slice(-13))).to.deep.equal(['00000001.pack', '00000003.pack'])
    await expectHolds(store, new Map([[c.id, c.sealed]]))
  })
})
