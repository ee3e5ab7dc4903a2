import { isIP, isIPv4, isIPv6 } from 'node:net'

/** What a client whose address is not known (a unix socket, a closed connection) is counted as:
 * all such clients share one set of limits. */
export const UNKNOWN_CLIENT = 'unknown'

/**
 * A client's IP address from what the servers give: an address alone (Node's `remoteAddress`,
 * Fastify's `request.ip`, grpc-js's `getConnectionInfo().remoteAddress`) or gRPC's peer strings
 * (`ipv4:1.2.3.4:5555`, `ipv6:[::1]:5555`, `[::1]:5555`, `1.2.3.4:5555`). Not grpc-js 1.14's
 * `getPeer()` for IPv6 clients: `::1:5555` is itself a valid IPv6 address, so its port cannot be
 * told apart. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket reports for
 * an IPv4 client) is the IPv4 address, so one client is one key however it connects. Anything
 * else is UNKNOWN_CLIENT.
 */
export function clientAddress (peer: string | undefined): string {
  if (peer === undefined) return UNKNOWN_CLIENT
  let text = peer.trim().replace(/^ipv[46]:/i, '')
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    text = close < 0 ? '' : text.slice(1, close)
  } else if (isIP(withoutZone(text)) === 0) {
    // address:port; an IPv6 address without brackets (grpc-js) still ends in its port
    text = text.replace(/:\d{1,5}$/, '')
  }
  text = withoutZone(text).toLowerCase()
  if (isIPv4(text)) return text
  if (!isIPv6(text)) return UNKNOWN_CLIENT
  const groups = ipv6Groups(text)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return text
}

/**
 * The key a client's limits are kept under: an IPv4 address, or the /64 network of an IPv6 one
 * (one host or one home usually holds a whole /64, and picking a new address in it costs nothing:
 * a limit per IPv6 address would limit nothing).
 */
export function clientKey (address: string): string {
  if (!isIPv6(address)) return address
  return `${ipv6Groups(address).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

function withoutZone (address: string): string {
  const zone = address.indexOf('%')
  return zone < 0 ? address : address.slice(0, zone)
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups (address: string): number[] {
  let text = address
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string | undefined): number[] => part === undefined || part === '' ? [] : part.split(':').map((h) => parseInt(h, 16))
  const first = parse(head)
  const last = parse(tail)
  return [...first, ...new Array<number>(Math.max(0, 8 - first.length - last.length)).fill(0), ...last]
}
