import { MOVE_LIMIT_IDLE_MS, MOVE_LIMIT_INITIAL, PAUSE_TARGET_MS } from './constants.ts'

/**
 * How many queued moves (a drain's, a rebalance's) a node runs at once: as many as keep each
 * entity's pause near a target. Every move's pause grows with the moves under way when the nodes'
 * CPU is what they wait for (Little's law: the pause is the moves at once over the moves a second
 * the nodes get through), so a fixed number is either slow on idle nodes or long pauses on busy
 * ones (or onto a node that has just started, whose code is still cold). The limit grows by one for
 * each move well under the target, by one a round while moves stay under it, and halves when a
 * move takes longer, once a round (a move that began before the last cut does not cut it again).
 * After MOVE_LIMIT_IDLE_MS without a move it starts again from MOVE_LIMIT_INITIAL. Always between 1
 * and `max` (config migration-concurrency). Moves a new owner claims (a message
 * waits for them there) do not wait for it, but their pauses count.
 */
export class MoveLimit {
  readonly max: number
  readonly targetMs: number
  readonly #initial: number
  #limit: number
  #cutAt = Number.NEGATIVE_INFINITY
  /** When the last move ended (performance.now()). */
  #lastAt = Number.NEGATIVE_INFINITY

  constructor (max: number, options: { targetMs?: number, initial?: number } = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`)
    this.max = max
    this.targetMs = options.targetMs ?? PAUSE_TARGET_MS
    this.#initial = Math.min(max, Math.max(1, options.initial ?? MOVE_LIMIT_INITIAL))
    this.#limit = this.#initial
  }

  /** Moves at once now (from the initial number again after MOVE_LIMIT_IDLE_MS without a move). */
  current (now = performance.now()): number {
    if (now - this.#lastAt > MOVE_LIMIT_IDLE_MS) this.#limit = this.#initial
    return Math.max(1, Math.floor(this.#limit))
  }

  /** A move that began at `startedAt` (performance.now()) ended live, its entity paused `pauseMs`. */
  observe (pauseMs: number, startedAt: number, now = performance.now()): void {
    this.current(now)
    this.#lastAt = now
    if (pauseMs > this.targetMs) {
      if (startedAt <= this.#cutAt) return
      this.#limit = Math.max(1, this.#limit / 2)
      this.#cutAt = now
    } else if (pauseMs <= this.targetMs / 2) {
      this.#limit = Math.min(this.max, this.#limit + 1)
    } else {
      this.#limit = Math.min(this.max, this.#limit + 1 / this.#limit)
    }
  }
}
