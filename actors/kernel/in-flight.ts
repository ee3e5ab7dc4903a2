/**
 * Whether an actor's handler (or its init) is running now, and who waits for it to end: a stop
 * waits for the handler in flight, at most its `shutdown` time (OTP's shutdown).
 */
export class InFlight {
  #running = false
  #waiters: Array<() => void> = []

  get running (): boolean { return this.#running }

  begin (): void { this.#running = true }

  /** The handler ended (or was given up on): wakes whoever waits. */
  end (): void {
    this.#running = false
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** Resolves once the handler in flight has ended (at once when none runs), or after `ms`: then
   * `giveUp` runs first (the caller disowns the handler's late result) and it counts as ended. */
  ended (ms: number, giveUp: () => void): Promise<void> {
    if (!this.#running) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        giveUp()
        this.end()
      }, ms)
      this.#waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}
