import type { LevelStore } from '../../node/index.ts'

/** How many values of the store hold `needle`'s UTF-8 bytes (records, snapshots, anything): what
 * an erasure must leave at zero, read straight from the store and not through any API. */
export async function storeHits (store: LevelStore, needle: string): Promise<number> {
  const bytes = Buffer.from(needle, 'utf8')
  let hits = 0
  for await (const batch of store.rawBatches({ gte: '', lte: '\xff\xff\xff\xff', batch: 1_000 })) {
    for (const [key, value] of batch) if (Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(bytes) || key.includes(needle)) hits++
  }
  return hits
}
