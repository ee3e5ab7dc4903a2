import { PartialViewError } from './errors.ts'
import type { RegisteredType } from './entity-registry.ts'
import type { EntityTable } from './entity-table.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { Remoting } from './remoting.ts'

/** What claims need of the entity host. */
export interface ClaimsHost {
  /** The node stops: nothing is claimed or activated any more. */
  readonly closed: boolean
  /** Delivers to the activation here, starting one from the journal if there is none. */
  deliverNow (registered: RegisteredType, key: string, id: string, msg: unknown): DeliveryResult
  /** A message taken earlier ('ok' was answered) that could not be delivered after all. */
  settleDelivery (msg: unknown, id: string, result: DeliveryResult): void
}

/**
 * Claims: before an entity is activated here from its journal, the node that may still hold it
 * live is asked to hand it off (Remoting.claim). Its messages wait here (EntityTable.claimed) until
 * the hand-off arrives (LiveMove.adopt takes them) or the claim ends without one (then it is
 * activated from its journal).
 */
export class EntityClaims {
  readonly #table: EntityTable
  readonly #remoting: () => Remoting | undefined
  readonly #host: ClaimsHost

  constructor (table: EntityTable, remoting: () => Remoting | undefined, host: ClaimsHost) {
    this.#table = table
    this.#remoting = remoting
    this.#host = host
  }

  /**
   * The first message for `id`, which has no activation here: it waits for a claim (then 'ok'), or
   * undefined (no claim: deliver it now). `fromPeer`: a peer's message may have come right behind
   * the entity's hand-off (the old owner passes on what arrives as soon as the hand-off is on its
   * way, on the same link), whose adopt then waits in this node's /migration mailbox: it waits
   * here a turn, for that adopt to take it, before the claim.
   */
  first (registered: RegisteredType, key: string, id: string, msg: unknown, fromPeer: boolean): DeliveryResult | undefined {
    if (fromPeer) {
      const waiting = this.#table.claimed(id, msg)
      setImmediate(() => { if (this.#table.incoming(id) === waiting) this.#claimOrActivate(registered, key, id) })
      return 'ok'
    }
    const claim = this.#remoting()?.claim?.(registered.def.type, key)
    if (claim === undefined) return undefined
    this.#table.claimed(id, msg)
    const ended = (): void => { this.#ended(registered, key, id) }
    claim.then(ended, ended)
    return 'ok'
  }

  /** Messages wait here for `id` and no hand-off took them: its previous owner is asked to hand it
   * off (the claim hook), or it is activated here from its journal. */
  #claimOrActivate (registered: RegisteredType, key: string, id: string): void {
    const ended = (): void => { this.#ended(registered, key, id) }
    const claim = this.#host.closed ? undefined : this.#remoting()?.claim?.(registered.def.type, key)
    if (claim === undefined) ended()
    else claim.then(ended, ended)
  }

  /** Messages that waited for a claim that ended without a hand-off: the entity is activated
   * here from its journal (placement says it is this node's), unless this node's view turned
   * partial while the claim ran (a cut began: the previous owner did not answer because it is on
   * the other side, where it may still hold the entity): then they are refused as any message for
   * an entity not active here is (PartialViewError: their askers retry, or go to another node). */
  #ended (registered: RegisteredType, key: string, id: string): void {
    const incoming = this.#table.claimEnded(id)
    if (incoming === undefined) return
    const activeHere = this.#table.live(id) !== undefined
    const refused = !activeHere && this.#remoting()?.mayActivate?.() === false ? new PartialViewError(id) : undefined
    for (const msg of incoming.buffer) this.#host.settleDelivery(msg, id, refused ?? this.#host.deliverNow(registered, key, id, msg))
  }
}
