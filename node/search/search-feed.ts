import { describe } from '../../protocols/index.ts'
import { BULK_QUIET_MS, FEED_BATCH, FEED_FLUSH_MS, FEED_QUEUE_MAX } from './constants.ts'
import { addRecordOps, addTouches, isIndexed, noOps, opsSize } from './index-ops.ts'
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
  /** Reads an entity's records from the store as they are now (LevelReplicaStorage.storedRecords):
   * where given, imported posts are indexed behind the live ones (see SearchFeed). */
  readonly readStored?: (entity: string, from: number, limit: number) => Promise<RecordLike[]>
  /** How long no imported post must land before those waiting are indexed (ms). @default BULK_QUIET_MS */
  readonly bulkQuietMs?: number
}

/** Where an entity's imported posts wait to be indexed: seqs `from` to `to` of its partition. */
interface Behind { partition: number, from: number, to: number }

/** Whether a change is imported posts alone, appended (a bulk load: plexi-export/1 imports of a
 * room or an agent conversation): no removal, every record an import's, none of them a redaction's
 * rewrite (an erased imported post keeps its `importedFrom`: its rewrite must take its text out of
 * the index now, not once imports pause; a full bench run found such a text still in a node's
 * file after the erasure, on the replica the rewrite reached before the redactions). */
function isBulk (change: FeedChange): boolean {
  if (change.removed.length > 0 || change.put.length === 0) return false
  for (const r of change.put) {
    const e = r.event as { importedFrom?: unknown, type?: unknown, redacted?: unknown, text?: unknown } | null
    if (e === null || typeof e !== 'object' || (e.importedFrom === undefined && e.type !== 'turns-imported')) return false
    if (e.redacted !== undefined || e.text === '') return false
  }
  return true
}

/**
 * What follows the replica store into the index: LevelReplicaStorage.watch tells it of every change
 * that lands (take: cheap, synchronous, never throws), and it sends them to the index thread in
 * batches, one transaction at a time and in the order they landed, after at most `flushMs` or at
 * `batch` changes. Bounded: past `queueMax` changes waiting, it drops them and says the index is
 * lost (onLost), which rebuilds it.
 *
 * Imported posts (with `readStored`) are indexed behind the live ones, as a search engine takes a
 * bulk load: the feed keeps only which seqs of which entity wait (never their text), and once no
 * import has landed for `bulkQuietMs` (and nothing live waits) it reads them back from the store a
 * page at a time, as they are then (a redaction or a trim since is already there), one batch in
 * flight like any other. An import of any size so holds no memory here and does not share the
 * cores with its own indexing while it runs; its posts are found once it paused.
 */
export class SearchFeed {
  readonly #opts: SearchFeedOptions
  /** Puts waiting, by entity and seq: a later put of a seq replaces an earlier one, and a removal
   * cancels it, so that a batch (removals first, then puts) ends as the changes did in order. */
  #puts = new Map<string, IndexRow>()
  #removes: Array<readonly [string, number]> = []
  #redacts: Array<readonly [string, number]> = []
  /** Who rooms' records name, by entity and user (each pair once a batch). */
  #touches = new Map<string, readonly [string, string, number]>()
  #size = 0
  /** Changes queued so far, and those a batch has taken to the index (or failed to): a barrier
   * waits for the second to reach the first. */
  #queuedCount = 0
  #doneCount = 0
  #batchCount = 0
  #oldest = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #inFlight: Promise<void> | undefined
  #stopped = false
  /** Imported posts waiting, by entity (in the order they came). */
  readonly #behind = new Map<string, Behind>()
  #behindRecords = 0
  #lastBulk = 0
  #bulkTimer: ReturnType<typeof setTimeout> | undefined
  readonly stats = { changes: 0, batches: 0, rowsPut: 0, lost: 0, deferred: 0, caughtUp: 0 }

  constructor (opts: SearchFeedOptions) {
    this.#opts = opts
  }

  /** Changes waiting to be sent to the index. */
  get queued (): number { return this.#size }

  /** Whether anything waits to be sent: changes, or only who rooms' records name. */
  get #waiting (): boolean { return this.#size > 0 || this.#touches.size > 0 }

  /** Imported posts waiting to be read back and indexed (at most: a page may hold fewer). */
  get behind (): number { return this.#behindRecords }

  /** A change that landed (the watch listener). */
  take (change: FeedChange): void {
    if (this.#stopped || !isIndexed(change.entity)) return
    const ops = noOps()
    if (this.#opts.readStored !== undefined && isBulk(change)) {
      this.#defer(change)
      // who the imported posts name is noted now (an erasure must find them before they are indexed)
      addTouches(ops, change.partition, change.entity, change.put)
    } else {
      for (const seq of change.removed) ops.remove.push([change.entity, seq])
      addRecordOps(ops, change.partition, change.entity, change.put, true)
    }
    this.#queue(ops)
  }

  /** Queues ops for the next batch. */
  #queue (ops: IndexOps): void {
    const n = opsSize(ops)
    if (n === 0) return
    this.stats.changes += n - ops.touch.length
    this.#opts.onOps?.(ops)
    if (this.#size === 0 && this.#touches.size === 0) this.#oldest = performance.now()
    for (const key of ops.remove) { this.#puts.delete(`${key[0]}\0${key[1]}`); this.#removes.push(key) }
    for (const key of ops.redact) { this.#puts.delete(`${key[0]}\0${key[1]}`); this.#redacts.push(key) }
    for (const row of ops.put) this.#puts.set(`${row.entity}\0${row.seq}`, row)
    for (const t of ops.touch) this.#touches.set(`${t[0]}\0${t[1]}`, t)
    this.#size += n - ops.touch.length
    this.#queuedCount++
    if (this.#size > (this.#opts.queueMax ?? FEED_QUEUE_MAX)) {
      this.#drop(`more than ${this.#opts.queueMax ?? FEED_QUEUE_MAX} changes waited for the index thread`)
      return
    }
    this.#schedule()
  }

  #defer (change: FeedChange): void {
    let min = Infinity
    let max = 0
    for (const r of change.put) { min = Math.min(min, r.seq); max = Math.max(max, r.seq) }
    const b = this.#behind.get(change.entity)
    if (b === undefined) this.#behind.set(change.entity, { partition: change.partition, from: min, to: max })
    else { b.from = Math.min(b.from, min); b.to = Math.max(b.to, max) }
    this.#behindRecords += change.put.length
    this.stats.deferred += change.put.length
    this.#lastBulk = performance.now()
    this.#scheduleBulk()
  }

  /** Reads back and indexes what imports left waiting, once they paused and nothing live waits. */
  #scheduleBulk (): void {
    if (this.#bulkTimer !== undefined || this.#inFlight !== undefined || this.#behind.size === 0 || this.#stopped) return
    const quiet = this.#opts.bulkQuietMs ?? BULK_QUIET_MS
    const due = Math.max(0, quiet - (performance.now() - this.#lastBulk))
    this.#bulkTimer = setTimeout(() => {
      this.#bulkTimer = undefined
      if (this.#inFlight !== undefined || this.#waiting) return
      if (performance.now() - this.#lastBulk < quiet) this.#scheduleBulk()
      else this.#bulkPage()
    }, due)
    this.#bulkTimer.unref?.()
  }

  /** One page of an entity's waiting imported posts, read from the store and sent as one batch. */
  #bulkPage (): void {
    const read = this.#opts.readStored
    const next = this.#behind.entries().next()
    if (read === undefined || next.done === true || this.#stopped) return
    const [entity, b] = next.value
    const batch = this.#opts.batch ?? FEED_BATCH
    const from = b.from
    const limit = Math.min(batch, b.to - from + 1)
    this.#inFlight = (async () => {
      const records = (await read(entity, from, limit)).filter((r) => r.seq <= b.to)
      // (b.to may have grown meanwhile: the next page takes the rest)
      const done = records.length === 0 ? from + limit - 1 : Math.max(from + limit - 1, (records[records.length - 1] as RecordLike).seq)
      if (done >= b.to) this.#behind.delete(entity)
      else b.from = done + 1
      this.#behindRecords = Math.max(0, this.#behindRecords - (done - from + 1))
      const ops = noOps()
      addRecordOps(ops, b.partition, entity, records, true)
      if (opsSize(ops) === 0) return
      this.#opts.onOps?.(ops)
      const rows = await this.#opts.apply(ops)
      this.stats.batches++
      this.stats.caughtUp += records.length
      this.stats.rowsPut += rows.length
      if (rows.length > 0) this.#opts.onPut?.(rows)
    })().catch((err: unknown) => {
      this.stats.lost++
      this.#opts.onLost(`imported posts of ${entity} could not be indexed: ${describe(err)}`)
    }).finally(() => {
      this.#inFlight = undefined
      if (this.#waiting) this.#schedule()
      else this.#scheduleBulk()
    })
  }

  #take (): IndexOps {
    const ops = { put: [...this.#puts.values()], remove: this.#removes, redact: this.#redacts, touch: [...this.#touches.values()] }
    this.#puts = new Map()
    this.#removes = []
    this.#redacts = []
    this.#touches = new Map()
    this.#size = 0
    this.#batchCount = this.#queuedCount
    return ops
  }

  #drop (why: string): void {
    this.#take()
    this.#doneCount = this.#batchCount
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
    if (!this.#waiting || this.#stopped) return
    const oldest = this.#oldest
    const n = this.#size
    const ops = this.#take()
    const upTo = this.#batchCount
    this.#inFlight = this.#opts.apply(ops).finally(() => { this.#doneCount = upTo }).then((rows) => {
      this.stats.batches++
      this.stats.rowsPut += rows.length
      this.#opts.onLag?.(performance.now() - oldest)
      if (rows.length > 0) this.#opts.onPut?.(rows)
    }, (err: unknown) => {
      this.stats.lost++
      this.#opts.onLost(`a batch of ${n} changes failed in the index: ${describe(err)}`)
    }).finally(() => {
      this.#inFlight = undefined
      if (this.#waiting) this.#schedule()
      else this.#scheduleBulk()
    })
  }

  /** Sends what waits now, imported posts included, and resolves once the index took it (a test, a
   * clean stop, a search that must see everything). */
  async drain (options: { readonly imported?: boolean } = {}): Promise<void> {
    const imported = options.imported !== false
    for (;;) {
      if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined }
      if (this.#bulkTimer !== undefined) { clearTimeout(this.#bulkTimer); this.#bulkTimer = undefined }
      if (this.#inFlight !== undefined) { await this.#inFlight; continue }
      if (this.#waiting) { this.#flush(); continue }
      if (imported && this.#behind.size > 0 && this.#opts.readStored !== undefined && !this.#stopped) { this.#bulkPage(); continue }
      return
    }
  }

  /** Resolves once every live change taken before the call reached the index (or its batch
   * failed: the index then says it is not complete), without waiting for imported posts to be
   * indexed or for changes taken later (a busy feed never keeps it waiting on what came after). */
  async barrier (): Promise<void> {
    const target = this.#queuedCount
    while (this.#doneCount < target && !this.#stopped) {
      if (this.#inFlight !== undefined) { await this.#inFlight; continue }
      if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined }
      if (!this.#waiting) return
      this.#flush()
    }
  }

  /** Takes nothing more; the live changes that wait are sent first, imported posts still waiting
   * are not (a stop must not index a bulk load: `behind` says how many, and the index's owner marks
   * the file incomplete so that the next start rebuilds it). */
  async stop (): Promise<void> {
    await this.drain({ imported: false })
    this.#stopped = true
    if (this.#bulkTimer !== undefined) { clearTimeout(this.#bulkTimer); this.#bulkTimer = undefined }
  }
}
