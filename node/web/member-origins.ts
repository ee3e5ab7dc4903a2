/** How long the members' web origins are reused before they are read again: a member's origin
 * changes only when it restarts with another address. */
export const MEMBER_ORIGINS_MS = 1_000
/** Origins remembered at most: far more than members a cluster has had, and a bound all the same
 * (the oldest heard goes first). */
export const MAX_MEMBER_ORIGINS = 1_024

/** A member as its record says where browsers reach it (node/mesh MemberView). */
export interface OriginMember {
  readonly status: string
  readonly addresses: { readonly web?: string }
}

/**
 * The web origins of the cluster's members: the chat page of any of them may call this node
 * (CORS), since each serves the same page, and a member's record comes only from a holder of the
 * cluster key (libp2p pnet and noise) and was checked to be a plain origin (isWebOrigin). An origin
 * stays once heard, after its member went down: its pages are still open in browsers, and this is
 * where they fail over to. `up()` is what a page served here may call (its Content-Security-Policy).
 */
export class MemberOrigins {
  readonly #members: () => readonly OriginMember[]
  readonly #self: () => string | undefined
  readonly #now: () => number
  /** Every origin heard, oldest first (a Set keeps insertion order). */
  readonly #heard = new Set<string>()
  #up: string[] = []
  #readAt = -Infinity

  /** @param members the other members as this node hears them; @param self this node's own origin;
   * @param now a clock in ms (tests) @default performance.now */
  constructor (members: () => readonly OriginMember[], self: () => string | undefined, now: () => number = () => performance.now()) {
    this.#members = members
    this.#self = self
    this.#now = now
  }

  /** Whether a page from `origin` (a request's Origin header) was served by a member. */
  has (origin: string): boolean {
    this.#read()
    return this.#heard.has(origin)
  }

  /** The origins of this node and of the members up now, this node's first. */
  up (): string[] {
    this.#read()
    return this.#up
  }

  #read (): void {
    const now = this.#now()
    if (now - this.#readAt < MEMBER_ORIGINS_MS) return
    this.#readAt = now
    const self = this.#self()
    const up = self === undefined ? [] : [self]
    for (const m of this.#members()) {
      const web = m.addresses.web
      if (web === undefined) continue
      if (m.status === 'up' && !up.includes(web)) up.push(web)
      this.#heard.delete(web)
      this.#heard.add(web)
    }
    if (self !== undefined) this.#heard.add(self)
    while (this.#heard.size > MAX_MEMBER_ORIGINS) this.#heard.delete(this.#heard.values().next().value as string)
    this.#up = up
  }
}
