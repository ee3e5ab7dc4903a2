import { describe } from '../../protocols/index.ts'
import { FEED_BATCH, FEED_FLUSH_MS, FEED_QUEUE_MAX } from './constants.ts'
import { addRecordOps, isIndexed, noOps, opsSize } from './index-ops.ts'
import type { IndexOps, IndexRow, RecordLike } from './index-ops.ts'

/** A change that landed on the replica store (LandedChange's fields the feed reads). */
export interface FeedChange {
  readonly partition: number
  readonly entity: string
  readonly removed: readonly number[]
  readonly put: readonly RecordLike[]
}

export interface SearchFeedOptions {
  /** Applies one batch in one transaction (the index thread); resolves with the rows put. */
  readonly apply: (ops: IndexOps) => Promise<Array<{ id: number, text: string }>>
  /** The rows a batch put (the embedder's queue takes them). */
  readonly onPut?: (rows: Array<{ id: number, text: string }>) => void
  /** Every change taken, as ops (a rebuild in progress skips the seqs they touch). */
  readonly onOps?: (ops: IndexOps) => void
  /** The queue passed FEED_QUEUE_MAX (or a batch failed): what it held is dropped, and the index is
   * no longer a copy of the store: it must be rebuilt. */
  readonly onLost: (why: string) => void
  /** Indexing lag of each batch: from its oldest change landing to its commit in the index (ms). */
  readonly onLag?: (ms: number) => void
  /** @default FEED_BATCH */
  readonly batch?: number
  /** @default FEED_FLUSH_MS */
  readonly flushMs?: number
  /** @default FEED_QUEUE_MAX */
  readonly queueMax?: number
}

/**
 * What follows the replica store into the index: LevelReplicaStorage.watch tells it of every change
 * that lands (take: cheap, synchronous, never throws), and it sends them to the index thread in
 * batches, one transaction at a time and in the order they landed, after at most `flushMs` or at
 * `batch` changes. Bounded: past `queueMax` changes waiting, it drops them and says the index is
 * lost (onLost), which rebuilds it.
 */
export class SearchFeed {
  readonly #opts: SearchFeedOptions
  /** Puts waiting, by entity and seq: a later put of a seq replaces an earlier one, and a removal
   * cancels it, so that a batch (removals first, then puts) ends as the changes did in order. */
  #puts = new Map<string, IndexRow>()
  #removes: Array<readonly [string, number]> = []
  #redacts: Array<readonly [string, number]> = []
  #size = 0
  #oldest = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #inFlight: Promise<void> | undefined
  #stopped = false
  readonly stats = { changes: 0, batches: 0, rowsPut: 0, lost: 0 }

  constructor (opts: SearchFeedOptions) {
    this.#opts = opts
  }

  /** Changes waiting to be sent to the index. */
  get queued (): number { return this.#size }

  /** A change that landed (the watch listener). */
  take (change: FeedChange): void {
    if (this.#stopped || !isIndexed(change.entity)) return
    const ops = noOps()
    for (const seq of change.removed) ops.remove.push([change.entity, seq])
    addRecordOps(ops, change.partition, change.entity, change.put, true)
    const n = opsSize(ops)
    if (n === 0) return
    this.stats.changes += n
    this.#opts.onOps?.(ops)
    if (this.#size === 0) this.#oldest = performance.now()
    for (const key of ops.remove) { this.#puts.delete(`${key[0]}\0${key[1]}`); this.#removes.push(key) }
    for (const key of ops.redact) { this.#puts.delete(`${key[0]}\0${key[1]}`); this.#redacts.push(key) }
    for (const row of ops.put) this.#puts.set(`${row.entity}\0${row.seq}`, row)
    this.#size += n
    if (this.#size > (this.#opts.queueMax ?? FEED_QUEUE_MAX)) {
      this.#drop(`more than ${this.#opts.queueMax ?? FEED_QUEUE_MAX} changes waited for the index thread`)
      return
    }
    this.#schedule()
  }

  #take (): IndexOps {
    const ops = { put: [...this.#puts.values()], remove: this.#removes, redact: this.#redacts }
    this.#puts = new Map()
    this.#removes = []
    this.#redacts = []
    this.#size = 0
    return ops
  }

  #drop (why: string): void {
    this.#take()
    this.stats.lost++
    this.#opts.onLost(why)
  }

  #schedule (): void {
    if (this.#inFlight !== undefined || this.#timer !== undefined) return
    const due = this.#size >= (this.#opts.batch ?? FEED_BATCH) ? 0 : this.#opts.flushMs ?? FEED_FLUSH_MS
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#flush()
    }, due)
    this.#timer.unref?.()
  }

  /** Sends what waits as one batch, one transaction. */
  #flush (): void {
    if (this.#size === 0 || this.#stopped) return
    const oldest = this.#oldest
    const n = this.#size
    const ops = this.#take()
    this.#inFlight = this.#opts.apply(ops).then((rows) => {
      this.stats.batches++
      this.stats.rowsPut += rows.length
      this.#opts.onLag?.(performance.now() - oldest)
      if (rows.length > 0) this.#opts.onPut?.(rows)
    }, (err: unknown) => {
      this.stats.lost++
      this.#opts.onLost(`a batch of ${n} changes failed in the index: ${describe(err)}`)
    }).finally(() => {
      this.#inFlight = undefined
      if (this.#size > 0) this.#schedule()
    })
  }

  /** Sends what waits now and resolves once the index took it (a test, a clean stop). */
  async drain (): Promise<void> {
    for (;;) {
      if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined }
      if (this.#inFlight !== undefined) { await this.#inFlight; continue }
      if (this.#size === 0) return
      this.#flush()
    }
  }

  /** Takes nothing more; what waits is sent first. */
  async stop (): Promise<void> {
    await this.drain()
    this.#stopped = true
  }
}
