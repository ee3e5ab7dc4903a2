import { INDIRECT_HELPERS } from './constants.ts'
import type { FailureDetector } from './failure-detector.ts'
import { ProbeSchedule } from './probe-schedule.ts'

/** What one probe came to: answered, unanswered in time, or this node's own timer fired late
 * (its event loop was busy: the probe counts neither way). */
export type Outcome = 'ack' | 'miss' | 'late'

/** Members looked at, at most, to find a round's helpers. */
const HELPER_DRAWS = 24

/** What a member's rounds say to the others when they go unanswered. */
export type AlertVerdict = 'suspect' | 'dead'

/** The transport under the rounds: node/mesh/prober.ts over libp2p streams, or the simulator's. */
export interface ProbeRoundsEnv {
  readonly detector: FailureDetector
  /** Every member but this node (what ticks pick from, and helpers are chosen from). */
  readonly members: () => readonly string[]
  /** Probes `peer` directly ('ack' as soon as one path answered; the detector is told of the
   * answer, with its round trip, by the transport). */
  readonly direct: (peer: string) => Promise<Outcome>
  /** Asks `helper` to probe `peer` for this node: 'ack' (it was answered), 'nack' (it was not),
   * 'miss' (the helper did not say in time), 'late' (this node's timer fired late). */
  readonly pingReq: (helper: string, peer: string) => Promise<Outcome | 'nack'>
  /** Whether `helper` can be asked now (a connection to it is open). */
  readonly reachable: (helper: string) => boolean
  /** A member's liveness changed: the view may have changed. */
  readonly changed: () => void
  /** A round went unanswered (directly and through helpers): repair the paths to `peer`. */
  readonly repair: (peer: string) => void
  /** Tell the other members that `peer` did not answer this node (at most once per outage and
   * verdict: the detector dedupes). */
  readonly alert: (peer: string, verdict: AlertVerdict) => void
  readonly random: () => number
}

/**
 * Rounds of probes, SWIM style (Das, Gupta, Motivala 2002; Lifeguard's refinements in the
 * detector): on each tick of the probe timer, the members the ProbeSchedule picks (a bounded number
 * in turn, and every member in focus) each get a round, one at a time per member: a direct probe,
 * then, if it went unanswered, up to INDIRECT_HELPERS members asked to probe it for this node. A
 * round unanswered both ways is told to the others ('suspect'), as is a member found down
 * ('dead'): the members that probe it less often start their own rounds of it now
 * (FailureDetector.reported), so that every view finds it down about together while each node
 * probes a bounded number of members per tick, whatever the cluster's size.
 *
 * Pure of any transport (ProbeRoundsEnv): the simulator runs this very code at 1,000 nodes.
 */
export class ProbeRounds {
  readonly #env: ProbeRoundsEnv
  readonly #schedule: ProbeSchedule
  /** Members with a round in flight (one at a time per member). */
  readonly #rounds = new Set<string>()
  #stopped = false

  constructor (env: ProbeRoundsEnv) {
    this.#env = env
    this.#schedule = new ProbeSchedule({ random: env.random })
  }

  /** One tick of the probe timer: starts the rounds the schedule picks; returns how many. */
  tick (failed: (peer: string, err: unknown) => void): number {
    let started = 0
    const { detector, reachable } = this.#env
    // a member never answered and not connected yet is probed in its turn only: its dial is the
    // check (a new connection is probed at once), and its turn asks helpers whether they reach it
    // and a member found down while this node still holds a connection to it (it became down by
    // the clock, between two rounds, so no round's end repaired its connection) is probed until
    // a round ends: answered, it is up again; not, the connection is aborted and redialled (and
    // the redial's new connection is probed at once). Without it such a member stayed down in
    // this view long after it answered again, until its turn in the ring (ceil((N - 1) / 4)
    // ticks: a minute at 500 nodes; found by the membership simulation at 300 nodes)
    const focus = (p: string): boolean => detector.liveness(p) === 'dead'
      ? reachable(p) && !detector.isGone(p)
      : detector.inFocus(p) && (detector.liveness(p) !== undefined || reachable(p))
    for (const peer of this.#schedule.next(this.#env.members(), focus)) {
      if (this.start(peer, failed)) started++
    }
    return started
  }

  /** Starts a round of `peer` now unless one is in flight; false when none was started. */
  start (peer: string, failed: (peer: string, err: unknown) => void): boolean {
    if (this.#stopped || this.#rounds.has(peer)) return false
    this.#rounds.add(peer)
    this.#round(peer).catch((err: unknown) => { failed(peer, err) }).finally(() => { this.#rounds.delete(peer) })
    return true
  }

  stop (): void {
    this.#stopped = true
  }

  /** One round: a direct probe, then, if it went unanswered, indirect ones. */
  async #round (peer: string): Promise<void> {
    const env = this.#env
    const detector = env.detector
    const direct = await env.direct(peer)
    if (direct !== 'miss' || this.#stopped) return
    if (detector.directMissed(peer)) env.changed()
    const indirect = await this.#indirect(peer, env.members())
    if (this.#stopped || indirect === 'late') return
    const before = detector.liveness(peer)
    const changed = indirect === 'ack' ? detector.acked(peer, { direct: false }) : detector.missed(peer)
    if (changed) env.changed()
    if (indirect === 'miss') {
      const now = detector.liveness(peer)
      if (now === 'dead' && before !== 'dead' && detector.shouldAlert(peer, 'dead')) env.alert(peer, 'dead')
      else if (now !== 'dead' && detector.shouldAlert(peer, 'suspect')) env.alert(peer, 'suspect')
    }
    env.repair(peer)
  }

  /** Asks up to INDIRECT_HELPERS members answering directly now to probe `peer` for this node:
   * 'ack' if one was answered by it, 'late' if every ask was cut short by this node's own late
   * timers, 'miss' otherwise (nacks, silence, or no helper at all). */
  async #indirect (peer: string, members: readonly string[]): Promise<Outcome> {
    const { detector, random, reachable } = this.#env
    const usable = (p: string): boolean => p !== peer && detector.liveness(p) === 'alive' && !detector.isIndirect(p)
    const chosen: string[] = []
    if (members.length <= HELPER_DRAWS) {
      const helpers = members.filter(usable)
      while (helpers.length > 0 && chosen.length < INDIRECT_HELPERS) {
        const [helper] = helpers.splice(Math.floor(random() * helpers.length), 1) as [string]
        if (reachable(helper)) chosen.push(helper)
      }
    } else {
      // a large cluster: members drawn at random until INDIRECT_HELPERS fit, at most HELPER_DRAWS
      // looked at, so that a round costs the same at 30 members as at 1,000
      const tried = new Set<number>()
      while (chosen.length < INDIRECT_HELPERS && tried.size < HELPER_DRAWS) {
        const i = Math.floor(random() * members.length)
        if (tried.has(i)) continue
        tried.add(i)
        const p = members[i] as string
        if (usable(p) && reachable(p)) chosen.push(p)
      }
    }
    if (chosen.length === 0) return 'miss'
    const results = await Promise.all(chosen.map(async (helper) => await this.#env.pingReq(helper, peer)))
    if (results.includes('ack')) return 'ack'
    return results.every((r) => r === 'late') ? 'late' : 'miss'
  }
}

