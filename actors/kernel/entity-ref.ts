import { MessageRef } from './message-ref.ts'
import type { DeliveryResult, PendingAsks } from './pending-asks.ts'
import type { SystemStats } from './system-stats.ts'

/** Address of an entity as plain data. */
export interface EntityAddress {
  readonly type: string
  readonly key: string
}

/**
 * A handle to an entity wherever it lives. Deliberately not an ActorRef: the actor behind it
 * comes and goes (activation, passivation, later migration), the address stays.
 */
export class EntityRef<M> extends MessageRef<M> {
  readonly type: string
  readonly key: string
  readonly id: string

  constructor (type: string, key: string, deliver: (msg: M) => DeliveryResult, capacity: number,
    asks: PendingAsks, stats: SystemStats) {
    const id = `${type}/${key}`
    super({ path: id, capacity, deliver }, asks, stats)
    this.type = type
    this.key = key
    this.id = id
  }

  get address (): EntityAddress { return { type: this.type, key: this.key } }

  override toString (): string { return `EntityRef(${this.id})` }
}
