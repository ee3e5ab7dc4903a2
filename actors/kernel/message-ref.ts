import type { AskOptions, Deliverer, PendingAsks } from './pending-asks.ts'
import type { ReplyTo } from './reply-to.ts'
import type { SystemStats } from './system-stats.ts'

/** What ActorRef and EntityRef share: handing messages to a target, fire-and-forget or ask. */
export abstract class MessageRef<M> {
  readonly #target: Deliverer<M>
  readonly #asks: PendingAsks
  readonly #stats: SystemStats

  constructor (target: Deliverer<M>, asks: PendingAsks, stats: SystemStats) {
    this.#target = target
    this.#asks = asks
    this.#stats = stats
  }

  /** Fire and forget. False when the message was not enqueued (mailbox full, the actor has
   * stopped, or it cannot be routed); all are counted. */
  tell (msg: M): boolean {
    const result = this.#target.deliver(msg)
    if (result === 'full') this.#stats.tellsDropped++
    else if (result instanceof Error) this.#stats.deadLetters++
    return result === 'ok'
  }

  /** Sends the request built around a fresh reply address and resolves with the reply. Rejects
   * with AskTimeoutError, MailboxFullError, ActorStoppedError, or the handler's own error. */
  ask<R> (build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R> {
    return this.#asks.ask(this.#target, build, options)
  }

  /** @internal the kernel's way back from a ref to what is behind it */
  static targetOf<M> (ref: MessageRef<M>): Deliverer<M> { return ref.#target }
}
