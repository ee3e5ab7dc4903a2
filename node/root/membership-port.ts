/** A member as the parts that are not the mesh's read it. */
export interface PortMember {
  readonly peerId: string
  readonly status: string
  readonly lastSeen: number
  readonly roles: readonly string[]
  readonly models?: readonly string[]
  /** The latest roster version it applied (its record's). */
  readonly rosterVersion?: number
}

/** What the mesh binds to the port once it runs. */
export interface MembershipSource {
  /** Other members as this node sees them now (the p2p host's view). */
  members (): readonly PortMember[]
  /** Publishes this node's record now. */
  announce (): void
  /** Whether this node takes entities of all its roles yet (it settled after joining). */
  settled (): boolean
}

/**
 * Membership and readiness for the parts that start before the mesh (the journal reaches live
 * replicas, the model manager announces what it loaded, the member record says whether this node
 * settled): one port, bound once by the mesh part, instead of a late-bound reference per reader.
 * Until it is bound (and on a node alone, with no p2p host) there are no other members, nothing
 * to announce, and this node has not settled.
 */
export class MembershipPort {
  #source: MembershipSource | undefined

  /** Binds the mesh (once). */
  bind (source: MembershipSource): void {
    if (this.#source !== undefined) throw new Error('the membership port is bound already')
    this.#source = source
  }

  /** Other members (none until the mesh runs). */
  members (): readonly PortMember[] {
    return this.#source?.members() ?? []
  }

  /** Peer ids of the other members not down: the ones a replica, a repair or a forward may try. */
  live (): Set<string> {
    return new Set(this.members().filter((m) => m.status !== 'down').map((m) => m.peerId))
  }

  /** Whether `peer` is another member not down. */
  isLive (peer: string): boolean {
    return this.members().some((m) => m.peerId === peer && m.status !== 'down')
  }

  announce (): void {
    this.#source?.announce()
  }

  settled (): boolean {
    return this.#source?.settled() ?? false
  }
}
