import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { open as openFile, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ChunkStore, MAX_STORE_IDS, ciphertextDigest } from '../../node/backup/index.ts'
import type { ChunkToStore } from '../../node/backup/index.ts'
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

/** A chunk as a holder gets it: a random id (the store never sees a key) and random sealed bytes. */
export function randomChunk (size = 1000): ChunkToStore & { sealed: Buffer } {
  const sealed = randomBytes(size)
  return { id: randomBytes(32).toString('hex'), digest: ciphertextDigest(sealed), sealed }
}

/** The pack files of the store in `dir`, in order. */
export async function packFiles (dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'packs'))).filter((n) => n.endsWith('.pack')).sort().map((n) => join(dir, 'packs', n))
}

/** Flips one bit of a file in place. */
export async function flipBit (path: string, at: number): Promise<void> {
  const handle = await openFile(path, 'r+')
  try {
    const b = Buffer.alloc(1)
    await handle.read(b, 0, 1, at)
    b[0] = (b[0] as number) ^ 0x10
    await handle.write(b, 0, 1, at)
  } finally {
    await handle.close()
  }
}

/** Every held chunk is `model`'s, and nothing else is held. */
export async function expectHolds (store: ChunkStore, model: ReadonlyMap<string, Buffer>): Promise<void> {
  expect(store.size).to.equal(model.size)
  expect(store.bytes).to.equal([...model.values()].reduce((n, b) => n + b.byteLength, 0))
  expect(store.list(undefined, MAX_STORE_IDS)).to.deep.equal([...model.keys()].sort())
  for (const [id, sealed] of model) expect((await store.get(id))?.equals(sealed), id).to.equal(true)
}
