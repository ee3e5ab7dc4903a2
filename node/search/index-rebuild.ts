import { FEED_BATCH, REBUILD_ENTITIES_PAGE, REBUILD_PAGE } from './constants.ts'
import { addRecordOps, isIndexed, noOps, opsSize } from './index-ops.ts'
import type { IndexOps, RecordLike } from './index-ops.ts'

/** What the rebuild reads: the replica store (LevelReplicaStorage's methods of these names). */
export interface RebuildSource {
  readonly partitions: number
  entitiesOfPartition (partition: number, after: string, limit: number): Promise<string[]>
  storedRecords (entity: string, from: number, limit: number): Promise<RecordLike[]>
}

export interface IndexRebuildOptions {
  readonly source: RebuildSource
  readonly apply: (ops: IndexOps) => Promise<Array<{ id: number, text: string }>>
  /** Seqs the feed changed since the rebuild began: the feed's, left to it, so that a record the
   * rebuild read before a redaction's rewrite landed never puts the old text back. */
  readonly skip?: (entity: string, seq: number) => boolean
  readonly onPut?: (rows: Array<{ id: number, text: string }>) => void
  /** After each partition: how many are done of how many, and the rows put so far. */
  readonly onProgress?: (p: { done: number, total: number, rows: number }) => void
  readonly signal?: AbortSignal
}

/** Whether the store holds a room or an agent, which a rebuild would read (a store without one
 * gives an empty index): stops at the first. */
export async function holdsIndexed (source: RebuildSource): Promise<boolean> {
  for (let p = 0; p < source.partitions; p++) {
    for (let after = ''; ;) {
      const entities = await source.entitiesOfPartition(p, after, REBUILD_ENTITIES_PAGE)
      if (entities.some((e) => isIndexed(e))) return true
      if (entities.length < REBUILD_ENTITIES_PAGE) break
      after = entities[entities.length - 1] as string
    }
  }
  return false
}

/**
 * Reads every record of every room and agent the replica store holds, partition by partition, and
 * puts what is indexable into the index in batches. The feed goes on meanwhile (see `skip`).
 */
export class IndexRebuild {
  readonly #opts: IndexRebuildOptions
  #rows = 0

  constructor (opts: IndexRebuildOptions) {
    this.#opts = opts
  }

  /** Runs to the end (or until aborted: AbortError); resolves with the rows it put. */
  async run (): Promise<{ rows: number }> {
    const { source, signal } = this.#opts
    let ops = noOps()
    for (let p = 0; p < source.partitions; p++) {
      let after = ''
      for (;;) {
        signal?.throwIfAborted()
        const entities = await source.entitiesOfPartition(p, after, REBUILD_ENTITIES_PAGE)
        for (const entity of entities) {
          if (!isIndexed(entity)) continue
          for (let from = 1; ;) {
            const records = await source.storedRecords(entity, from, REBUILD_PAGE)
            if (records.length === 0) break
            addRecordOps(ops, p, entity, records, false)
            if (opsSize(ops) >= FEED_BATCH) { await this.#send(ops); ops = noOps() }
            from = (records[records.length - 1] as RecordLike).seq + 1
            if (records.length < REBUILD_PAGE) break
          }
        }
        if (entities.length < REBUILD_ENTITIES_PAGE) break
        after = entities[entities.length - 1] as string
      }
      this.#opts.onProgress?.({ done: p + 1, total: source.partitions, rows: this.#rows })
    }
    await this.#send(ops)
    return { rows: this.#rows }
  }

  async #send (ops: IndexOps): Promise<void> {
    const skip = this.#opts.skip
    const kept: IndexOps = skip === undefined ? ops : { put: ops.put.filter((r) => !skip(r.entity, r.seq)), remove: [], redact: ops.redact, touch: ops.touch }
    if (opsSize(kept) === 0) return
    const rows = await this.#opts.apply(kept)
    this.#rows += rows.length
    if (rows.length > 0) this.#opts.onPut?.(rows)
  }
}
