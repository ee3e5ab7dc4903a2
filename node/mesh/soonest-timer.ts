/**
 * One timer that runs `fire` at the soonest of the times it is asked for: asked for a time later
 * than the one pending, it keeps the pending one; asked for a sooner one, it brings it forward
 * (a view refresh due when a member settles is not held for another member that settles later).
 * Unref'd: it keeps no process alive.
 */
export class SoonestTimer {
  readonly #fire: () => void
  #timer: ReturnType<typeof setTimeout> | undefined
  /** When the pending timer fires (performance.now); Infinity: none pending. */
  #due = Infinity

  constructor (fire: () => void) {
    this.#fire = fire
  }

  /** Fires `ms` from now, unless it fires by then already. */
  in (ms: number): void {
    const due = performance.now() + ms
    if (this.#timer !== undefined) {
      if (this.#due <= due) return
      clearTimeout(this.#timer)
    }
    this.#due = due
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#due = Infinity
      this.#fire()
    }, ms)
    this.#timer.unref()
  }

  /** Whether a firing is pending. */
  get pending (): boolean { return this.#timer !== undefined }

  /** Cancels the pending firing, if any. */
  clear (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#due = Infinity
  }
}
