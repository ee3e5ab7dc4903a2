import { PinLimitError } from './errors.ts'
import { MAX_PINS } from './membership.ts'
import { pinIdOf } from './placement.ts'

/** One entity pinned to this node. */
export interface Pin {
  readonly type: string
  readonly key: string
  /** Its pin id as members announce it (placement's pinIdOf). */
  readonly id: string
  /** Higher than any pin of the entity the node saw when it took it: the newest pin wins. */
  readonly n: number
  /** ms since the epoch when it was taken. */
  readonly at: number
}

/**
 * The entities pinned to this node: an admin moved them here (`plexi admin migrate`), so placement
 * gives them to this node, not to their hash owners, while they stay active here. This node
 * announces its pins in its member record (at most MAX_PINS); every member's placement honours the
 * pin with the highest number. A pin is dropped when its entity moves away or is no longer active
 * here (the migrator sweeps), and means nothing while the node drains (it is no candidate then).
 */
export class PinTable {
  readonly #pins = new Map<string, Pin>()
  #announced: ReadonlyMap<string, number> | undefined

  /** Pins `type/key` here with number `n` (replacing a pin of it here). PinLimitError when
   * MAX_PINS others are pinned here. */
  pin (type: string, key: string, n: number, now = Date.now()): Pin {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a pin's number is a whole number >= 1, got ${n}`)
    const entity = `${type}/${key}`
    if (!this.#pins.has(entity) && this.#pins.size >= MAX_PINS) throw new PinLimitError(entity, MAX_PINS)
    const pin: Pin = { type, key, id: pinIdOf(type, key), n, at: now }
    this.#pins.delete(entity)
    this.#pins.set(entity, pin)
    this.#announced = undefined
    return pin
  }

  /** Drops the pin of `type/key`; false when it had none here. */
  unpin (type: string, key: string): boolean {
    const dropped = this.#pins.delete(`${type}/${key}`)
    if (dropped) this.#announced = undefined
    return dropped
  }

  get (type: string, key: string): Pin | undefined {
    return this.#pins.get(`${type}/${key}`)
  }

  get size (): number { return this.#pins.size }

  /** Every pin, the oldest first. */
  list (): Pin[] { return [...this.#pins.values()] }

  /** Pin id → number, for placement (the same map until the pins change). */
  map (): ReadonlyMap<string, number> {
    this.#announced ??= new Map([...this.#pins.values()].map((p) => [p.id, p.n]))
    return this.#announced
  }

  /** As the member record carries them. */
  record (): Array<[string, number]> {
    return [...this.map()]
  }
}
