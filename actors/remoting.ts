import type { ActorAddress } from './actor-ref.ts'
import type { NodeRole } from './node-role.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { ReplyTo } from './reply-to.ts'

/** How an ask ended, as it travels back to the node that asked. */
export type ReplyOutcome = { readonly value: unknown } | { readonly error: unknown }

/**
 * What an actor system needs from the mesh to make addresses location-transparent: who owns an
 * entity, and how to hand a message, or a reply, to another node. The system calls it only for
 * targets that are not local; without one attached, everything is local.
 */
export interface Remoting {
  /** The node (peer id) that owns `type/key` now, this node's own id included, or an Error saying
   * why none can (e.g. no member holds the role). */
  ownerOf (type: string, role: NodeRole, key: string): string | Error
  /** Hands a message to the entity on `node` (never this node). 'ok' once it is on its way. */
  toEntity (node: string, type: string, key: string, msg: unknown): DeliveryResult
  /** Hands a message to the actor at `address` on another node. */
  toActor (address: ActorAddress, msg: unknown): DeliveryResult
  /** Sends the outcome of an ask to the node waiting for it. */
  reply (to: ReplyTo<unknown>, outcome: ReplyOutcome): void
  /**
   * Called when an entity is activated here, before it recovers from the local journal: brings
   * the local journal up to the longest one a reachable member holds (the entity lived there
   * before). Never rejects; what cannot be reached is left out.
   */
  catchUp? (entityId: string): Promise<void>
}
