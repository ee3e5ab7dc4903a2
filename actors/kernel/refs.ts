import type { ActorAddress, ActorRef } from './actor-ref.ts'
import type { EntityRef } from './entity-ref.ts'
import type { EntityTypeKey } from './entity-type-key.ts'

/**
 * How a behaviour reaches beyond itself: entities by typed key, actors by address (on any node),
 * local actors by path. Behaviours get this, never the whole actor system: where an entity lives
 * is the kernel's and the mesh's business, not theirs.
 */
export interface Refs {
  /** This node's id (its peer id in a cluster). */
  readonly node: string
  /** The entity `type/key`, wherever it lives (activated on its first message). Throws
   * UnknownEntityTypeError or InvalidNameError. */
  entity<M> (type: EntityTypeKey<M>, key: string): EntityRef<M>
  /** The actor at `address`, on this node or another. A local path with no actor behind it gives a
   * ref whose messages are dead letters. */
  actorAt<M> (address: ActorAddress): ActorRef<M>
  /** The live actor at `path` on this node (e.g. `/chat-gateway`), or undefined. */
  lookup<M = unknown> (path: string): ActorRef<M> | undefined
}
