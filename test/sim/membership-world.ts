/**
 * A deterministic world for membership (issue 41: 1,000 nodes): one seed drives a PRNG, a virtual
 * clock and an event queue. Each node runs the mesh's own failure detection code unchanged
 * (FailureDetector, ProbeRounds with its ProbeSchedule, RecordPacing); only its transport is this
 * world's: probes and ping-reqs are messages with delays and losses, member records and alerts
 * are floods that reach every node on the sender's side of a cut (gossipsub's mesh: each node
 * forwards a message it has not seen to D peers, counted as such). Every message a node sends is
 * counted by kind, so traffic per node per second can be read against N.
 */
import { FailureDetector, GOSSIP_MESH, ProbeRounds, RecordPacing, heartbeatMs, probeTiming } from '../../node/mesh/index.ts'
import type { AlertVerdict, Outcome } from '../../node/mesh/index.ts'
import { EventQueue, prng, runEvents } from './sim-world.ts'

/** gossipsub's mesh degree (D, the host's GOSSIP_MESH): a flooded message costs each node about
 * this many sends. */
export const GOSSIP_D = GOSSIP_MESH.D

export type MessageKind = 'ping' | 'ack' | 'ping-req' | 'ping-req-answer' | 'record' | 'alert' | 'dial'
export const KINDS: readonly MessageKind[] = ['ping', 'ack', 'ping-req', 'ping-req-answer', 'record', 'alert', 'dial']
/** A dial through a silent cut is given up after this long (the host's MEMBER_DIAL_TIMEOUT_MS). */
const DIAL_TIMEOUT_MS = 2_000

interface Known { incarnation: number, left: boolean }

export class MemberNode {
  readonly id: string
  /** Started (boot) and not crashed. */
  up = false
  /** Silent: it answers nothing and sends nothing, and no connection to it closes (a hung process, a cable cut). */
  hung = false
  generation = 0
  incarnation: number
  left = false
  /** Which side of a cut it is on (messages cross sides only when the cut is healed). */
  side = 0
  detector!: FailureDetector
  rounds!: ProbeRounds
  pacing!: RecordPacing
  readonly known = new Map<string, Known>()
  readonly sent: Record<MessageKind, number> = { ping: 0, ack: 0, 'ping-req': 0, 'ping-req-answer': 0, record: 0, alert: 0, dial: 0 }
  /** Members it has a connection with (probes go over connections; a member found down has its
   * connections aborted and is dialled again, as the host's prober and redialer do). */
  readonly conns = new Set<string>()
  readonly dialing = new Set<string>()
  readonly direct = new Map<string, Promise<Outcome>>()

  constructor (id: string, incarnation: number) {
    this.id = id
    this.incarnation = incarnation
  }

  /** Members known, but those that left and are down; one frozen array while nothing changes
   * (the schedule then skips comparing it: at 1,000 nodes that comparison is most of a run). */
  members (): readonly string[] {
    if (this.#members !== undefined && this.#leftKnown === 0) return this.#members
    const out: string[] = []
    for (const [peer, k] of this.known) {
      if (k.left && this.detector.liveness(peer) === 'dead') continue
      out.push(peer)
    }
    this.#members = Object.freeze(out)
    return this.#members
  }

  #members: readonly string[] | undefined
  #leftKnown = 0

  /** Takes what a record says of `peer`. */
  know (peer: string, k: Known): void {
    const before = this.known.get(peer)
    if (before?.left === true) this.#leftKnown--
    if (k.left) this.#leftKnown++
    this.known.set(peer, k)
    this.#members = undefined
  }

  forgetAll (): void {
    this.known.clear()
    this.#members = undefined
    this.#leftKnown = 0
  }
}

export class MembershipWorld {
  readonly random: () => number
  readonly nodes = new Map<string, MemberNode>()
  readonly failureTimeoutMs: number
  readonly heartbeatMs: number
  /** Probability a message is lost; delay is min + an exponential tail with this mean (ms). */
  drop = 0.002
  minDelayMs = 0.2
  meanDelayMs = 1
  /** A broken node for the specs that show the checks can fail: 'no-redial' (a member found down
   * is never dialled again) or 'no-alerts' (nothing a node finds is told to the others). */
  sabotage: 'no-redial' | 'no-alerts' | undefined
  readonly #queue = new EventQueue()
  #now = 0
  #n = 0
  steps = 0

  constructor (seed: number, failureTimeoutMs: number) {
    this.random = prng(seed)
    this.failureTimeoutMs = failureTimeoutMs
    this.heartbeatMs = heartbeatMs(failureTimeoutMs)
  }

  get now (): number { return this.#now }

  at (delayMs: number, fn: () => void): void {
    this.#queue.push({ at: this.#now + Math.max(0, delayMs), n: this.#n++, fn })
  }

  /** Whether a message from `a` to `b` can arrive now (both up, not silent, same side). */
  reaches (a: MemberNode, b: MemberNode): boolean {
    return a.up && b.up && !a.hung && !b.hung && a.side === b.side
  }

  #delay (): number {
    return this.minDelayMs - Math.log(1 - this.random()) * this.meanDelayMs
  }

  /** Sends one message; `deliver` runs at `to` if it arrives (and the sender's life is the same). */
  send (from: MemberNode, to: string, kind: MessageKind, deliver: (at: MemberNode) => void): void {
    from.sent[kind]++
    const target = this.nodes.get(to)
    if (target === undefined || this.random() < this.drop) return
    const generation = target.generation
    this.at(this.#delay(), () => {
      if (target.generation === generation && this.reaches(from, target)) deliver(target)
    })
  }

  /** A flood from `from` (gossipsub): every node on its side gets it after a few hops; each node
   * that forwards it is counted GOSSIP_D (or N - 1) sends. */
  flood (from: MemberNode, kind: 'record' | 'alert', deliver: (at: MemberNode) => void): void {
    const fanout = Math.min(GOSSIP_D, this.nodes.size - 1)
    from.sent[kind] += fanout
    const hops = Math.max(1, Math.ceil(Math.log(Math.max(2, this.nodes.size)) / Math.log(GOSSIP_D)))
    let delay = 0
    for (let h = 0; h < hops; h++) delay += this.#delay()
    // one event for the whole flood (each node's delivery its own event would be N events a
    // message): every node on the sender's side at the moment it arrives gets it
    const reached: Array<[MemberNode, number]> = []
    for (const node of this.nodes.values()) if (node !== from && this.reaches(from, node)) reached.push([node, node.generation])
    this.at(delay, () => {
      for (const [node, generation] of reached) {
        node.sent[kind] += Math.max(0, fanout - 1)
        if (node.generation === generation && node.up && !node.hung) deliver(node)
      }
    })
  }

  /** A node (re)starts: fresh detector, rounds and pacing, a new incarnation; it knows `seeds`. */
  boot (node: MemberNode, seeds: readonly string[]): void {
    this.#start(node)
    for (const seed of seeds) if (seed !== node.id) this.#heard(node, seed, this.nodes.get(seed)?.incarnation ?? 0, false)
    this.publish(node)
  }

  /**
   * `nodes` start as a cluster already formed (the state a cold boot converges to): each knows
   * every other's record, is connected to it and heard it answer just now, and has sent its own
   * record. A cold boot of N nodes costs the simulation about 50 events per pair (dials both ways,
   * each new member's first rounds, every member answering each newcomer's record): at 1,000 nodes
   * tens of millions. What is measured after it (idle traffic, every fault step, a join into the
   * cluster) does not depend on how the cluster formed; the cold boot is checked at smaller sizes.
   */
  bootFormed (nodes: readonly MemberNode[]): void {
    for (const node of nodes) this.#start(node)
    const rttMs = 2 * (this.minDelayMs + this.meanDelayMs)
    for (const node of nodes) {
      for (const other of nodes) {
        if (other === node) continue
        node.know(other.id, { incarnation: other.incarnation, left: other.left })
        node.conns.add(other.id)
        node.detector.acked(other.id, { direct: true, rttMs })
      }
      node.pacing.sent(`${node.incarnation}|${node.left}`)
    }
  }

  /** Fresh detector, rounds and pacing, and the node's probe timer and heartbeat set going. */
  #start (node: MemberNode): void {
    node.up = true
    node.hung = false
    node.generation++
    node.forgetAll()
    node.direct.clear()
    node.conns.clear()
    node.dialing.clear()
    const detector = node.detector = new FailureDetector({ failureTimeout: this.failureTimeoutMs, now: () => this.#now })
    node.pacing = new RecordPacing(this.random)
    node.rounds = new ProbeRounds({
      detector,
      members: () => node.members(),
      direct: async (peer) => await this.directProbe(node, peer, true),
      pingReq: async (helper, peer) => await this.#pingReq(node, helper, peer),
      reachable: (helper) => node.conns.has(helper),
      changed: () => undefined,
      repair: (peer) => { if (detector.liveness(peer) === 'dead') this.disconnect(node, peer) },
      alert: (peer, verdict) => { if (this.sabotage !== 'no-alerts') this.#alert(node, peer, verdict) },
      random: this.random
    })
    const generation = node.generation
    const timing = probeTiming(this.failureTimeoutMs)
    const tick = (): void => {
      if (node.generation !== generation || !node.up) return
      if (!node.hung) node.rounds.tick(() => undefined)
      this.at(timing.intervalMs, tick)
    }
    const beat = (): void => {
      if (node.generation !== generation || !node.up) return
      if (!node.hung && node.pacing.due(`${node.incarnation}|${node.left}`, node.known.size + 1)) this.publish(node)
      if (!node.hung) this.#maintain(node)
      this.at(this.heartbeatMs, beat)
    }
    this.at(this.random() * timing.intervalMs, tick)
    this.at(this.random() * this.heartbeatMs, beat)
  }

  /** The connection between `node` and `peer` is gone (aborted, or the peer's process died). */
  disconnect (node: MemberNode, peer: string): void {
    node.conns.delete(peer)
    this.nodes.get(peer)?.conns.delete(node.id)
  }

  /** The redialer, on a heartbeat: every member known and not connected is dialled (one dial at a
   * time each): connected if it can be reached (and probed at once), refused if its process is
   * gone (it is down now), else given up after DIAL_TIMEOUT_MS. */
  #maintain (node: MemberNode): void {
    // every member connected or being dialled: nothing to scan (the common case, at any size)
    if (node.conns.size + node.dialing.size >= node.known.size) return
    for (const [peer, k] of node.known) {
      if (k.left || node.conns.has(peer) || node.dialing.has(peer)) continue
      if (this.sabotage === 'no-redial' && node.detector.liveness(peer) !== undefined) continue
      const target = this.nodes.get(peer)
      if (target === undefined) continue
      node.dialing.add(peer)
      node.sent.dial++
      const generation = node.generation
      const reached = this.reaches(node, target)
      const refused = !target.up
      this.at(reached || refused ? 2 * this.#delay() : DIAL_TIMEOUT_MS, () => {
        if (node.generation !== generation) return
        node.dialing.delete(peer)
        if (reached && this.reaches(node, target)) {
          node.conns.add(peer)
          target.conns.add(node.id)
          // a new connection is probed at once, from both ends (the host's connection:open)
          node.rounds.start(peer, () => undefined)
          if (target.known.has(node.id)) target.rounds.start(node.id, () => undefined)
        } else if (refused && !target.up) {
          node.detector.gone(peer)
        }
      })
    }
  }

  /** The node floods its record. */
  publish (node: MemberNode): void {
    node.pacing.sent(`${node.incarnation}|${node.left}`)
    const { id, incarnation, left } = node
    this.flood(node, 'record', (at) => {
      if (at.id !== id) this.#heard(at, id, incarnation, left)
    })
  }

  #heard (at: MemberNode, peer: string, incarnation: number, left: boolean): void {
    const known = at.known.get(peer)
    if (known !== undefined && known.incarnation > incarnation) return
    at.know(peer, { incarnation, left })
    // a member first heard of, or in a new life, has none of this node's record
    if (known === undefined || known.incarnation < incarnation) at.pacing.newcomer()
    // a member first heard of, or back in a new life (its new connection is probed at once)
    if (known === undefined || known.incarnation < incarnation) {
      if (known !== undefined) at.detector.forget(peer)
      at.rounds.start(peer, () => undefined)
    }
  }

  #alert (from: MemberNode, peer: string, verdict: AlertVerdict): void {
    const incarnation = from.known.get(peer)?.incarnation ?? 0
    this.flood(from, 'alert', (at) => {
      const known = at.known.get(peer)
      if (peer === at.id || known === undefined || known.incarnation > incarnation) return
      at.detector.reported(peer, verdict)
      at.rounds.start(peer, () => undefined)
    })
  }

  /** A direct probe of `peer` by `node` (one in flight per pair, shared by rounds and ping-reqs). */
  directProbe (node: MemberNode, peer: string, member: boolean): Promise<Outcome> {
    let running = node.direct.get(peer)
    if (running !== undefined) return running
    running = new Promise<Outcome>((resolve) => {
      if (!node.conns.has(peer)) {
        resolve('miss')
        return
      }
      const started = this.#now
      const generation = node.generation
      let done = false
      this.send(node, peer, 'ping', (at) => {
        this.send(at, node.id, 'ack', () => {
          if (done || node.generation !== generation) return
          done = true
          if (member) node.detector.acked(peer, { direct: true, rttMs: this.#now - started })
          resolve('ack')
        })
      })
      this.at(node.detector.timeoutFor(peer), () => {
        if (done) return
        done = true
        resolve('miss')
      })
    }).finally(() => { node.direct.delete(peer) })
    node.direct.set(peer, running)
    return running
  }

  async #pingReq (node: MemberNode, helper: string, peer: string): Promise<Outcome | 'nack'> {
    return await new Promise((resolve) => {
      let done = false
      const finish = (o: Outcome | 'nack'): void => {
        if (done) return
        done = true
        resolve(o)
      }
      this.send(node, helper, 'ping-req', (at) => {
        void this.directProbe(at, peer, at.known.has(peer)).then((o) => {
          this.send(at, node.id, 'ping-req-answer', () => { finish(o === 'ack' ? 'ack' : 'nack') })
        })
      })
      this.at(probeTiming(this.failureTimeoutMs).indirectTimeoutMs, () => { finish('miss') })
    })
  }

  /** Runs events until the clock passes `until`; after each, every promise it settled runs on. */
  async run (until: number): Promise<void> {
    await runEvents(this.#queue, until, (at) => { this.#now = at }, () => { this.steps++ }, 'ticks')
  }
}
