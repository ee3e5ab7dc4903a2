import type { ActorAddress } from './actor-ref.ts'
import type { NodeRole } from './node-role.ts'
import type { HandOff, Release } from './hand-off.ts'
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
   * Asked before `type/key` is activated here from its journal: a promise when another node may
   * hold it live and was asked to hand it off (its messages wait here until the hand-off arrives
   * through RemotingPort.adopt, or the promise settles). @default activate at once
   */
  claim? (type: string, key: string): Promise<void> | undefined
  /**
   * False while this node's view of the cluster is partial (it hears too few members: the minority
   * side of a cut, or back from one and not settled again): it must not activate an entity it does
   * not already hold, though its placement may name it the owner (the other side owns it). What is
   * active here goes on. @default always true
   */
  mayActivate? (): boolean
}

/**
 * What the mesh may do to an actor system once attached (ActorSystem.attachRemoting returns it):
 * the inbound side of location transparency. Nothing else of the system is the mesh's.
 */
export interface RemotingPort {
  /** This node's id. */
  readonly node: string
  /** A message the mesh brought for an entity this node hosts (its owner check is done). Bad type
   * or key come back as an Error result, never a throw: they came off the wire. */
  deliverToEntity (type: string, key: string, msg: unknown): DeliveryResult
  /** A message for the local actor at `path`: from another node (`fromPeer`: the actor's
   * `checkPeer` runs first), or a tell of this node's own to an address of its own. */
  deliverToActor (path: string, msg: unknown, fromPeer?: boolean): DeliveryResult
  /** A reply the mesh brought for an ask of this node. */
  settle (askId: string, outcome: ReplyOutcome): void
  /** The mesh sent the request of this node's ask `askId` to `node` (see failAsksSentTo);
   * `entity`: it was a message for an entity there (not for an actor of that node). */
  askSentTo (askId: string, node: string, entity?: boolean): void
  /** Fails at once every ask of this node whose request went to `node` (the link broke, or it was
   * declared down), or with `actorsOnly` those whose request went to an actor there (a draining
   * node passes entities' messages on: their new owners answer them); returns how many. */
  failAsksSentTo (node: string, error: unknown, actorsOnly?: boolean): number
  /** The role an entity type needs, or undefined for a type not registered here. */
  roleOf (type: string): NodeRole | undefined
  /** Relinquishes the active entities that `keep` rejects (their owner is now another node, which
   * recovers them from their journals): each finishes its mailbox, its writes and its busy work,
   * then stops. Returns how many. */
  relinquish (keep: (type: string, key: string) => boolean): number
  /** Waits (at most `maxMs`) for an activation of `type/key` that is leaving (relinquished or
   * released) to stop, its last writes landed. */
  relinquished (type: string, key: string, maxMs: number): Promise<void>
  /** Live migration, old owner: stops `type/key` here and says what its new owner needs (see
   * LiveMove.release); its messages wait here until finishRelease. */
  release (type: string, key: string, opts: { readonly busyMs: number, readonly graceMs: number }): Promise<Release>
  /** Live migration, old owner: what waited goes to `to` (undefined: routed as usual), `unsent`
   * (in the hand-off, not taken) first. */
  finishRelease (type: string, key: string, to: string | undefined, unsent?: readonly unknown[]): void
  /** Live migration, new owner: activates `type/key` from the old owner's hand-off. */
  adopt (type: string, key: string, handOff: HandOff): Promise<'ok' | Error>
  /** Whether this node takes messages for `type/key` now (active here, or moving either way). */
  hosts (type: string, key: string): boolean
  /** The entities active here, as [type, key]. */
  activeEntities (): Array<[string, string]>
  /** Placement's view changed (the mesh calls it on every change): forwards set while this node
   * still owned their entity in its view now follow the view (EntityForwards). */
  viewChanged (): void
  /** Entities whose messages wait here for a move, and how many messages. */
  buffered (): { entities: number, messages: number }
}
