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

/** What a ref reports when it tries to hand over a message. */
export type DeliveryResult = 'ok' | 'full' | 'stopped'

/** Something that accepts messages: an actor cell or an entity host. */
export interface Deliverer<M> {
  readonly path: string
  readonly capacity: number
  deliver (msg: M): DeliveryResult
}

interface Pending {
  resolve (value: unknown): void
  reject (error: unknown): void
  timer: ReturnType<typeof setTimeout>
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * The asks of one actor system that wait for a reply, by id. Every ask ends exactly once: reply,
 * error, timeout, abort, or system termination.
 */
export class PendingAsks {
  readonly #node: string
  readonly #stats: SystemStats
  readonly #pending = new Map<string, Pending>()
  #next = 0

  constructor (node: string, stats: SystemStats) {
    this.#node = node
    this.#stats = stats
  }

  get size (): number { return this.#pending.size }

  /** Builds the request with a fresh reply address, hands it over and waits for the reply. */
  ask<M, R> (target: Deliverer<M>, build: (replyTo: ReplyTo<R>) => M, options: AskOptions = {}): Promise<R> {
    const timeout = options.timeout ?? DEFAULT_ASK_TIMEOUT_MS
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      return Promise.reject(new RangeError(`ask timeout must be a positive number of ms, got ${timeout}`))
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason)
    const askId = (this.#next++).toString(36)
    const replyTo: ReplyTo<R> = { askId, node: this.#node }
    const promise = new Promise<R>((resolve, reject) => {
      const pending: Pending = {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: setTimeout(() => {
          if (this.#settle(askId) === undefined) return
          this.#stats.asksTimedOut++
          reject(new AskTimeoutError(target.path, timeout))
        }, timeout)
      }
      if (options.signal !== undefined) {
        const signal = options.signal
        pending.signal = signal
        pending.onAbort = () => { this.#settle(askId)?.reject(signal.reason) }
        signal.addEventListener('abort', pending.onAbort, { once: true })
      }
      this.#pending.set(askId, pending)
    })
    let msg: M
    try {
      msg = build(replyTo)
    } catch (err) {
      this.reject(replyTo, err)
      return promise
    }
    let result: DeliveryResult
    try {
      result = target.deliver(msg)
    } catch (err) {
      // e.g. NotSerializableError: the request is refused, nothing was enqueued
      this.reject(replyTo, err)
      return promise
    }
    if (result === 'full') {
      this.#stats.asksRejected++
      this.reject(replyTo, new MailboxFullError(target.path, target.capacity))
    } else if (result === 'stopped') {
      this.reject(replyTo, new ActorStoppedError(target.path))
    }
    return promise
  }

  /** True when the ask was still waiting (a late or duplicate reply returns false). */
  resolve<R> (replyTo: ReplyTo<R>, value: R): boolean {
    const pending = this.#settle(replyTo.askId)
    if (pending === undefined) return false
    pending.resolve(value)
    return true
  }

  reject (replyTo: ReplyTo<unknown>, error: unknown): boolean {
    const pending = this.#settle(replyTo.askId)
    if (pending === undefined) return false
    pending.reject(error)
    return true
  }

  rejectAll (error: unknown): void {
    for (const askId of [...this.#pending.keys()]) this.#settle(askId)?.reject(error)
  }

  #settle (askId: string): Pending | undefined {
    const pending = this.#pending.get(askId)
    if (pending === undefined) return undefined
    this.#pending.delete(askId)
    clearTimeout(pending.timer)
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
    return pending
  }
}
