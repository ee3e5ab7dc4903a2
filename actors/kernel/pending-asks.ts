import { DEFAULT_ASK_TIMEOUT_MS } from './constants.ts'
import { AskTimeoutError, MailboxFullError, ActorStoppedError } from './errors.ts'
import type { ReplyTo } from './reply-to.ts'
import type { SystemStats } from './system-stats.ts'

export interface AskOptions {
  /** Milliseconds before the ask rejects with AskTimeoutError. @default 5000 */
  timeout?: number
  /** Aborting rejects the ask with the signal's reason (the reply, if it comes, is ignored). */
  signal?: AbortSignal
}

/** What a ref reports when it tries to hand over a message: enqueued, mailbox full, target
 * stopped, or refused for a reason of its own (e.g. no member holds the role the entity needs). */
export type DeliveryResult = 'ok' | 'full' | 'stopped' | Error

/** Something that accepts messages: an actor cell or an entity host. */
export interface Deliverer<M> {
  readonly path: string
  readonly capacity: number
  deliver (msg: M): DeliveryResult
}

interface Pending {
  readonly askId: string
  resolve (value: unknown): void
  reject (error: unknown): void
  readonly deadline: number
  readonly bucket: TimeoutBucket
  readonly target: string
  /** The node the request went to, when the mesh carried it (see sentTo). */
  node?: string
  /** The request was an entity's message (that node may pass it on: see sentTo). */
  entity?: boolean
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * The asks that share one timeout value. Their deadlines grow in creation order, so one timer
 * (for the oldest) serves the whole bucket: an ask costs two Map operations, not a timer.
 */
interface TimeoutBucket {
  readonly timeoutMs: number
  readonly asks: Map<string, Pending>
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The asks of one actor system that wait for a reply, by id. Every ask ends exactly once: reply,
 * error, timeout, abort, or system termination.
 */
/** How an ask ended, for latency metrics. */
export type AskOutcome = 'ok' | 'error' | 'timeout'
export type AskObserver = (ms: number, outcome: AskOutcome) => void

export class PendingAsks {
  readonly #node: string
  readonly #stats: SystemStats
  readonly #observe: AskObserver | undefined
  /** Asks live only in their timeout's bucket: one Map insert and one delete per ask. A system
   * uses one or two timeout values, so finding an ask scans one or two buckets. */
  readonly #buckets = new Map<number, TimeoutBucket>()
  #next = 0
  /** The ask whose request is being handed over right now (inside `target.deliver`). */
  #delivering: Pending | undefined

  constructor (node: string, stats: SystemStats, observe?: AskObserver) {
    this.#node = node
    this.#stats = stats
    this.#observe = observe
  }

  get size (): number {
    let n = 0
    for (const bucket of this.#buckets.values()) n += bucket.asks.size
    return n
  }

  /** Builds the request with a fresh reply address, hands it over and waits for the reply. */
  ask<M, R> (target: Deliverer<M>, build: (replyTo: ReplyTo<R>) => M, options: AskOptions = {}): Promise<R> {
    const timeout = options.timeout ?? DEFAULT_ASK_TIMEOUT_MS
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      return Promise.reject(new RangeError(`ask timeout must be a positive number of ms, got ${timeout}`))
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason)
    const askId = (this.#next++).toString(36)
    const replyTo: ReplyTo<R> = { askId, node: this.#node }
    const bucket = this.#bucket(timeout)
    const { promise, resolve, reject } = Promise.withResolvers<R>()
    const pending: Pending = {
      askId,
      resolve: resolve as (value: unknown) => void,
      reject,
      deadline: performance.now() + timeout,
      bucket,
      target: target.path
    }
    if (options.signal !== undefined) {
      const signal = options.signal
      pending.signal = signal
      pending.onAbort = () => { this.#settle(askId)?.reject(signal.reason) }
      signal.addEventListener('abort', pending.onAbort, { once: true })
    }
    bucket.asks.set(askId, pending)
    if (bucket.timer === undefined) this.#arm(bucket, timeout)
    let msg: M
    try {
      msg = build(replyTo)
    } catch (err) {
      this.reject(replyTo, err)
      return promise
    }
    let result: DeliveryResult
    this.#delivering = pending
    try {
      result = target.deliver(msg)
    } catch (err) {
      // e.g. NotSerializableError: the request is refused, nothing was enqueued
      this.reject(replyTo, err)
      return promise
    } finally {
      this.#delivering = undefined
    }
    if (result === 'full') {
      this.#stats.asksRejected++
      this.reject(replyTo, new MailboxFullError(target.path, target.capacity))
    } else if (result === 'stopped') {
      this.reject(replyTo, new ActorStoppedError(target.path))
    } else if (result instanceof Error) {
      this.reject(replyTo, result)
    }
    return promise
  }

  /**
   * The mesh sent the request of ask `askId` to `node`: if that node is lost, `rejectSentTo`
   * fails the ask at once instead of at its timeout. Costs nothing extra for the ask being handed
   * over right now (the usual case); any other is looked up. `entity`: the request was a message
   * for an entity there, which a draining node passes on to the entity's new owner (that one
   * answers), as opposed to a message for an actor of that node, which only that node answers.
   */
  sentTo (askId: string, node: string, entity = false): void {
    const pending = this.#delivering?.askId === askId ? this.#delivering : this.#find(askId)
    if (pending !== undefined) {
      pending.node = node
      pending.entity = entity
    }
  }

  /** Fails every waiting ask whose request went to `node` (see sentTo), or with `actorsOnly`
   * those whose request went to an actor there (not an entity's message); returns how many. */
  rejectSentTo (node: string, error: unknown, actorsOnly = false): number {
    const lost: string[] = []
    for (const bucket of this.#buckets.values()) {
      for (const [askId, pending] of bucket.asks) if (pending.node === node && !(actorsOnly && pending.entity === true)) lost.push(askId)
    }
    let failed = 0
    for (const askId of lost) if (this.rejectId(askId, error)) failed++
    return failed
  }

  /** True when the ask was still waiting (a late or duplicate reply returns false). */
  resolve<R> (replyTo: ReplyTo<R>, value: R): boolean { return this.resolveId(replyTo.askId, value) }

  reject (replyTo: ReplyTo<unknown>, error: unknown): boolean { return this.rejectId(replyTo.askId, error) }

  resolveId (askId: string, value: unknown): boolean {
    const pending = this.#settle(askId)
    if (pending === undefined) return false
    this.#observed(pending, 'ok')
    pending.resolve(value)
    return true
  }

  rejectId (askId: string, error: unknown): boolean {
    const pending = this.#settle(askId)
    if (pending === undefined) return false
    this.#observed(pending, 'error')
    pending.reject(error)
    return true
  }

  #find (askId: string): Pending | undefined {
    for (const bucket of this.#buckets.values()) {
      const pending = bucket.asks.get(askId)
      if (pending !== undefined) return pending
    }
    return undefined
  }

  rejectAll (error: unknown): void {
    for (const bucket of [...this.#buckets.values()]) {
      for (const askId of [...bucket.asks.keys()]) this.#settle(askId)?.reject(error)
    }
  }

  #settle (askId: string): Pending | undefined {
    for (const bucket of this.#buckets.values()) {
      const pending = bucket.asks.get(askId)
      if (pending === undefined) continue
      bucket.asks.delete(askId)
      if (bucket.asks.size === 0 && bucket.timer !== undefined) {
        // nothing left to time out: do not keep the process alive for a deadline of nobody
        clearTimeout(bucket.timer)
        bucket.timer = undefined
        this.#buckets.delete(bucket.timeoutMs)
      }
      if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
      return pending
    }
    return undefined
  }

  #observed (pending: Pending, outcome: AskOutcome): void {
    if (this.#observe !== undefined) this.#observe(performance.now() - (pending.deadline - pending.bucket.timeoutMs), outcome)
  }

  #bucket (timeoutMs: number): TimeoutBucket {
    let bucket = this.#buckets.get(timeoutMs)
    if (bucket === undefined) {
      bucket = { timeoutMs, asks: new Map(), timer: undefined }
      this.#buckets.set(timeoutMs, bucket)
    }
    return bucket
  }

  #arm (bucket: TimeoutBucket, ms: number): void {
    bucket.timer = setTimeout(() => { this.#sweep(bucket) }, Math.max(0, Math.ceil(ms)))
  }

  /** Times out every ask of the bucket whose deadline has passed, oldest first, then re-arms
   * for the next one (or drops the bucket when it is empty). */
  #sweep (bucket: TimeoutBucket): void {
    bucket.timer = undefined
    const now = performance.now()
    for (const [askId, pending] of bucket.asks) {
      if (pending.deadline > now) {
        this.#arm(bucket, pending.deadline - now)
        return
      }
      bucket.asks.delete(askId)
      if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
      this.#stats.asksTimedOut++
      this.#observed(pending, 'timeout')
      pending.reject(new AskTimeoutError(pending.target, bucket.timeoutMs))
    }
    this.#buckets.delete(bucket.timeoutMs)
  }
}
