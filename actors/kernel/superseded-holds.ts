import { SUPERSEDED_HOLD_MS, SUPERSEDED_TRACKED_MAX } from './constants.ts'
import { EntitySupersededError } from './errors.ts'

/**
 * Entities whose activation here a newer owner took (its journal fenced): until when this node
 * leaves each alone (SUPERSEDED_HOLD_MS), so that two nodes whose views disagree for a moment do
 * not pass it back and forth. A view change, or a peer's message for it, ends the hold sooner.
 */
export class SupersededHolds {
  readonly #until = new Map<string, number>()

  /** A newer owner took `id` from this node just now. Past SUPERSEDED_TRACKED_MAX the expired holds
   * go first; with none expired the entity is not held (this node takes it back sooner). */
  took (id: string): void {
    const now = Date.now()
    if (this.#until.size >= SUPERSEDED_TRACKED_MAX) for (const [other, until] of this.#until) if (until <= now) this.#until.delete(other)
    if (this.#until.size < SUPERSEDED_TRACKED_MAX) this.#until.set(id, now + SUPERSEDED_HOLD_MS)
  }

  /**
   * This node's own messages for a held entity are refused (EntitySupersededError, which callers
   * resend: isSuperseded) instead of taking it back; undefined: not held. A peer's message ends the
   * hold: that node's view names this one as the owner.
   */
  refuse (id: string, fromPeer: boolean): Error | undefined {
    const until = this.#until.get(id)
    if (until === undefined) return undefined
    if (fromPeer || until <= Date.now()) {
      this.#until.delete(id)
      return undefined
    }
    return new EntitySupersededError(id)
  }

  /** `id` came back to this node (a live move brought it). */
  release (id: string): void { this.#until.delete(id) }

  /** Placement's view changed: every entity lost to a newer owner follows the new view. */
  clear (): void { this.#until.clear() }

  get size (): number { return this.#until.size }
}
