/**
 * Keyed timers that send messages to their own actor. Starting a timer with a key that is in use
 * replaces it. The owner cancels them all when it stops or restarts, so no timer outlives its actor.
 */
export class TimerScheduler<M> {
  readonly #send: (msg: M) => void
  readonly #timers = new Map<string, { handle: ReturnType<typeof setTimeout>, periodic: boolean }>()

  constructor (send: (msg: M) => void) {
    this.#send = send
  }

  /** `msg` once, after `delayMs`. */
  startSingle (key: string, msg: M, delayMs: number): void {
    checkDelay(delayMs)
    this.cancel(key)
    const handle = setTimeout(() => {
      this.#timers.delete(key)
      this.#send(msg)
    }, delayMs)
    this.#timers.set(key, { handle, periodic: false })
  }

  /** `msg` every `intervalMs` until cancelled. A tick that finds the mailbox full is dropped
   * (and counted), never queued up. */
  startPeriodic (key: string, msg: M, intervalMs: number): void {
    checkDelay(intervalMs)
    if (intervalMs < 1) throw new RangeError('a periodic timer needs an interval of at least 1 ms')
    this.cancel(key)
    const handle = setInterval(() => { this.#send(msg) }, intervalMs)
    this.#timers.set(key, { handle, periodic: true })
  }

  isActive (key: string): boolean { return this.#timers.has(key) }

  get size (): number { return this.#timers.size }

  cancel (key: string): void {
    const timer = this.#timers.get(key)
    if (timer === undefined) return
    if (timer.periodic) clearInterval(timer.handle)
    else clearTimeout(timer.handle)
    this.#timers.delete(key)
  }

  cancelAll (): void {
    for (const key of [...this.#timers.keys()]) this.cancel(key)
  }
}

function checkDelay (ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timer delay must be a finite number of ms >= 0, got ${ms}`)
}
