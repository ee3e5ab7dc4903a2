import type { Metadata } from '@grpc/grpc-js'
import { AGENT_NODE_HEADER } from './agent-node-header.ts'

/** How long an address whose call failed is not followed again: the node that names it may not
 * have seen its owner stop yet (its view changes within the failure timeout). */
export const UNFOLLOWED_MS = 30_000
/** Users whose agent's node is remembered, at most (the oldest learnt is forgotten first). */
export const AGENT_ROUTES_MAX = 100_000

/**
 * The client's half of AGENT_NODE_HEADER: where a client sends each user's Agent calls. A user's
 * calls go to the address the client was given until one is answered with the header; then to
 * the node it names, which owns the user's agent and answers without a hop over the mesh. Any
 * failure of a call sent there sends the user's calls back to the given address (which names the
 * agent's node again once it knows it: the owner moved, or stopped and was replaced), and that
 * address is not followed again for UNFOLLOWED_MS. A call that reached a node and was answered
 * with an error may have done its work: the caller decides whether to send it again.
 */
export class AgentRoutes {
  readonly given: string
  readonly #learnt = new Map<string, string>()
  readonly #unfollowed = new Map<string, number>()
  readonly #now: () => number

  /** `now`: ms, monotonic (injected in specs). */
  constructor (given: string, now: () => number = () => performance.now()) {
    this.given = given
    this.#now = now
  }

  /** Where `user`'s next Agent call goes. */
  target (user: string): string {
    return this.#learnt.get(user) ?? this.given
  }

  /** The response headers of `user`'s call sent to `at`: a node named is followed from now on. */
  heard (user: string, at: string, metadata: Metadata): void {
    const named = metadata.get(AGENT_NODE_HEADER)[0]
    // only an address a client can dial is followed (`host:port`, `[v6]:port`): anything else a
    // node sends is ignored, and the calls stay where they go
    if (typeof named !== 'string' || !isDialable(named) || named === at) return
    const until = this.#unfollowed.get(named)
    if (until !== undefined) {
      if (until > this.#now()) return
      this.#unfollowed.delete(named)
    }
    if (named === this.given) {
      this.#learnt.delete(user)
      return
    }
    this.#learnt.delete(user)
    this.#learnt.set(user, named)
    if (this.#learnt.size > AGENT_ROUTES_MAX) {
      const oldest = this.#learnt.keys().next()
      if (oldest.done !== true) this.#learnt.delete(oldest.value)
    }
  }

  /** `user`'s call sent to `at` failed: back to the given address, and `at` is not followed for a
   * while. Returns whether it went back (the call may be sent again to the given address). */
  failed (user: string, at: string): boolean {
    if (at === this.given) return false
    this.#unfollowed.set(at, this.#now() + UNFOLLOWED_MS)
    for (const [u, address] of this.#learnt) if (address === at) this.#learnt.delete(u)
    this.#learnt.delete(user)
    return true
  }
}

/** `host:port` or `[v6 address]:port`, a port 1-65535, at most 300 characters, no spaces or slashes. */
function isDialable (address: string): boolean {
  if (address.length > 300) return false
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address)
  if (m === null) return false
  const port = Number(m[2])
  return port >= 1 && port <= 65_535
}
