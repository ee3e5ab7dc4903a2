import type { MemberView } from './membership.ts'
import type { Placement } from './placement.ts'

/** How long the members' gRPC addresses are reused before they are read again: a member's address
 * changes only when it restarts, and a client sent to one that stopped comes back at its next
 * failure (protocols/grpc AGENT_NODE_HEADER). */
export const OWNER_ADDRESSES_MS = 1_000

export interface OwnerAddressesOptions {
  readonly placement: Pick<Placement, 'ownerOf' | 'self'>
  /** Whether `type/key` is active here (or moving either way): this node serves it. */
  readonly hosts: (type: string, key: string) => boolean
  /** The other members as this node hears them. */
  readonly members: () => readonly MemberView[]
}

/**
 * Where a client should call for an entity: the gRPC address of the member that owns it now, when
 * that is another member, up, whose record names an address a client can dial. A wildcard listen
 * address (0.0.0.0, ::) names no host, so it is never given: the client stays where it is.
 */
export class OwnerAddresses {
  readonly #opts: OwnerAddressesOptions
  #addresses = new Map<string, string>()
  #readAt = -Infinity

  constructor (opts: OwnerAddressesOptions) {
    this.#opts = opts
  }

  /** The owner's gRPC address, or undefined: this node owns or hosts `type/key`, or no address of
   * its owner can be given. */
  of (type: string, role: string, key: string): string | undefined {
    const { placement, hosts } = this.#opts
    const owner = placement.ownerOf(type, role, key)
    if (typeof owner !== 'string' || owner === placement.self || hosts(type, key)) return undefined
    return this.#read().get(owner)
  }

  #read (): Map<string, string> {
    const now = performance.now()
    if (now - this.#readAt < OWNER_ADDRESSES_MS) return this.#addresses
    const addresses = new Map<string, string>()
    for (const m of this.#opts.members()) if (m.status === 'up' && dialable(m.addresses.grpc)) addresses.set(m.peerId, m.addresses.grpc)
    this.#addresses = addresses
    this.#readAt = now
    return addresses
  }
}

/** A `host:port` with a host a client can dial: not a wildcard, not port 0. */
export function dialable (address: string): boolean {
  const colon = address.lastIndexOf(':')
  if (colon <= 0) return false
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  const port = Number(address.slice(colon + 1))
  return Number.isInteger(port) && port > 0 && port < 65536 && host !== '0.0.0.0' && host !== '::' && host !== ''
}
