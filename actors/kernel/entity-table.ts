import { isStopping } from './cell-status.ts'
import { FORWARD_MS } from './constants.ts'
import type { CellStatus } from './cell-status.ts'
import type { EntityActivation } from './entity-activation.ts'

export interface EntityInfo {
  readonly type: string
  readonly key: string
  readonly status: CellStatus
  readonly mailbox: number
}

/** Messages that wait here for an entity, oldest first, until a move lets them go on. */
export interface Waiting { readonly buffer: unknown[] }

/**
 * The activation bookkeeping of one node's entities, by id (`type/key`): the activation serving
 * each, those leaving (their last writes may be in flight), and the messages waiting for an entity
 * that moves away (released) or is claimed from another node. The entry of an activation goes in
 * the same synchronous step as its passivation, so a message that arrives afterwards starts a new
 * activation instead of being lost.
 */
export class EntityTable {
  readonly #active = new Map<string, EntityActivation<any>>()
  /** Activations told to leave (relinquished, released, or the node stops) and not yet stopped. */
  readonly #leaving = new Map<string, EntityActivation<any>>()
  /** Entities being released (a live move's old owner): their messages wait here. */
  readonly #moving = new Map<string, Waiting>()
  /** Entities claimed from another node (Remoting.claim): their messages wait here. */
  readonly #incoming = new Map<string, Waiting>()

  /** The activation registered for `id`, whatever its status. */
  current (id: string): EntityActivation<any> | undefined { return this.#active.get(id) }

  /** The activation of `id` that takes messages now (not stopping or stopped), or undefined. */
  live (id: string): EntityActivation<any> | undefined {
    const activation = this.#active.get(id)
    return activation === undefined || isStopping(activation.cell.status) ? undefined : activation
  }

  /** `activation` serves `id` from now on. */
  activated (id: string, activation: EntityActivation<any>): void { this.#active.set(id, activation) }

  /** `activation` passivates: a message that comes now starts a new one. */
  passivated (id: string, activation: EntityActivation<any>): void {
    if (this.#active.get(id) === activation) this.#active.delete(id)
  }

  /** `activation` stopped for good. */
  terminated (id: string, activation: EntityActivation<any>): void {
    this.passivated(id, activation)
    if (this.#leaving.get(id) === activation) this.#leaving.delete(id)
  }

  /** `activation` leaves this node: it stops once its mailbox is empty and it is not busy. */
  leave (activation: EntityActivation<any>): void {
    activation.leave()
    this.#leaving.set(activation.id, activation)
    activation.cell.requestIdleStop()
  }

  /** The activation of `id` that is leaving and has not stopped yet. */
  leavingOf (id: string): EntityActivation<any> | undefined { return this.#leaving.get(id) }

  /** Every activation here, serving or leaving, each once. */
  all (): Array<EntityActivation<any>> {
    return [...new Set([...this.#active.values(), ...this.#leaving.values()])]
  }

  /** The activations serving here (stopping ones included). */
  serving (): Array<EntityActivation<any>> { return [...this.#active.values()] }

  /** Activations with work in progress (EntityType.busy), not yet stopping. */
  busy (): Array<EntityActivation<any>> {
    return this.all().filter((activation) => !isStopping(activation.cell.status) && activation.busy())
  }

  // ---- messages waiting for a move ----------------------------------------------------------

  /** The messages waiting for `id`, moving away or claimed, or undefined. */
  waitingFor (id: string): Waiting | undefined { return this.#moving.get(id) ?? this.#incoming.get(id) }

  isMoving (id: string): boolean { return this.#moving.has(id) }

  /** `id` moves away: its messages wait here (from now until `moved`). */
  moving (id: string, waiting: Waiting = { buffer: [] }): Waiting {
    this.#moving.set(id, waiting)
    return waiting
  }

  /** `id` no longer moves; what waited (undefined: nothing). */
  moved (id: string): Waiting | undefined {
    const waiting = this.#moving.get(id)
    this.#moving.delete(id)
    return waiting
  }

  incoming (id: string): Waiting | undefined { return this.#incoming.get(id) }

  /** `id` is claimed: its messages wait here, `first` first. */
  claimed (id: string, first: unknown): Waiting {
    const waiting = { buffer: [first] }
    this.#incoming.set(id, waiting)
    return waiting
  }

  /** The claim of `id` ended; what waited (undefined: nothing). */
  claimEnded (id: string): Waiting | undefined {
    const waiting = this.#incoming.get(id)
    this.#incoming.delete(id)
    return waiting
  }

  // ---- what the mesh and the admin read -----------------------------------------------------

  /**
   * Whether messages for `id` are taken here now, whoever placement says owns it: its messages
   * wait here for a move (in either direction), or it moved here in the last FORWARD_MS (the
   * senders' views are still converging). An activation that is here for any other reason does not
   * count: placement decides (one left over on the minority side of a partition must not serve
   * reads the new owner's writes have passed).
   */
  hosts (id: string): boolean {
    if (this.#moving.has(id) || this.#incoming.has(id)) return true
    const activation = this.live(id)
    return activation?.adoptedAt !== undefined && Date.now() - activation.adoptedAt < FORWARD_MS
  }

  /** The active entities here, as `[type, key]` (what a drain or a rebalance looks at). */
  activeIds (): Array<[string, string]> {
    const out: Array<[string, string]> = []
    for (const activation of this.#active.values()) {
      if (isStopping(activation.cell.status) || activation.leaving) continue
      out.push([typeOf(activation.id), activation.key])
    }
    return out
  }

  /** Entities whose messages wait here (moving away, or claimed and not yet handed off), and how
   * many messages wait. */
  buffered (): { entities: number, messages: number } {
    let messages = 0
    for (const m of this.#moving.values()) messages += m.buffer.length
    for (const m of this.#incoming.values()) messages += m.buffer.length
    return { entities: this.#moving.size + this.#incoming.size, messages }
  }

  list (type?: string): EntityInfo[] {
    const out: EntityInfo[] = []
    for (const activation of this.#active.values()) {
      const entityType = typeOf(activation.id)
      if (type !== undefined && entityType !== type) continue
      const info = activation.cell.info()
      out.push({ type: entityType, key: activation.key, status: info.status, mailbox: info.mailbox })
    }
    return out
  }

  get activeCount (): number { return this.#active.size }
}

/** The type of an entity id `type/key`. */
export function typeOf (id: string): string {
  const [type = ''] = id.split('/', 1)
  return type
}
