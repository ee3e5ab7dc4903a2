import type { FastifyInstance } from 'fastify'
import type { AdminWrites } from './admin-writes.ts'
import { ADMIN_BURST_READS, ADMIN_BURST_REUSE_MS } from './constants.ts'

/**
 * A route's answer made of the node's memory afresh for each read, except in a burst: when
 * ADMIN_BURST_READS reads came within the last second, the answer made at most ADMIN_BURST_REUSE_MS
 * ago for the same key is sent again (building and serializing every member's record was most of
 * what `/cluster` cost under a flood of reads: 0.3x a bare route at three members). A write
 * answered through this node's admin API drops it at once (`forget`), so a change made here and then
 * read here is in the answer; a change seen otherwise (a member's status) shows within
 * ADMIN_BURST_REUSE_MS. As `/metrics` keeps its rendering in a flood of scrapes (RenderedMetrics).
 */
export class BurstKept<T> {
  /** When the last ADMIN_BURST_READS reads came, a ring (#next: the oldest). */
  readonly #recent: number[] = []
  #next = 0
  readonly #kept = new Map<string, { readonly at: number, readonly answer: T }>()
  readonly #now: () => number

  constructor (opts: { /** @default performance.now */ readonly now?: () => number } = {}) {
    this.#now = opts.now ?? (() => performance.now())
  }

  /** `make()`'s answer, or in a burst the one it made for `key` at most ADMIN_BURST_REUSE_MS ago
   * and since the last `forget()`. */
  read (key: string, make: () => T): T {
    const now = this.#now()
    const oldest = this.#recent[this.#next]
    this.#recent[this.#next] = now
    this.#next = (this.#next + 1) % ADMIN_BURST_READS
    const burst = oldest !== undefined && now - oldest < 1_000
    const kept = this.#kept.get(key)
    if (burst && kept !== undefined && now - kept.at < ADMIN_BURST_REUSE_MS) return kept.answer
    const answer = make()
    // kept only in a burst: a quiet route holds nothing a later burst could send stale
    if (burst) this.#kept.set(key, { at: now, answer })
    else this.#kept.delete(key)
    return answer
  }

  /** Drops every kept answer: the next read makes its own. */
  forget (): void {
    this.#kept.clear()
  }
}

/** A BurstKept whose answers `writes` drops at every write answered through the admin API. */
export function burstKept<T> (api: FastifyInstance, writes: Pick<AdminWrites, 'watch'> | undefined, opts: { readonly now?: () => number } = {}): BurstKept<T> {
  const kept = new BurstKept<T>(opts)
  const unwatch = writes?.watch(() => { kept.forget() })
  if (unwatch !== undefined) api.addHook('onClose', async () => { unwatch() })
  return kept
}
