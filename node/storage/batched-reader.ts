import { READ_STEP_BYTES, RUN_SPREAD } from './constants.ts'
import { StoreClosedError } from './errors.ts'
import type { ClassicLevel } from 'classic-level'

/** Counters for metrics. */
export interface ReaderStats {
  /** Gathered reads, each of the keys asked in one turn. */
  reads: number
  keys: number
}

interface Waiting {
  readonly keys: readonly string[]
  resolve (values: Array<Uint8Array | undefined>): void
  reject (err: unknown): void
}

/**
 * Point reads gathered: the keys asked in one turn of the event loop are read together, in key
 * order, as ranges: keys of the same prefix (up to their last `\0`: an entity's records, a
 * partition's states) one range read each, side by side. Anti-entropy works on many entities at
 * once, each asking for a few keys (a state, a block of records, the record to put back).
 *
 * Ranges, not LevelDB's point reads: a point read charges a seek to the first file it probes when
 * it must probe more than one (as every read does over the young, overlapping files of a store
 * just opened), and a hundred charges set off a compaction of that file and those under it, which
 * a replica that restarted pays on its first reads: most of the CPU a repair pass spent (measured
 * in docs/performance.md). A range read charges none, and reads a run of neighbours in one step.
 */
export class BatchedReader {
  readonly stats: ReaderStats = { reads: 0, keys: 0 }
  readonly #db: ClassicLevel<string, Uint8Array>
  #queue: Waiting[] = []
  #reading = 0
  #closed = false
  #idle: Array<() => void> = []

  constructor (db: ClassicLevel<string, Uint8Array>) {
    this.#db = db
  }

  /** The values under `keys`, as stored (undefined where none), views LevelDB handed over. */
  getMany (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (this.#closed) return Promise.reject(new StoreClosedError())
    if (keys.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.#queue.push({ keys, resolve, reject })
      // after this turn's reads (and the promises they settle) have joined
      if (this.#queue.length === 1) setImmediate(() => { void this.#flush() })
    })
  }

  async #flush (): Promise<void> {
    const batch = this.#queue
    this.#queue = []
    this.#reading++
    try {
      const keys = batch.flatMap((w) => w.keys)
      this.stats.reads++
      this.stats.keys += keys.length
      const values = await this.#read(keys)
      let at = 0
      for (const w of batch) {
        w.resolve(values.slice(at, at + w.keys.length))
        at += w.keys.length
      }
    } catch (err) {
      for (const w of batch) w.reject(err)
    } finally {
      this.#reading--
      if (this.#reading === 0 && this.#queue.length === 0) for (const wake of this.#idle.splice(0)) wake()
    }
  }

  async #read (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    const sorted = keys.map((key, i) => ({ key, i })).sort((x, y) => x.key < y.key ? -1 : x.key > y.key ? 1 : 0)
    const runs: Array<Array<{ key: string, i: number }>> = []
    let prefix: string | undefined
    for (const k of sorted) {
      const p = k.key.slice(0, k.key.lastIndexOf('\x00') + 1)
      if (p === prefix) (runs[runs.length - 1] as Array<{ key: string, i: number }>).push(k)
      else runs.push([k])
      prefix = p
    }
    const out: Array<Uint8Array | undefined> = new Array(keys.length).fill(undefined)
    const unreached: Array<{ key: string, i: number }> = []
    await Promise.all(runs.map(async (run) => {
      const first = (run[0] as { key: string }).key
      const last = (run[run.length - 1] as { key: string }).key
      const limit = run.length === 1 ? 1 : run.length * RUN_SPREAD
      const iterator = this.#db.iterator({ gte: first, lte: last, limit, highWaterMarkBytes: READ_STEP_BYTES })
      const found = new Map<string, Uint8Array>()
      let read = 0
      let end = first
      try {
        for (;;) {
          const entries = await iterator.nextv(Math.min(limit - read, 1_000))
          if (entries.length === 0) break
          for (const [key, value] of entries) found.set(key, value)
          read += entries.length
          end = (entries[entries.length - 1] as [string, Uint8Array])[0]
          if (read >= limit) break
        }
      } finally {
        await iterator.close()
      }
      for (const k of run) {
        // past where a run cut short by its limit stopped: read by key
        if (read >= limit && k.key > end) unreached.push(k)
        else out[k.i] = found.get(k.key)
      }
    }))
    if (unreached.length > 0) {
      const values = await this.#db.getMany(unreached.map((k) => k.key))
      unreached.forEach((k, n) => { out[k.i] = values[n] })
    }
    return out
  }

  /** Refuses new reads and resolves when every accepted one has settled. */
  close (): Promise<void> {
    this.#closed = true
    if (this.#reading === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => { this.#idle.push(resolve) })
  }
}
