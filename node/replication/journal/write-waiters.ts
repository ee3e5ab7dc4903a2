import type { OwnerEnv } from './owner-env.ts'

interface Waiter {
  readonly seq: number
  resolve (): void
  reject (err: Error): void
  /** env.now() after which it fails. */
  readonly deadline: number
}

/**
 * The writes (and reads) of one owner waiting for a seq to be acknowledged, in seq order, with one
 * deadline timer for all of them: the oldest's deadline comes first (each is added later than the
 * one before), so there is never one timer per append.
 */
export class WriteWaiters {
  #waiters: Waiter[] = []
  #deadlineTimer: (() => void) | undefined
  readonly #env: OwnerEnv
  readonly #timeoutMs: number
  /** The oldest waiter, for `seq`, ran past its deadline: the owner fails the log. */
  readonly #late: (seq: number) => void

  constructor (env: OwnerEnv, timeoutMs: number, late: (seq: number) => void) {
    this.#env = env
    this.#timeoutMs = timeoutMs
    this.#late = late
  }

  /** Resolves once `seq` is acknowledged (at once when `committed` reached it already). */
  waitFor (seq: number, committed: number): Promise<void> {
    if (seq <= committed) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject, deadline: this.#env.now() + this.#timeoutMs })
      this.#armDeadline()
    })
  }

  /** Everything up to `committed` is acknowledged: those waiters resolve. */
  acknowledged (committed: number): void {
    // waiters are in seq order: the ready ones are at the front
    let n = 0
    while (n < this.#waiters.length && (this.#waiters[n] as Waiter).seq <= committed) n++
    const ready = n === this.#waiters.length ? this.#waiters : this.#waiters.slice(0, n)
    this.#waiters = n === this.#waiters.length ? [] : this.#waiters.slice(n)
    for (const w of ready) w.resolve()
  }

  /** Every waiter fails with `err` (a function: made only when some wait), and the deadline timer goes. */
  rejectAll (err: Error | (() => Error)): void {
    const waiters = this.#waiters
    this.#waiters = []
    if (waiters.length > 0) {
      const error = typeof err === 'function' ? err() : err
      for (const w of waiters) w.reject(error)
    }
    this.#deadlineTimer?.()
    this.#deadlineTimer = undefined
  }

  #armDeadline (): void {
    if (this.#deadlineTimer !== undefined) return
    const oldest = this.#waiters[0]
    if (oldest === undefined) return
    this.#deadlineTimer = this.#env.timer(Math.max(0, oldest.deadline - this.#env.now()), () => {
      this.#deadlineTimer = undefined
      const first = this.#waiters[0]
      if (first === undefined) return
      if (this.#env.now() >= first.deadline) {
        this.#late(first.seq)
        return
      }
      this.#armDeadline()
    })
  }
}
