import { MISSED_ROUNDS_BEFORE_DOWN, PROBE_TIMEOUT_DEVIATIONS, UNHEARD_AFTER_MISSES, probeTiming } from './constants.ts'
import type { ProbeTiming } from './constants.ts'

/** What probes say of a member: it answers ('alive'), a probe of it went unanswered and no verdict
 * yet ('suspect'), or it answered nothing for the failure timeout, directly or through others, or
 * its process is gone ('dead'). */
export type Liveness = 'alive' | 'suspect' | 'dead'

interface PeerState {
  /** When it last answered a probe (directly or through a helper); undefined: never. */
  lastAck: number | undefined
  /** Rounds in a row with no answer, directly or through others. */
  missed: number
  /** A direct probe went unanswered since its last answer. */
  suspect: boolean
  /** Its address refused a connection while none was open: its process is gone. */
  gone: boolean
  /** Its last answer came only through a helper: this node's own path to it is broken. */
  indirect: boolean
  /** Smoothed round trip of its direct answers and its deviation (ms). */
  srtt: number | undefined
  rttvar: number
  /** When it last said in a ping that this node's answers do not reach it (its count of misses). */
  unheardAt: number | undefined
  /** When another member last reported it dead (its rounds went unanswered for the failure
   * timeout); counts as one round missed here until it answers again. */
  reportedAt: number | undefined
  /** The alert this node told (or heard) of it since its last answer: one of each per outage, so
   * that the members who find it out do not each tell everyone (0 none, 1 suspect, 2 dead). */
  alerted: 0 | 1 | 2
}

export interface FailureDetectorOptions {
  /** config `failure-timeout` (ms) */
  readonly failureTimeout: number
  /** A monotonic clock (ms). @default performance.now */
  readonly now?: () => number
}

/**
 * The verdicts of failure detection, from what probes found (node/mesh/prober.ts runs them):
 * SWIM's direct and indirect probes (Das, Gupta, Motivala 2002), with Lifeguard's refinements
 * (Dadgar et al., HashiCorp 2018: nacks, local health, the buddy system) and the adaptive timeout
 * phi accrual argues for (Hayashibara et al. 2004). A member answered is alive at once; one whose
 * direct probe went unanswered is suspect; one that answered nothing, directly or through another
 * member, for MISSED_ROUNDS_BEFORE_DOWN rounds in a row and for the failure timeout is dead, as is
 * one whose process is gone (its address refuses connections). Nothing here keeps time itself:
 * every verdict reads the clock it was given, so tests drive it deterministically.
 */
export class FailureDetector {
  readonly timing: ProbeTiming
  readonly #now: () => number
  readonly #peers = new Map<string, PeerState>()

  constructor (opts: FailureDetectorOptions) {
    this.timing = probeTiming(opts.failureTimeout)
    this.#now = opts.now ?? (() => performance.now())
  }

  #state (peer: string): PeerState {
    let s = this.#peers.get(peer)
    if (s === undefined) {
      s = { lastAck: undefined, missed: 0, suspect: false, gone: false, indirect: false, srtt: undefined, rttvar: 0, unheardAt: undefined, reportedAt: undefined, alerted: 0 }
      this.#peers.set(peer, s)
    }
    return s
  }

  /** The member answered a probe: directly (`rttMs`: the round trip) or through a helper. Returns
   * whether its liveness changed. */
  acked (peer: string, via: { readonly direct: true, readonly rttMs: number } | { readonly direct: false }): boolean {
    const before = this.liveness(peer)
    const s = this.#state(peer)
    s.lastAck = this.#now()
    s.missed = 0
    s.suspect = false
    s.gone = false
    s.reportedAt = undefined
    s.alerted = 0
    s.indirect = !via.direct
    if (via.direct) {
      const r = Math.max(0, via.rttMs)
      if (s.srtt === undefined) {
        s.srtt = r
        s.rttvar = r / 2
      } else {
        s.rttvar = 0.75 * s.rttvar + 0.25 * Math.abs(s.srtt - r)
        s.srtt = 0.875 * s.srtt + 0.125 * r
      }
    }
    return before !== this.liveness(peer)
  }

  /** A direct probe of the member went unanswered (its helpers are asked next). */
  directMissed (peer: string): boolean {
    const before = this.liveness(peer)
    this.#state(peer).suspect = true
    return before !== this.liveness(peer)
  }

  /** A round went unanswered, directly and through every helper asked (or none could be asked). */
  missed (peer: string): boolean {
    const before = this.liveness(peer)
    const s = this.#state(peer)
    s.suspect = true
    s.missed++
    return before !== this.liveness(peer)
  }

  /** The member's address refused a connection while none was open: its process is gone, dead now. */
  gone (peer: string): boolean {
    const before = this.liveness(peer)
    this.#state(peer).gone = true
    return before !== this.liveness(peer)
  }

  /** The member pinged this node saying how many of its probes in a row went unanswered: from
   * UNHEARD_AFTER_MISSES on, this node's answers do not reach it; 0, they do again. */
  pinged (peer: string, missed: number): void {
    const s = this.#peers.get(peer)
    if (s === undefined) return
    s.unheardAt = missed >= UNHEARD_AFTER_MISSES ? this.#now() : undefined
  }

  /** Another member says `peer` did not answer it: 'suspect' (a round, direct and through others,
   * went unanswered) or 'dead' (it found it down). Nothing changes here but that this node probes
   * it every tick until it answers (inFocus), and a 'dead' report counts as one round missed (with
   * one round of this node's own unanswered and the failure timeout since its last answer here, it
   * is down: members who do not probe it often learn it within a round of the first who found it).
   * Returns whether this node had not heard or told as much since its last answer. */
  reported (peer: string, verdict: 'suspect' | 'dead'): boolean {
    const s = this.#peers.get(peer)
    if (s === undefined || s.gone) return false
    const level = verdict === 'dead' ? 2 : 1
    if (verdict === 'dead') s.reportedAt = this.#now()
    if (s.alerted >= level) return false
    s.alerted = level
    return true
  }

  /** Whether this node should tell the others that `peer` is `verdict` (its own probes found so):
   * true once per outage and verdict, and not after another member told it the same. */
  shouldAlert (peer: string, verdict: 'suspect' | 'dead'): boolean {
    const s = this.#peers.get(peer)
    const level = verdict === 'dead' ? 2 : 1
    if (s === undefined || s.alerted >= level) return false
    s.alerted = level
    return true
  }

  /** Whether `peer` is probed on every tick, not only in its turn (node/mesh/probe-schedule.ts):
   * it never answered, its last round went unanswered or was answered only through others, or
   * another member reported it, until it is found down. A member down is probed in its turn only
   * (and at once over any new connection to it: the redialer finds a healed path), so that a
   * large share of the cluster cut off does not make every node probe all of it every tick. */
  inFocus (peer: string): boolean {
    const s = this.#peers.get(peer)
    if (s === undefined || s.lastAck === undefined) return !(s?.gone ?? false)
    if (this.liveness(peer) === 'dead') return false
    return s.suspect || s.indirect || s.alerted > 0
  }

  /** Liveness by the probes so far; undefined for a member never answered nor found gone. */
  liveness (peer: string): Liveness | undefined {
    const s = this.#peers.get(peer)
    if (s === undefined) return undefined
    if (s.gone) return 'dead'
    if (s.lastAck === undefined) return undefined
    const reported = s.reportedAt !== undefined ? 1 : 0
    if (s.missed + reported >= MISSED_ROUNDS_BEFORE_DOWN && this.#now() - s.lastAck >= this.timing.failureTimeoutMs) return 'dead'
    return s.suspect ? 'suspect' : 'alive'
  }

  /** When the member last answered (ms, this detector's clock). */
  lastAck (peer: string): number | undefined {
    return this.#peers.get(peer)?.lastAck
  }

  /** Whether the member's process was found gone (its address refused a connection). */
  isGone (peer: string): boolean {
    return this.#peers.get(peer)?.gone === true
  }

  /** Whether its last answer came only through a helper (this node's own path to it is broken). */
  isIndirect (peer: string): boolean {
    return this.#peers.get(peer)?.indirect === true
  }

  /** Whether the member said, within the failure timeout, that this node's answers do not reach it. */
  unhearing (peer: string): boolean {
    const at = this.#peers.get(peer)?.unheardAt
    return at !== undefined && this.#now() - at < this.timing.failureTimeoutMs
  }

  /** How long a direct probe of the member waits: the base timeout, or more for a member whose
   * answers have been slow (smoothed round trip + deviations), at most half the failure timeout. */
  timeoutFor (peer: string): number {
    const s = this.#peers.get(peer)
    const base = this.timing.timeoutMs
    if (s?.srtt === undefined) return base
    const adaptive = s.srtt + PROBE_TIMEOUT_DEVIATIONS * s.rttvar
    return Math.round(Math.max(base, Math.min(this.timing.failureTimeoutMs / 2, adaptive)))
  }

  /** Members this node no longer probes (it left the cluster). */
  forget (peer: string): void {
    this.#peers.delete(peer)
  }
}
