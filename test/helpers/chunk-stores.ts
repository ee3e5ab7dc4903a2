import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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

/**
 * Flips one byte in the sealed body of chunk `id` in the pack files of the store in `dir`, as bit
 * rot would (its pack record: magic 4, kind 1, id 32, digest 32, length 4, header checksum 4, then
 * the sealed bytes). Whether the chunk was found there.
 */
export async function flipChunkByte (dir: string, id: string): Promise<boolean> {
  const packs = join(dir, 'packs')
  let found = false
  for (const name of await readdir(packs)) {
    const bytes = await readFile(join(packs, name))
    const at = bytes.indexOf(Buffer.from(id, 'hex'))
    if (at < 0) continue
    bytes[at - 5 + 77 + 20] ^= 0xff
    await writeFile(join(packs, name), bytes)
    found = true
  }
  return found
}
