/** Entities whose last tried epoch a node keeps (the newest; an older one's next take is a
 * millisecond or more later, above it by the clock). */
export const TRIED_EPOCHS_KEPT = 4_096

/**
 * The highest epoch this node's takes of each entity tried, the entities taken last kept: a take
 * never tries one again (EntityLogOptions.minEpoch). Two takes of one entity in one millisecond,
 * the first abandoned, drew the same epoch from the clock, and a replica that had promised it to
 * the first refused the second's writes as a newer owner's.
 */
export class TriedEpochs {
  readonly #tried = new Map<string, number>()
  readonly #kept: number

  constructor (kept = TRIED_EPOCHS_KEPT) {
    this.#kept = kept
  }

  /** The lowest epoch the next take of `entity` may try. */
  floor (entity: string): number {
    return (this.#tried.get(entity) ?? 0) + 1
  }

  /** A take of `entity` tried `epoch`. */
  tried (entity: string, epoch: number): void {
    if ((this.#tried.get(entity) ?? 0) > epoch) return
    this.#tried.delete(entity)
    this.#tried.set(entity, epoch)
    if (this.#tried.size > this.#kept) this.#tried.delete(this.#tried.keys().next().value as string)
  }

  get size (): number { return this.#tried.size }
}
