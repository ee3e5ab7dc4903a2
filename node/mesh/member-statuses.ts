import type { MemberView } from './membership.ts'

/** What the mesh does when a member's status changes (the actor transport). */
export interface MemberLinks {
  /** A member was declared down: its link closes and the asks sent to it fail now. */
  peerDown (peer: string): void
  /** A member is up or joining: its link's stream is opened now. */
  warm (peer: string): void
}

/**
 * The members' statuses as this node's refreshes saw them: a member newly down is said (at info
 * when it drained first: an operator's rolling restart; else at warn) and its link closed; one back
 * is said; one up or joining gets its link now. It remembers which members drained (they left
 * gracefully, handing what they were sent to the entities' new owners).
 */
export class MemberStatuses {
  readonly #self: string
  readonly #log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  readonly #down = new Set<string>()
  /** Members last seen draining (and not up since, down or not). */
  readonly #drained = new Set<string>()

  constructor (self: string, log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }) {
    this.#self = self
    this.#log = log
  }

  /** Whether `peer` was last seen draining (and not up since). */
  drained (peer: string): boolean {
    return this.#drained.has(peer)
  }

  /** Takes the members heard now; `links` (absent for a node alone) hears of the changes. */
  update (members: readonly MemberView[], links: MemberLinks | undefined): void {
    for (const m of members) {
      if (m.status === 'draining') this.#drained.add(m.peerId)
      else if (m.status === 'up' || m.status === 'joining') this.#drained.delete(m.peerId)
      if (m.status === 'down' && !this.#down.has(m.peerId)) {
        this.#down.add(m.peerId)
        // one that drained and exited is where an operator left it (a rolling restart): no warning
        if (this.#drained.has(m.peerId)) this.#log.info({ peer: m.peerId }, `member ${m.peerId} is gone after its drain`)
        else this.#log.warn({ peer: m.peerId }, `member ${m.peerId} is down (its process is gone, or it answered no probe, directly or through another member, for the failure timeout); its entities move`)
        links?.peerDown(m.peerId)
      } else if (m.status !== 'down' && this.#down.delete(m.peerId)) {
        this.#log.info({ peer: m.peerId }, `member ${m.peerId} is back`)
      }
      // a member up or joining gets its stream now, not with the first message (an entity moving
      // there would wait for the negotiation)
      if ((m.status === 'up' || m.status === 'joining') && m.peerId !== this.#self) links?.warm(m.peerId)
    }
  }
}
