import { isIP } from 'node:net'
import { ForbiddenHostError } from './errors.ts'

/** The names a loopback listener answers to (the SDK's localhostHostValidation's list). */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]']

/** What a request says about where it was meant to go. */
export interface RequestHosts {
  readonly host?: string | undefined
  readonly origin?: string | undefined
}

/** Throws ForbiddenHostError for a request the endpoint must not answer; returns otherwise. */
export type HostCheck = (request: RequestHosts) => void

/**
 * DNS-rebinding protection (the spec's "Security Warning" for streamable HTTP; the SDK's
 * hostHeaderValidation, port-agnostic). On a loopback listener, a web page whose name was made to
 * resolve to 127.0.0.1 reaches the endpoint from the user's browser with its own name in Host and
 * Origin: the request is refused unless its Host is a loopback name, and so must be its Origin
 * when it sends one. A listener on another address is reached by names the node cannot know (a
 * DNS name, a proxy's); there every request carries a user's token, which a page cannot make a
 * browser send, so neither is checked there.
 */
export function hostCheck (listenHost: string): HostCheck {
  if (!isLoopback(listenHost)) return () => undefined
  return ({ host, origin }) => {
    const name = hostnameOf(host === undefined ? undefined : `http://${host}`)
    if (name === undefined || !LOOPBACK_HOSTNAMES.includes(name)) throw new ForbiddenHostError(`Host ${shown(host)} is not this endpoint's: it answers on ${LOOPBACK_HOSTNAMES.join(', ')} only`)
    if (origin === undefined) return
    const from = hostnameOf(origin)
    if (from === undefined || !LOOPBACK_HOSTNAMES.includes(from)) throw new ForbiddenHostError(`Origin ${shown(origin)} may not use this endpoint: only pages on this machine may`)
  }
}

/** Whether a listen address is loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopback (host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare === 'localhost' || bare === '::1') return true
  return isIP(bare) === 4 && bare.startsWith('127.')
}

/** The hostname of a URL (`[::1]` bracketed, lower case), or undefined when it is none. */
function hostnameOf (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.hostname : undefined
  } catch {
    return undefined
  }
}

function shown (value: string | undefined): string {
  if (value === undefined) return '(none)'
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
}
