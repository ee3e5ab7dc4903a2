import { ChunkStore } from '../../node/backup/index.ts'
import { tempDir } from './temp-dir.ts'

/**
 * Chunk stores in temp dirs for the tests of a describe: `open()` makes one (its dir and store at
 * the same index of `dirs` and `stores`); after each test every one is closed and removed.
 */
export function useChunkStores (): { readonly dirs: Array<{ path: string, remove: () => Promise<void> }>, readonly stores: ChunkStore[], open: () => Promise<ChunkStore> } {
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const stores: ChunkStore[] = []
  afterEach(async () => {
    for (const s of stores) await s.close().catch(() => undefined)
    for (const d of dirs) await d.remove()
    dirs.length = 0
    stores.length = 0
  })
  return {
    dirs,
    stores,
    async open () {
      const dir = await tempDir()
      dirs.push(dir)
      const store = await ChunkStore.open(dir.path)
      stores.push(store)
      return store
    }
  }
}
