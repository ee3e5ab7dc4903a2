import { BlockList, isIP, isIPv4 } from 'node:net'
import { UNKNOWN_CLIENT, clientAddress } from './client-address.ts'
import { MAX_HOPS } from './constants.ts'


/**
 * The reverse proxies in front of a node (config `trusted-proxies`: addresses and CIDR networks).
 * A request whose connection comes from one of them counts as from the client its
 * `X-Forwarded-For` names (the HTTP header, or gRPC metadata of that name): the list is read from
 * the right, each trusted proxy passing on to the address before it, and the first address not a
 * trusted proxy is the client. What a client wrote further left is never believed, and a request
 * whose connection is not from a trusted proxy is from that connection whatever it says. With no
 * proxies, every request is from its connection.
 */
export class TrustedProxies {
  readonly #list = new BlockList()
  readonly size: number

  /** `entries`: IP addresses and CIDR networks (`10.0.0.0/8`, `::1`, `fd00::/8`), as the config
   * checked them. Throws RangeError on anything else. */
  constructor (entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/')
      const family = isIP(address)
      if (family === 0) throw new RangeError(`not an IP address or CIDR network: ${JSON.stringify(entry)}`)
      const type = family === 4 ? 'ipv4' : 'ipv6'
      if (prefix === undefined) {
        this.#list.addAddress(address, type)
        continue
      }
      const bits = Number(prefix)
      if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new RangeError(`not a CIDR network: ${JSON.stringify(entry)}`)
      this.#list.addSubnet(address, bits, type)
    }
    this.size = entries.length
  }

  /** Whether requests from this address (any form clientAddress reads) are a trusted proxy's. */
  trusts (address: string): boolean {
    if (this.size === 0) return false
    const client = clientAddress(address)
    if (client === UNKNOWN_CLIENT) return false
    return this.#list.check(client, isIPv4(client) ? 'ipv4' : 'ipv6')
  }

  /**
   * The client of a request that came over a connection from `peer` with `forwardedFor` (the
   * header's value, or several values joined by commas): `peer` itself unless it is a trusted
   * proxy. A forwarded entry that is not an address ends the walk at the proxy that passed it on:
   * the proxy is then the client, as it vouched for nothing usable.
   */
  clientOf (peer: string | undefined, forwardedFor: string | undefined): string {
    let client = clientAddress(peer)
    if (forwardedFor === undefined || !this.trusts(client)) return client
    const hops = forwardedFor.split(',').map((s) => s.trim()).filter((s) => s.length > 0).slice(-MAX_HOPS).reverse()
    for (const hop of hops) {
      const next = clientAddress(hop)
      if (next === UNKNOWN_CLIENT) return client
      client = next
      if (!this.trusts(client)) return client
    }
    return client
  }
}

/** Fastify's `trustProxy` for these proxies: `request.ip` is then the first address, from the
 * connection's leftwards through X-Forwarded-For, that is not a trusted proxy (as clientOf). */
export function trusting (proxies: TrustedProxies): (address: string, hop: number) => boolean {
  return (address, hop) => hop < MAX_HOPS && proxies.trusts(address)
}
