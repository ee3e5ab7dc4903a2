import type { AskOptions, Deliverer, DeliveryResult, PendingAsks } from './pending-asks.ts'
import type { ReplyTo } from './reply-to.ts'
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
export class EntityRef<M> {
  readonly type: string
  readonly key: string
  readonly id: string
  readonly #target: Deliverer<M>
  readonly #asks: PendingAsks
  readonly #stats: SystemStats

  constructor (type: string, key: string, deliver: (msg: M) => DeliveryResult, capacity: number,
    asks: PendingAsks, stats: SystemStats) {
    this.type = type
    this.key = key
    this.id = `${type}/${key}`
    this.#target = { path: this.id, capacity, deliver }
    this.#asks = asks
    this.#stats = stats
  }

  /** Fire and forget; false when the message was not enqueued (mailbox full). */
  tell (msg: M): boolean {
    const result = this.#target.deliver(msg)
    if (result === 'full') this.#stats.tellsDropped++
    return result === 'ok'
  }

  ask<R> (build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R> {
    return this.#asks.ask(this.#target, build, options)
  }

  get address (): EntityAddress { return { type: this.type, key: this.key } }

  toString (): string { return `EntityRef(${this.id})` }
}
