import { formatHostPort } from '../../config/index.ts'
import type { HostPort } from '../../config/index.ts'

/**
 * The origin browsers reach this node's user listener at, as its member record says it (the chat
 * page of another member moves here when its own node stops answering, and this node's page is
 * let call the others): `web-advertise` when set, else the address it listens on with http, or
 * https with TLS. A wildcard listen address (0.0.0.0, ::) names no host a browser can reach, so
 * without web-advertise there is none: the same rule as the gRPC address an Agent call names
 * (node/mesh OwnerAddresses never gives a wildcard).
 */
export function webOrigin (listen: HostPort, tls: boolean, advertise?: string): string | undefined {
  if (advertise !== undefined) return advertise
  if (listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' || listen.port === 0) return undefined
  // URL's origin is the one form: lower-case host, the scheme's default port dropped
  return new URL(`${tls ? 'https' : 'http'}://${formatHostPort(listen)}`).origin
}
