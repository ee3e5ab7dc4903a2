/**
 * Which members have been up long enough to take entities: a member that joins a cluster this node
 * already serves, or comes back after it was down or draining, becomes a placement candidate only
 * once it stayed up `settleMs` (a member whose link flaps does not drag entities back and forth).
 * Members heard before this node serves count at once: they are the cluster it joins.
 */
export class Settling {
  readonly #settleMs: number
  readonly #upSince = new Map<string, number>()

  constructor (settleMs: number) {
    if (!(settleMs >= 0)) throw new RangeError(`settleMs must be >= 0, got ${settleMs}`)
    this.#settleMs = settleMs
  }

  /**
   * Takes the members as heard now; returns the peer ids settled (up or suspect, and up long
   * enough) and when the next one settles (ms from now; undefined: none is waiting).
   */
  update (members: ReadonlyArray<{ readonly peerId: string, readonly status: string }>, serving: boolean, now: number): { settled: Set<string>, nextInMs: number | undefined } {
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
      if (wait <= 0) settled.add(m.peerId)
      else nextInMs = Math.min(nextInMs ?? Infinity, wait)
    }
    for (const peer of [...this.#upSince.keys()]) if (!seen.has(peer)) this.#upSince.delete(peer)
    return { settled, nextInMs }
  }
}
