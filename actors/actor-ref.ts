import type { AskOptions, Deliverer, PendingAsks } from './pending-asks.ts'
import type { ReplyTo } from './reply-to.ts'
import type { SystemStats } from './system-stats.ts'

/** Address of an actor, as plain data (for listings, logs and, later, the wire). */
export interface ActorAddress {
  readonly node: string
  readonly path: string
}

/**
 * A handle to a live actor. It stays valid across restarts (the mailbox is kept); once the actor
 * has stopped, `tell` is a dead letter and `ask` rejects with ActorStoppedError.
 */
export class ActorRef<M> {
  readonly path: string
  readonly node: string
  readonly #target: Deliverer<M>
  readonly #asks: PendingAsks
  readonly #stats: SystemStats

  constructor (node: string, target: Deliverer<M>, asks: PendingAsks, stats: SystemStats) {
    this.node = node
    this.path = target.path
    this.#target = target
    this.#asks = asks
    this.#stats = stats
  }

  /** Fire and forget. False when the message was not enqueued (mailbox full, or actor stopped);
   * both are counted. */
  tell (msg: M): boolean {
    const result = this.#target.deliver(msg)
    if (result === 'full') this.#stats.tellsDropped++
    return result === 'ok'
  }

  /** Sends the request built around a fresh reply address and resolves with the reply. Rejects
   * with AskTimeoutError, MailboxFullError, ActorStoppedError, or the handler's own error. */
  ask<R> (build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R> {
    return this.#asks.ask(this.#target, build, options)
  }

  get address (): ActorAddress { return { node: this.node, path: this.path } }

  toString (): string { return `ActorRef(${this.path})` }

  /** @internal the kernel's way back from a ref to the actor behind it */
  static targetOf<M> (ref: ActorRef<M>): Deliverer<M> { return ref.#target }
}
