/** What the idle check finds: the actor is gone (no check any more), busy (check again later),
 * or quiet (no message handled or waiting). */
export type IdleProbe = 'gone' | 'busy' | 'quiet'

/**
 * An actor's idle passivation (SpawnOptions.idleTimeout): one timer per actor that re-arms itself,
 * so the actor stops between one and two idle periods after its last message, and a busy actor
 * pays nothing per message (it only counts what it handled, once per turn).
 */
export class IdleTimer {
  readonly #ms: number | undefined
  readonly #probe: () => IdleProbe
  readonly #expired: () => void
  #timer: ReturnType<typeof setTimeout> | undefined
  #activity = 0
  #activityAtArm = 0

  /** `ms` undefined: never idle. `expired` runs when a whole period passed with nothing handled. */
  constructor (ms: number | undefined, probe: () => IdleProbe, expired: () => void) {
    this.#ms = ms
    this.#probe = probe
    this.#expired = expired
  }

  /** The actor handled `n` messages. */
  handled (n: number): void { this.#activity += n }

  arm (): void {
    if (this.#ms === undefined) return
    this.disarm()
    this.#activityAtArm = this.#activity
    this.#timer = setTimeout(this.#check, this.#ms)
    // an idle timer never keeps the process alive
    this.#timer.unref()
  }

  disarm (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  readonly #check = (): void => {
    this.#timer = undefined
    const probe = this.#probe()
    if (probe === 'gone') return
    if (probe === 'busy' || this.#activity !== this.#activityAtArm) {
      this.arm()
      return
    }
    this.#expired()
  }
}
