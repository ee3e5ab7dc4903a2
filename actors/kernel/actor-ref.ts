import { MAX_ACTOR_PATH_LENGTH, MAX_NODE_ID_LENGTH } from '../../protocols/index.ts'
import { MessageRef } from './message-ref.ts'
import type { Deliverer, PendingAsks } from './pending-asks.ts'
import type { SystemStats } from './system-stats.ts'

/** Address of an actor, as plain data (for listings, logs and, later, the wire). */
export interface ActorAddress {
  readonly node: string
  readonly path: string
}

/** A well-formed actor address: a node id and an absolute path within the wire's limits (an
 * address inside a message may come from another node). */
export function isActorAddress (value: unknown): value is ActorAddress {
  if (typeof value !== 'object' || value === null) return false
  const { node, path } = value as { node?: unknown, path?: unknown }
  return typeof node === 'string' && node.length > 0 && node.length <= MAX_NODE_ID_LENGTH &&
    typeof path === 'string' && path.startsWith('/') && path.length <= MAX_ACTOR_PATH_LENGTH
}

/**
 * A handle to a live actor. It stays valid across restarts (the mailbox is kept); once the actor
 * has stopped, `tell` is a dead letter and `ask` rejects with ActorStoppedError.
 */
export class ActorRef<M> extends MessageRef<M> {
  readonly path: string
  readonly node: string

  constructor (node: string, target: Deliverer<M>, asks: PendingAsks, stats: SystemStats) {
    super(target, asks, stats)
    this.node = node
    this.path = target.path
  }

  get address (): ActorAddress { return { node: this.node, path: this.path } }

  override toString (): string { return `ActorRef(${this.path})` }
}
