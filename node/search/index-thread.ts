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

/**
 * The node's search index on its own thread: every call is a message to index-worker.ts, answered
 * in order. If the thread dies, every call in flight and every later one fails with
 * SearchIndexError (the file, not closed cleanly, is rebuilt at the next start).
 */
export class IndexThread {
  readonly #worker: Worker
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void, reject: (err: Error) => void }>()
  #next = 1
  #dead: Error | undefined

  constructor () {
    this.#worker = new Worker(new URL('./index-worker.ts', import.meta.url))
    this.#worker.on('message', (reply: IndexThreadReply) => {
      const w = this.#waiting.get(reply.id)
      if (w === undefined) return
      this.#waiting.delete(reply.id)
      if ('err' in reply) w.reject(rebuildError(reply.err, undefined, 'the search index thread'))
      else w.resolve(reply.value)
    })
    this.#worker.on('error', (err) => { this.#die(new SearchIndexError(`the search index thread failed: ${err.message}`)) })
    this.#worker.on('exit', (code) => { this.#die(new SearchIndexError(`the search index thread exited (code ${code})`)) })
  }

  #die (err: Error): void {
    this.#dead ??= err
    for (const w of this.#waiting.values()) w.reject(err)
    this.#waiting.clear()
  }

  /** Requests sent and not yet answered. */
  get pending (): number { return this.#waiting.size }

  async #ask<T> (req: IndexThreadRequest): Promise<T> {
    if (this.#dead !== undefined) throw this.#dead
    const id = this.#next++
    return await new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#worker.postMessage({ id, req })
    })
  }

  async open (opts: LocalIndexOptions): Promise<OpenedIndex> { return await this.#ask({ op: 'open', opts }) }
  async apply (ops: IndexOps): Promise<Array<{ id: number, text: string }>> { return await this.#ask({ op: 'apply', ops }) }
  async addVectors (ids: readonly number[], vectors: readonly Float32Array[]): Promise<void> { await this.#ask({ op: 'vectors', ids, vectors }) }
  async search (search: LocalSearch): Promise<LocalResult> { return await this.#ask({ op: 'search', search }) }
  async reset (): Promise<void> { await this.#ask({ op: 'reset' }) }
  async setComplete (complete: boolean): Promise<void> { await this.#ask({ op: 'complete', complete }) }
  async stats (): Promise<{ rows: number, bytes: number, vectors: number }> { return await this.#ask({ op: 'stats' }) }
  async rowsAfter (afterId: number, limit: number): Promise<Array<{ id: number, entity: string, seq: number }>> { return await this.#ask({ op: 'rowsAfter', afterId, limit }) }
  async touchedBy (users: readonly string[]): Promise<string[]> { return await this.#ask({ op: 'touched', users }) }

  /** Closes the index cleanly and ends the thread (`vectorsWhole`: LocalIndex.close). */
  async close (vectorsWhole = true): Promise<void> {
    if (this.#dead === undefined) {
      try {
        await this.#ask({ op: 'close', vectorsWhole })
      } finally {
        await this.#worker.terminate()
      }
    }
  }
}
