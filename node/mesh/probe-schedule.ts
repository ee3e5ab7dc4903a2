import { PROBE_FANOUT } from './constants.ts'

/**
 * Which members a node probes on one tick of its probe timer (SWIM's round-robin probe target
 * selection, Das et al. 2002, section 4.3): every member "in focus" (one whose last round went
 * unanswered, that answered only through others, that another member reported, or that never
 * answered yet), and PROBE_FANOUT others taken in turn from a shuffled ring of the rest. A pass
 * over the ring reshuffles it, and a member first seen joins it at a random place: each member is
 * probed by this node at least once every ceil((N - 1) / PROBE_FANOUT) ticks, and the whole
 * cluster probes each member about PROBE_FANOUT times a tick, whatever N. A cluster of at most
 * PROBE_FANOUT + 1 members probes every member every tick (as before bounded probing).
 *
 * Pure: the members and the focus are given, and randomness is injected (the simulator runs it).
 */
export class ProbeSchedule {
  readonly #random: () => number
  readonly #fanout: number
  #ring: string[] = []
  #at = 0
  /** The list the ring was last made from (a caller that passes the same array again, unchanged,
   * skips the comparison). */
  #from: readonly string[] | undefined

  constructor (opts: { readonly random?: () => number, readonly fanout?: number } = {}) {
    this.#random = opts.random ?? Math.random
    this.#fanout = opts.fanout ?? PROBE_FANOUT
    if (!Number.isSafeInteger(this.#fanout) || this.#fanout < 1) throw new RangeError(`fanout must be a whole number >= 1, got ${this.#fanout}`)
  }

  /** The members to probe on this tick (`members`: every member but this node; a frozen array
   * passed again is taken as unchanged). */
  next (members: readonly string[], focus: (peer: string) => boolean): string[] {
    this.#sync(members)
    const out: string[] = []
    const chosen = new Set<string>()
    for (const peer of members) {
      if (focus(peer)) {
        out.push(peer)
        chosen.add(peer)
      }
    }
    const ring = this.#ring
    let taken = 0
    // at most one pass of the ring a tick: a small cluster's members are each probed once
    for (let seen = 0; seen < ring.length && taken < this.#fanout; seen++) {
      if (this.#at >= ring.length) this.#reshuffle()
      const peer = ring[this.#at++] as string
      if (chosen.has(peer)) continue
      out.push(peer)
      chosen.add(peer)
      taken++
    }
    return out
  }

  /** Members no longer listed leave the ring; new ones join it at a random place after the
   * cursor (probed within this pass). */
  #sync (members: readonly string[]): void {
    if (members === this.#from) return
    this.#from = Object.isFrozen(members) ? members : undefined
    const listed = new Set(members)
    if (this.#ring.length === listed.size && this.#ring.every((p) => listed.has(p))) return
    const kept: string[] = []
    let at = this.#at
    for (let i = 0; i < this.#ring.length; i++) {
      const peer = this.#ring[i] as string
      if (listed.has(peer)) kept.push(peer)
      else if (i < this.#at) at--
    }
    const known = new Set(kept)
    for (const peer of members) {
      if (known.has(peer)) continue
      // appended, then swapped with a random place of the rest of this pass (not spliced in: a
      // node that hears a thousand members at once would move the ring a thousand times)
      kept.push(peer)
      const place = at + Math.floor(this.#random() * (kept.length - at))
      ;[kept[place], kept[kept.length - 1]] = [kept[kept.length - 1] as string, kept[place] as string]
      known.add(peer)
    }
    this.#ring = kept
    this.#at = at
  }

  #reshuffle (): void {
    const ring = this.#ring
    for (let i = ring.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1))
      ;[ring[i], ring[j]] = [ring[j] as string, ring[i] as string]
    }
    this.#at = 0
  }
}
