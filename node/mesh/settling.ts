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
 * by its own clock). Members heard before this node has settled itself (it just started, or came
 * back from a cut: Cluster.refresh) are the cluster it joins: what their records say is all that
 * counts, so its view agrees with the view of the members that were there all along. (Settling
 * never leaves a role without an owner: Cluster.refresh gives a role no settled member holds to
 * every member up that holds it.)
 */
export class Settling {
  readonly #settleMs: number
  readonly #upSince = new Map<string, number>()

  constructor (settleMs: number) {
    if (!(settleMs >= 0)) throw new RangeError(`settleMs must be >= 0, got ${settleMs}`)
    this.#settleMs = settleMs
  }

  /**
   * Takes the members as heard now; returns the peer ids settled (up or suspect, up long enough in
   * this view, and settled by their own record: a record without `settled` is of a version that
   * does not say, and counts as settled) and when the next one settles in this view (ms from now;
   * undefined: none is waiting on this node's clock). `serving`: this node serves and has settled
   * itself, so what its clock sees of others counts (a member first seen up now waits settleMs).
   */
  update (members: ReadonlyArray<{ readonly peerId: string, readonly status: string, readonly settled?: boolean }>, serving: boolean, now: number): { settled: Set<string>, nextInMs: number | undefined } {
    const settled = new Set<string>()
    let nextInMs: number | undefined
    const seen = new Set<string>()
    for (const m of members) {
      seen.add(m.peerId)
      if (m.status !== 'up' && m.status !== 'suspect') {
        this.#upSince.delete(m.peerId)
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
    for (const peer of [...this.#upSince.keys()]) if (!seen.has(peer)) this.#upSince.delete(peer)
    return { settled, nextInMs }
  }
}
