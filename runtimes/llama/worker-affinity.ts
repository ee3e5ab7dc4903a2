import { MAX_AFFINITY_KEYS } from './constants.ts'

/** What routing reads and keeps of a worker. */
export interface RoutedWorker {
  /** Requests running in it (at most contextsPerWorker: the model manager bounds the total). */
  active: number
  /** Cache keys routed to it (in the affinity map). */
  conversations: number
}

/**
 * Which worker a request goes to: the one that ran its conversation last (whose KV cache it holds)
 * while it has a free context, else the least busy, and among those the one given the fewest
 * conversations, so that they spread. The map is a hint, bounded: a key forgotten costs a miss.
 */
export class WorkerAffinity<W extends RoutedWorker> {
  readonly #workers: readonly W[]
  readonly #contextsPerWorker: number
  /** cache key → the worker that ran its last request, oldest first. */
  readonly #byKey = new Map<string, W>()

  constructor (workers: readonly W[], contextsPerWorker: number) {
    if (workers.length === 0) throw new RangeError('affinity needs at least one worker')
    this.#workers = workers
    this.#contextsPerWorker = contextsPerWorker
  }

  /** The worker for a request of `cacheKey` (none: any), remembered for its next one. */
  route (cacheKey: string | undefined): W {
    if (cacheKey === undefined) return this.#least()
    const known = this.#byKey.get(cacheKey)
    if (known !== undefined && known.active < this.#contextsPerWorker) {
      this.#byKey.delete(cacheKey)
      this.#byKey.set(cacheKey, known)
      return known
    }
    const worker = this.#least()
    if (known !== undefined) known.conversations--
    worker.conversations++
    this.#byKey.delete(cacheKey)
    this.#byKey.set(cacheKey, worker)
    if (this.#byKey.size > MAX_AFFINITY_KEYS) {
      const [oldest, holder] = this.#byKey.entries().next().value ?? []
      if (oldest !== undefined && holder !== undefined) {
        this.#byKey.delete(oldest)
        holder.conversations--
      }
    }
    return worker
  }

  /** The workers that ran the last request of any of `cacheKeys`, each once. */
  holding (cacheKeys: readonly string[]): W[] {
    return [...new Set(cacheKeys.map((key) => this.#byKey.get(key)).filter((w) => w !== undefined))]
  }

  #least (): W {
    return this.#workers.reduce((best, w) =>
      (w.active < best.active || (w.active === best.active && w.conversations < best.conversations) ? w : best))
  }
}
