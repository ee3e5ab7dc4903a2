import type { LevelStore } from '../../node/index.ts'
import { scanStore } from '../../node/erasure/index.ts'

/** How many values of the store hold `needle`'s UTF-8 bytes (records, snapshots, anything): what
 * an erasure must leave at zero, read straight from the store and not through any API. */
export async function storeHits (store: LevelStore, needle: string): Promise<number> {
  return (await scanStore(store, needle)).holding
}
