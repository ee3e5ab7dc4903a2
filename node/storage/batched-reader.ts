import { StoreClosedError } from './errors.ts'
import type { ClassicLevel } from 'classic-level'

/** Counters for metrics. */
export interface ReaderStats {
  /** LevelDB reads (getMany calls), each of the keys asked in one turn. */
  reads: number
  keys: number
}

interface Waiting {
  readonly keys: readonly string[]
  resolve (values: Array<Uint8Array | undefined>): void
  reject (err: unknown): void
}

/**
 * Point reads gathered: the reads of many keys asked in one turn of the event loop go to LevelDB
 * as one `getMany` (one native call, one trip to the thread pool) rather than one each. Anti-
 * entropy works on many entities side by side, each asking for a few keys (a state, a block of
 * records, the record to put back): a few microseconds a key together, tens apart.
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
      const values = await this.#db.getMany(keys)
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

  /** Refuses new reads and resolves when every accepted one has settled. */
  close (): Promise<void> {
    this.#closed = true
    if (this.#reading === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => { this.#idle.push(resolve) })
  }
}
