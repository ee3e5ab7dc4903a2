import { MAX_BATCH_OPS } from './constants.ts'
import { StoreClosedError } from './errors.ts'
import type { ClassicLevel } from 'classic-level'

export type PutOp = { readonly type: 'put', readonly key: string, readonly value: Uint8Array }
export type DelOp = { readonly type: 'del', readonly key: string }
export type WriteOp = PutOp | DelOp

interface Waiting {
  readonly ops: readonly WriteOp[]
  /** Runs when the batch landed, just before the write resolves (no extra turn). */
  readonly landed: (() => void) | undefined
  /** Its batch is fsynced whatever the writer's setting. */
  readonly sync: boolean
  resolve (): void
  reject (err: unknown): void
}

/**
 * Group commit: writes that arrive while a batch is on its way to disk wait and go together in
 * the next batch, so one fsync serves many appends. Writes land in arrival order; each resolves
 * only when its batch is on disk.
 */
/** Counters for metrics. */
export interface WriterStats {
  batches: number
  operations: number
  bytes: number
}

export class GroupCommitWriter {
  readonly stats: WriterStats = { batches: 0, operations: 0, bytes: 0 }
  readonly #db: ClassicLevel<string, Uint8Array>
  readonly #sync: boolean
  #queue: Waiting[] = []
  #flushing = false
  #closed = false
  #idle: Array<() => void> = []
  #failNext: Error | undefined
  #failAll: Error | undefined

  constructor (db: ClassicLevel<string, Uint8Array>, sync: boolean) {
    this.#db = db
    this.#sync = sync
  }

  /** `sync`: this write's batch is fsynced even when the writer's batches are not. */
  write (ops: readonly WriteOp[], landed?: () => void, sync = false): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreClosedError())
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, landed, sync, resolve, reject })
      if (!this.#flushing) {
        this.#flushing = true
        // let the writes of this turn join the first batch
        queueMicrotask(() => { void this.#flush() })
      }
    })
  }

  async #flush (): Promise<void> {
    while (this.#queue.length > 0) {
      const ops: WriteOp[] = []
      let taken = 0
      for (const next of this.#queue) {
        if (ops.length > 0 && ops.length + next.ops.length > MAX_BATCH_OPS) break
        taken++
        for (const op of next.ops) ops.push(op)
      }
      const batch = this.#queue.splice(0, taken)
      try {
        const failure = this.#failNext ?? this.#failAll
        this.#failNext = undefined
        if (failure !== undefined) throw failure
        await this.#db.batch(ops, { sync: this.#sync || batch.some((w) => w.sync) })
        this.stats.batches++
        this.stats.operations += ops.length
        for (const op of ops) if (op.type === 'put') this.stats.bytes += op.value.byteLength
        for (const waiting of batch) {
          // a hook that throws (a bug) must not keep the write, which landed, from resolving
          try {
            waiting.landed?.()
          } catch (err) {
            process.emitWarning(`a hook of a landed write threw: ${err instanceof Error ? err.message : String(err)}`, { code: 'PLEXI_LANDED_HOOK', detail: err instanceof Error ? err.stack : undefined })
          }
          waiting.resolve()
        }
      } catch (err) {
        for (const waiting of batch) waiting.reject(err)
      }
    }
    this.#flushing = false
    const idle = this.#idle
    this.#idle = []
    for (const wake of idle) wake()
  }

  /** The next batch fails with `err` instead of reaching LevelDB, every write in it rejected, as a
   * failing disk fails one (tests and fault drills). */
  failNext (err: Error): void { this.#failNext = err }

  /** Every batch fails with `err` until called with undefined (a disk that stays full). */
  failAll (err: Error | undefined): void { this.#failAll = err }

  /** Resolves when every write accepted so far has settled. */
  settled (): Promise<void> {
    if (!this.#flushing) return Promise.resolve()
    return new Promise((resolve) => { this.#idle.push(resolve) })
  }

  /** Refuses new writes and resolves when every accepted write has settled. */
  close (): Promise<void> {
    this.#closed = true
    return this.settled()
  }
}
