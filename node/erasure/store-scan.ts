/** What a store scan is handed: the node's LevelDB (LevelStore.rawBatches). */
export interface ScannableStore {
  rawBatches (options: { gte: string, lte: string, batch?: number }): AsyncGenerator<Array<[string, Uint8Array]>>
}

/** Longest text a scan looks for (a post's text at most; longer is no user's doing). */
export const MAX_SCAN_TEXT_BYTES = 4_096

/**
 * Reads every value of the node's store (records, snapshots, states: everything) for the UTF-8
 * bytes of `text`, straight from LevelDB and not through any entity: how an operator, or a bench,
 * proves that an erased user's text is on no replica. Returns the values holding it and the
 * values read.
 */
export async function scanStore (store: ScannableStore, text: string): Promise<{ holding: number, scanned: number }> {
  const needle = Buffer.from(text, 'utf8')
  let holding = 0
  let scanned = 0
  for await (const batch of store.rawBatches({ gte: '', lte: '\xff\xff\xff\xff', batch: 1_000 })) {
    for (const [key, value] of batch) {
      scanned++
      if (Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(needle) || key.includes(text)) holding++
    }
  }
  return { holding, scanned }
}
