import { REFUSALS_LOGGED_PER_MINUTE } from './constants.ts'

/**
 * The log of protocol violations by peers (a malformed frame, a probe stream that breaks the
 * protocol): each is said at warn, at most REFUSALS_LOGGED_PER_MINUTE a minute, so that a broken
 * or hostile member shows in the log without flooding it.
 */
export class RefusalLog {
  readonly #log: { warn (obj: object, msg: string): void }
  #logged = 0
  #window = 0

  constructor (log: { warn (obj: object, msg: string): void }) {
    this.#log = log
  }

  /** Says that `peer` broke the protocol (`message`), unless this minute's lines are spent. */
  refused (peer: string, message: string, now = Date.now()): void {
    const minute = Math.floor(now / 60_000)
    if (minute !== this.#window) {
      this.#window = minute
      this.#logged = 0
    }
    if (this.#logged++ < REFUSALS_LOGGED_PER_MINUTE) this.#log.warn({ peer }, message)
  }
}
