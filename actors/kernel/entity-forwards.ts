import { FORWARD_MS } from './constants.ts'
import type { EntityRegistry, RegisteredType } from './entity-registry.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { Remoting } from './remoting.ts'

interface Forward {
  readonly to: string
  readonly until: number
  /** This node's view still gave it the entity when it moved (see moved). */
  ownedHere: boolean
}

/**
 * Entities that moved away from this node in a live move: where their messages go, and until when
 * (FORWARD_MS), while the senders' placement catches up.
 */
export class EntityForwards {
  readonly #node: string
  readonly #registry: EntityRegistry
  readonly #remoting: () => Remoting | undefined
  readonly #forward = new Map<string, Forward>()

  constructor (node: string, registry: EntityRegistry, remoting: () => Remoting | undefined) {
    this.#node = node
    this.#registry = registry
    this.#remoting = remoting
  }

  /**
   * A release of `id` ended: its messages go to `to` (the new owner) for FORWARD_MS; with no `to`
   * (the hand-off failed), or `to` this node, no forward stays. ownedHere: this node's view still
   * gave it the entity when it moved (an admin's move, whose pin the view has not heard yet): the
   * forward then holds until the view says otherwise (viewChanged).
   */
  moved ({ def }: RegisteredType, key: string, id: string, to: string | undefined): void {
    const ownedHere = to !== undefined && this.#remoting()?.ownerOf(def.type, def.role, key) === this.#node
    if (to !== undefined && to !== this.#node) this.#forward.set(id, { to, until: Date.now() + FORWARD_MS, ownedHere })
    else this.#forward.delete(id)
  }

  /** `id` is taken here again: nothing of it is passed on. */
  drop (id: string): void { this.#forward.delete(id) }

  /**
   * Passes on a message for `type/key`, which has no activation here, to the node it moved to
   * (undefined: no forward holds), while this node's own view does not give the entity back to
   * this node. Once it does (the node it moved to went down or drains, or the view changed back)
   * the forward is stale and dropped: the entity is taken here, after a claim if the node it moved
   * to is still alive. A forward to a node that died would refuse the entity's messages until it
   * expired, and the node placement picks next after the dead one is mostly the one that moved it
   * there. A forward set while this node's view still gave it the entity (an admin's move, whose
   * pin this node has not heard yet) holds until the view next changes (viewChanged).
   */
  pass ({ def }: RegisteredType, key: string, id: string, msg: unknown): DeliveryResult | undefined {
    const forward = this.#forward.get(id)
    const remoting = this.#remoting()
    if (forward === undefined || remoting === undefined) return undefined
    if (forward.until > Date.now() && (forward.ownedHere || remoting.ownerOf(def.type, def.role, key) !== this.#node)) {
      return remoting.toEntity(forward.to, def.type, key, msg)
    }
    this.#forward.delete(id)
    return undefined
  }

  /** Placement's view changed: a forward set while this node still owned its entity follows the
   * view from the first change that names another owner (the pin was heard). */
  viewChanged (): void {
    const remoting = this.#remoting()
    if (remoting === undefined) return
    for (const [id, forward] of this.#forward) {
      if (!forward.ownedHere) continue
      const slash = id.indexOf('/')
      const registered = this.#registry.find(id.slice(0, slash))
      if (registered !== undefined && remoting.ownerOf(registered.def.type, registered.def.role, id.slice(slash + 1)) !== this.#node) forward.ownedHere = false
    }
  }
}
