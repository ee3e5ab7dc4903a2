import { INTERRUPT } from './entity-activation.ts'
import type { EntityActivation } from './entity-activation.ts'

/**
 * Waits for entities' work in progress (EntityType.busy: an agent generating) to end before a
 * node stops, and interrupts what outlasts the wait. A wait is checked again after every entity
 * message and every activation's stop (handled); its only timer is its bound.
 */
export class BusyWatch {
  readonly #busy: () => Array<EntityActivation<any>>
  readonly #waiters = new Set<() => void>()

  /** `busy`: the activations with work in progress now. */
  constructor (busy: () => Array<EntityActivation<any>>) {
    this.#busy = busy
  }

  /** An entity handled a message, or an activation stopped: a waiter may be done. */
  readonly handled = (): void => {
    if (this.#waiters.size > 0) for (const check of [...this.#waiters]) check()
  }

  /**
   * Waits until no active entity here is busy, at most `timeoutMs`; then interrupts those still
   * busy (EntityType.interrupt: the agent keeps its partial answer) and waits at most `graceMs`
   * more. Returns how many were interrupted and how many stayed busy.
   */
  async settle (timeoutMs: number, graceMs: number): Promise<{ interrupted: number, busy: number }> {
    if (await this.#quiet(timeoutMs)) return { interrupted: 0, busy: 0 }
    const busy = this.#busy()
    for (const activation of busy) activation.cell.deliver(INTERRUPT)
    const quiet = await this.#quiet(graceMs)
    return { interrupted: busy.length, busy: quiet ? 0 : this.#busy().length }
  }

  /** Resolves true once no activation is busy, false after `ms`. */
  #quiet (ms: number): Promise<boolean> {
    if (this.#busy().length === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#busy().length > 0) return
        done(true)
      }
      const timer = setTimeout(() => { done(false) }, ms)
      const done = (quiet: boolean): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve(quiet)
      }
      this.#waiters.add(check)
    })
  }
}
