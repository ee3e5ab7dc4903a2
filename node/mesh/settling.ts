/** A member that joins or comes back takes entities once it has been up for the failure timeout,
 * at most this long (no flapping: a member whose link flaps does not drag entities back and
 * forth; and a member that just restarted first absorbs its replicas' catch-up and warms its code,
 * which made the first moves back to it pause 2-3x longer when it took entities after 750 ms). */
export const MEMBER_SETTLE_MAX_MS = 3_000

/**
 * Which members have been up long enough to take entities: a member that joins a cluster this node
 * already serves, or comes back after it was down or draining, becomes a placement candidate only
 * once it stayed up `settleMs` in this node's view (a member whose link flaps does not drag entities
 * back and forth) and says of itself that it settled (its record's `settled`: it served that long,
 * by its own clock). Members heard before this node serves are the cluster it joins: what their
 * records say is all that counts.
 *
 * Settling delays a member while others can serve its roles; it never leaves a role without an
 * owner. A role that no settled member holds goes to the members up that hold it (the cluster's
 * view decides this, see Cluster.refresh), and they are `promote`d: candidates of that role from
 * then on, settled or not, while they stay up (so that the first of them to settle does not take
 * the others' entities, to give them back a moment later).
 */
export class Settling {
  readonly #settleMs: number
  readonly #upSince = new Map<string, number>()
  /** Members taken for a role before they settled, by peer id: the roles. */
  readonly #promoted = new Map<string, Set<string>>()

  constructor (settleMs: number) {
    if (!(settleMs >= 0)) throw new RangeError(`settleMs must be >= 0, got ${settleMs}`)
    this.#settleMs = settleMs
  }

  /**
   * Takes the members as heard now; returns the peer ids settled (up or suspect, up long enough in
   * this view, and settled by their own record: a record without `settled` is of a version that
   * does not say, and counts as settled) and when the next one settles in this view (ms from now;
   * undefined: none is waiting on this node's clock).
   */
  update (members: ReadonlyArray<{ readonly peerId: string, readonly status: string, readonly settled?: boolean }>, serving: boolean, now: number): { settled: Set<string>, nextInMs: number | undefined } {
    const settled = new Set<string>()
    let nextInMs: number | undefined
    const seen = new Set<string>()
    for (const m of members) {
      seen.add(m.peerId)
      if (m.status !== 'up' && m.status !== 'suspect') {
        this.#upSince.delete(m.peerId)
        this.#promoted.delete(m.peerId)
        continue
      }
      let since = this.#upSince.get(m.peerId)
      if (since === undefined) {
        since = serving ? now : -Infinity
        this.#upSince.set(m.peerId, since)
      }
      const wait = since + this.#settleMs - now
      if (wait > 0) nextInMs = Math.min(nextInMs ?? Infinity, wait)
      else if (m.settled !== false) settled.add(m.peerId)
    }
    for (const peer of [...this.#upSince.keys()]) {
      if (seen.has(peer)) continue
      this.#upSince.delete(peer)
      this.#promoted.delete(peer)
    }
    return { settled, nextInMs }
  }

  /** `peer` takes entities of `role` from now on, settled or not, while it stays up. */
  promote (peer: string, role: string): void {
    const roles = this.#promoted.get(peer) ?? new Set<string>()
    roles.add(role)
    this.#promoted.set(peer, roles)
  }

  /** Whether `peer` was promoted for `role` (and stayed up since). */
  promoted (peer: string, role: string): boolean {
    return this.#promoted.get(peer)?.has(role) === true
  }
}
