import { dialable } from './owner-addresses.ts'
import type { MemberView } from './membership.ts'

/** A member as a client reaches it (plexi.chat.v1 ChatNode): its web origin and gRPC address,
 * each '' when a client has none it can reach. */
export interface ClientAddress {
  readonly web: string
  readonly grpc: string
  readonly self: boolean
}

/**
 * Where clients may go when their node stops answering (the Chat service's Nodes call): this node
 * first, then every other member that is up and names an address a client can reach (a browser
 * its web origin, any other client its gRPC address, never a wildcard). A member suspect, draining,
 * joining or down is left out: a client sent there would be sent away again.
 */
export function clientAddresses (self: { readonly grpc: string, readonly web?: string | undefined }, members: readonly Pick<MemberView, 'status' | 'addresses'>[]): ClientAddress[] {
  const out: ClientAddress[] = [{ web: self.web ?? '', grpc: dialable(self.grpc) ? self.grpc : '', self: true }]
  for (const m of members) {
    if (m.status !== 'up') continue
    const address = { web: m.addresses.web ?? '', grpc: dialable(m.addresses.grpc) ? m.addresses.grpc : '', self: false }
    if (address.web !== '' || address.grpc !== '') out.push(address)
  }
  return out
}
