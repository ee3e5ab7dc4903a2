import type { ActorAddress, DeliveryResult, NodeRole, Remoting } from '../../actors/index.ts'
import { PeerUnreachableError } from './errors.ts'
import type { Placement } from './placement.ts'

/**
 * The Remoting of a node without a cluster key: a cluster of one. Placement still applies the
 * node's roles (an entity whose role this node lacks has no owner: NoOwnerError), and nothing
 * ever goes to another node.
 */
export class LoneRemoting implements Remoting {
  readonly #placement: Placement

  constructor (placement: Placement) {
    this.#placement = placement
  }

  ownerOf (type: string, role: NodeRole, key: string): string | Error {
    return this.#placement.ownerOf(type, role, key)
  }

  toEntity (node: string): DeliveryResult {
    return new PeerUnreachableError(node, 'this node runs alone (no cluster key)')
  }

  toActor (address: ActorAddress): DeliveryResult {
    return new PeerUnreachableError(address.node, 'this node runs alone (no cluster key)')
  }

  reply (): void {}
}
