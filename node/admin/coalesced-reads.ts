import type { FastifyInstance } from 'fastify'
import type { AdminWrites } from './admin-writes.ts'
import { ADMIN_LIST_FRESH_MS } from './constants.ts'

/** Answers kept at most, by key: read routes of one item key them by a name the client gives. */
const MAX_KEPT = 256

/**
 * Reads of the cluster that gather from every member (the actors on each, every partition's
 * replicas, every member's jobs) coalesced per key: one gather runs at a time, and every read that
 * arrives while it runs is answered by the next one, which starts as soon as it ends. So each
 * answer was gathered after its request arrived (a client that changed something and then reads
 * sees its change, as it would alone), and a burst of reads (dashboards open in many browsers, a
 * script polling) costs the members one gather per round trip rather than one per read: fifty
 * reads at once asked every member fifty times, each in the queue of the others.
 */
export class CoalescedReads<T> {
  readonly #keys = new Map<string, { running: Promise<T>, next: Promise<T> | undefined }>()
  /** Answers kept after their gather ended, by key (only with `freshMs`). */
  readonly #ended = new Map<string, { at: number, answer: Promise<T> }>()
  readonly #freshMs: number
  /** Bumped by `forget()`: a gather started before it does not keep its answer. */
  #generation = 0

  /** `freshMs` (default 0: none): a read within this long after a gather ended is answered by it,
   * unless `forget()` was called since (the routes call it once a write through this node has
   * answered); the answer is then at most `freshMs` older than the read. At most 1 s (a read
   * route's documented bound). */
  readonly #now: () => number
  constructor (opts: { readonly freshMs?: number, /** @default performance.now */ readonly now?: () => number } = {}) {
    const freshMs = opts.freshMs ?? 0
    if (!(freshMs >= 0 && freshMs <= 1_000)) throw new RangeError(`CoalescedReads freshMs: expected 0 to 1000 ms, got ${String(opts.freshMs)}`)
    this.#freshMs = freshMs
    this.#now = opts.now ?? (() => performance.now())
  }

  /** The answer of a `gather` started after this call (this one, or that of a read with the same
   * key that arrived while the last gather ran), or with `freshMs` one that ended at most that long
   * ago and since the last `forget()`. */
  read (key: string, gather: () => Promise<T>): Promise<T> {
    const ended = this.#ended.get(key)
    if (ended !== undefined) {
      if (this.#now() - ended.at < this.#freshMs) return ended.answer
      this.#ended.delete(key)
    }
    const entry = this.#keys.get(key)
    if (entry === undefined) return this.#start(key, gather)
    entry.next ??= entry.running.then(noop, noop).then(async () => await this.#start(key, gather))
    return entry.next
  }

  /** How many answers are kept now (at most MAX_KEPT). */
  get kept (): number { return this.#ended.size }

  /** Drops every kept answer, and those of the gathers running now: the next read gathers again. */
  forget (): void {
    this.#generation++
    this.#ended.clear()
  }

  /** Drops the answers kept longer than `freshMs` (all of them, if every one is still fresh). */
  #sweep (): void {
    const now = this.#now()
    for (const [key, ended] of this.#ended) if (now - ended.at >= this.#freshMs) this.#ended.delete(key)
    if (this.#ended.size >= MAX_KEPT) this.#ended.clear()
  }

  #start (key: string, gather: () => Promise<T>): Promise<T> {
    let running: Promise<T>
    try {
      running = gather()
    } catch (err) {
      running = Promise.reject(err)
    }
    const entry = { running, next: undefined }
    this.#keys.set(key, entry)
    const generation = this.#generation
    const done = (): void => { if (this.#keys.get(key) === entry && entry.next === undefined) this.#keys.delete(key) }
    const kept = (): void => {
      if (this.#freshMs === 0 || generation !== this.#generation) return
      // keys a client names (a plugin, a job): those kept past their time are dropped once there are many
      if (this.#ended.size >= MAX_KEPT) this.#sweep()
      this.#ended.set(key, { at: this.#now(), answer: running })
    }
    running.then(() => { kept(); done() }, done)
    return running
  }
}
function noop (): void {}

/**
 * Coalesced reads whose answers are also kept ADMIN_LIST_FRESH_MS after their gather ended, and
 * dropped at every write answered through this node's admin API (`writes`, told before the write's
 * answer is sent): a write here followed by a read here sees its change, and a change made elsewhere
 * shows within ADMIN_LIST_FRESH_MS plus a gather. Without `writes` nothing would drop them: none is
 * kept (each read gathers after it arrived, as plain CoalescedReads).
 */
export function keptReads<T> (api: FastifyInstance, writes: Pick<AdminWrites, 'watch'> | undefined, opts: { /** @default performance.now */ readonly now?: () => number } = {}): CoalescedReads<T> {
  const reads = new CoalescedReads<T>({ freshMs: writes === undefined ? 0 : ADMIN_LIST_FRESH_MS, ...(opts.now !== undefined && { now: opts.now }) })
  const unwatch = writes?.watch(() => { reads.forget() })
  if (unwatch !== undefined) api.addHook('onClose', async () => { unwatch() })
  return reads
}
