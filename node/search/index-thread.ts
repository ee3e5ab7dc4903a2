import { Worker } from 'node:worker_threads'
import { rebuildError } from '../../protocols/index.ts'
import type { ErrorData } from '../../protocols/index.ts'
import { SearchIndexError } from './errors.ts'
import type { OpenVerdict } from './fts-index.ts'
import type { IndexOps } from './index-ops.ts'
import type { LocalIndexOptions, LocalResult, LocalSearch } from './local-index.ts'

/** What the index thread is asked (index-worker.ts answers). */
export type IndexThreadRequest =
  | { readonly op: 'open', readonly opts: LocalIndexOptions }
  | { readonly op: 'apply', readonly ops: IndexOps }
  | { readonly op: 'vectors', readonly ids: readonly number[], readonly vectors: readonly Float32Array[] }
  | { readonly op: 'search', readonly search: LocalSearch }
  | { readonly op: 'reset' }
  | { readonly op: 'complete', readonly complete: boolean }
  | { readonly op: 'stats' }
  | { readonly op: 'rowsAfter', readonly afterId: number, readonly limit: number }
  | { readonly op: 'touched', readonly users: readonly string[] }
  | { readonly op: 'close', readonly vectorsWhole: boolean }

export type IndexThreadReply = { readonly id: number, readonly value: unknown } | { readonly id: number, readonly err: ErrorData }

/** What opening found (fts-index.ts OpenVerdict), and whether the index says it is complete. */
export interface OpenedIndex {
  readonly verdict: OpenVerdict
  readonly complete: boolean
  readonly vectorsLoaded: boolean
}

/** Rows, bytes on disk and vectors held (`stats`). */
export interface IndexStats { readonly rows: number, readonly bytes: number, readonly vectors: number }

export interface IndexThreadOptions {
  /**
   * Ends the thread once it has been asked nothing for this long (ms) and `mayRest` agrees: the
   * index is closed cleanly, the thread's heap, SQLite's caches and the vectors are given back,
   * and the next request starts a fresh thread, which opens the same index again before it. Absent:
   * the thread runs until `close`.
   */
  readonly idleMs?: number | undefined
  /** Whether the index may be closed now (nothing on its way to it), and whether its vectors are
   * whole (`close`'s vectorsWhole); undefined: not now, asked again after another idleMs. */
  readonly mayRest?: (() => { vectorsWhole: boolean } | undefined) | undefined
  /** What opening the index again (after a rest) found; its owner decides whether it is as it was. */
  readonly onReopen?: ((opened: OpenedIndex) => void) | undefined
  /** Told each time the thread has ended to rest. */
  readonly onRest?: (() => void) | undefined
  /** No thread until the first request (`open`, or any after `openLater`). @default false */
  readonly lazy?: boolean | undefined
}

/**
 * The node's search index on its own thread: every call is a message to index-worker.ts, answered
 * in order. If the thread dies, every call in flight and every later one fails with
 * SearchIndexError (the file, not closed cleanly, is rebuilt at the next start). With `idleMs`, an
 * idle thread rests (ends) and the next call starts it again: a thread costs an idle node about
 * 20 MiB (docs/performance.md, "Idle memory").
 */
export class IndexThread {
  readonly #opts: IndexThreadOptions
  #worker: Worker | undefined
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void, reject: (err: Error) => void }>()
  #next = 1
  #dead: Error | undefined
  /** What the thread was opened with: a thread started again after a rest opens it first. */
  #openWith: LocalIndexOptions | undefined
  /** While the thread closes the index to rest; requests meanwhile wait in #backlog. */
  #resting: Promise<void> | undefined
  /** Requests for the next thread (sent once it is started, in order). */
  readonly #backlog: Array<{ id: number, req: IndexThreadRequest }> = []
  /** The index's stats as it rested (nothing changes it while no thread runs). */
  #restedStats: IndexStats | undefined
  #idle: NodeJS.Timeout | undefined
  /** Rests and starts again (after the first), for the metrics and tests. */
  readonly restarts = { rests: 0, wakes: 0 }

  constructor (opts: IndexThreadOptions = {}) {
    this.#opts = opts
    this.#worker = opts.lazy === true ? undefined : this.#spawn()
  }

  #spawn (): Worker {
    const worker = new Worker(new URL('./index-worker.ts', import.meta.url))
    worker.on('message', (reply: IndexThreadReply) => {
      const w = this.#waiting.get(reply.id)
      if (w === undefined) return
      this.#waiting.delete(reply.id)
      if ('err' in reply) w.reject(rebuildError(reply.err, undefined, 'the search index thread'))
      else w.resolve(reply.value)
      if (this.#waiting.size === 0) this.#armIdle()
    })
    // a thread ended to rest is no longer this.#worker: its exit is no failure
    worker.on('error', (err) => { if (this.#worker === worker) this.#die(new SearchIndexError(`the search index thread failed: ${err.message}`)) })
    worker.on('exit', (code) => { if (this.#worker === worker) this.#die(new SearchIndexError(`the search index thread exited (code ${code})`)) })
    return worker
  }

  #die (err: Error): void {
    this.#dead ??= err
    clearTimeout(this.#idle)
    for (const w of this.#waiting.values()) w.reject(err)
    this.#waiting.clear()
  }

  /** Requests sent and not yet answered. */
  get pending (): number { return this.#waiting.size }

  /** Whether a thread runs now (false while it rests). */
  get running (): boolean { return this.#worker !== undefined && this.#resting === undefined }

  #send<T> (req: IndexThreadRequest, worker?: Worker): Promise<T> {
    const id = this.#next++
    const answered = new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
    })
    if (worker !== undefined) worker.postMessage({ id, req })
    else this.#backlog.push({ id, req })
    return answered
  }

  async #ask<T> (req: IndexThreadRequest): Promise<T> {
    if (this.#dead !== undefined) throw this.#dead
    clearTimeout(this.#idle)
    if (req.op === 'open') this.#openWith = req.opts
    if (this.running) return await this.#send<T>(req, this.#worker)
    const answered = this.#send<T>(req)
    if (this.#resting === undefined) this.#wake()
    return await answered
  }

  /** Starts a thread again: it opens the index as before, then takes what waited, in order. */
  #wake (): void {
    if (this.#dead !== undefined) return
    const worker = this.#spawn()
    this.#worker = worker
    this.restarts.wakes++
    this.#restedStats = undefined
    // (a lazy thread's first start for `open` opens it as asked, not twice)
    if (this.#openWith !== undefined && this.#backlog[0]?.req.op !== 'open') {
      this.#send<OpenedIndex>({ op: 'open', opts: this.#openWith }, worker).then((opened) => { this.#opts.onReopen?.(opened) },
        (err: Error) => { this.#die(new SearchIndexError(`the search index could not be opened again: ${err.message}`)) })
    }
    for (const { id, req } of this.#backlog.splice(0)) worker.postMessage({ id, req })
  }

  #armIdle (): void {
    const idleMs = this.#opts.idleMs
    if (idleMs === undefined || this.#dead !== undefined || !this.running) return
    clearTimeout(this.#idle)
    this.#idle = setTimeout(() => { this.#rest() }, idleMs)
    // an idle index keeps no process alive
    this.#idle.unref()
  }

  /** Closes the index cleanly and ends the thread, when nothing is in flight and the owner agrees. */
  #rest (): void {
    const worker = this.#worker
    if (worker === undefined || !this.running || this.#waiting.size > 0 || this.#dead !== undefined || this.#openWith === undefined) return
    const may = this.#opts.mayRest?.()
    if (may === undefined) { this.#armIdle(); return }
    this.#resting = (async () => {
      const stats = await this.#send<IndexStats>({ op: 'stats' }, worker)
      await this.#send({ op: 'close', vectorsWhole: may.vectorsWhole }, worker)
      this.#restedStats = stats
      this.#worker = undefined
      this.restarts.rests++
      await worker.terminate()
      this.#opts.onRest?.()
    })().catch((err: Error) => {
      this.#die(new SearchIndexError(`the search index thread failed as it rested: ${err.message}`))
    }).finally(() => {
      this.#resting = undefined
      // what was asked meanwhile: to a fresh thread (or, the thread dead, already failed by #die)
      if (this.#dead !== undefined) this.#backlog.splice(0)
      else if (this.#backlog.length > 0) this.#wake()
    })
  }

  async open (opts: LocalIndexOptions): Promise<OpenedIndex> { return await this.#ask({ op: 'open', opts }) }
  /** A lazy thread not started: the first request starts it as after a rest (it opens the index
   * with `opts` first and tells onReopen what it found); `stats` answers these until then. */
  openLater (opts: LocalIndexOptions, stats: IndexStats): void {
    this.#openWith = opts
    this.#restedStats = stats
  }

  async apply (ops: IndexOps): Promise<Array<{ id: number, text: string }>> { return await this.#ask({ op: 'apply', ops }) }
  async addVectors (ids: readonly number[], vectors: readonly Float32Array[]): Promise<void> { await this.#ask({ op: 'vectors', ids, vectors }) }
  async search (search: LocalSearch): Promise<LocalResult> { return await this.#ask({ op: 'search', search }) }
  async reset (): Promise<void> { await this.#ask({ op: 'reset' }) }
  async setComplete (complete: boolean): Promise<void> { await this.#ask({ op: 'complete', complete }) }
  /** Rows, bytes and vectors; while the thread rests, as they were when it rested (it is not started for them). */
  async stats (): Promise<IndexStats> {
    if (this.#dead === undefined && this.#worker === undefined && this.#restedStats !== undefined) return this.#restedStats
    return await this.#ask({ op: 'stats' })
  }

  async rowsAfter (afterId: number, limit: number): Promise<Array<{ id: number, entity: string, seq: number }>> { return await this.#ask({ op: 'rowsAfter', afterId, limit }) }
  async touchedBy (users: readonly string[]): Promise<string[]> { return await this.#ask({ op: 'touched', users }) }

  /** Closes the index cleanly and ends the thread (`vectorsWhole`: LocalIndex.close). */
  async close (vectorsWhole = true): Promise<void> {
    if (this.#dead !== undefined) return
    clearTimeout(this.#idle)
    await this.#resting
    const worker = this.#worker
    if (worker === undefined || this.#dead !== undefined) {
      // resting: the index was closed cleanly as it rested
      this.#die(new SearchIndexError('the search index thread was closed'))
      return
    }
    try {
      await this.#ask({ op: 'close', vectorsWhole })
    } finally {
      await worker.terminate()
    }
  }
}
