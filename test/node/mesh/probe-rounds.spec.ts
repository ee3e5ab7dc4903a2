import { expect } from 'chai'
import { FailureDetector } from '../../../node/mesh/failure-detector.ts'
import { ProbeRounds } from '../../../node/mesh/probe-rounds.ts'
import type { Outcome } from '../../../node/mesh/probe-rounds.ts'

/**
 * ProbeRounds' choice of whom a tick probes, on an injected clock, in a cluster large enough that
 * a member's turn in the ring is many ticks away (so a member probed on a tick was in focus).
 */
describe('ProbeRounds (an injected clock)', () => {
  const F = 1_000
  const MEMBERS = Array.from({ length: 40 }, (_, i) => `m${i}`)

  /** Rounds over MEMBERS; `answers` says what a direct probe of each member comes to (miss by
   * default), `connected` which members this node holds a connection to. */
  function rounds (connected: Set<string>, answers: Map<string, Outcome>) {
    let now = 0
    const detector = new FailureDetector({ failureTimeout: F, now: () => now })
    const probed: string[] = []
    const repaired: string[] = []
    const r = new ProbeRounds({
      detector,
      members: () => MEMBERS,
      direct: async (peer) => {
        probed.push(peer)
        const outcome = answers.get(peer) ?? 'miss'
        if (outcome === 'ack') detector.acked(peer, { direct: true, rttMs: 1 })
        return outcome
      },
      // no helper reaches anyone: an unanswered direct probe is an unanswered round
      pingReq: async () => 'nack',
      reachable: (peer) => connected.has(peer),
      changed: () => {},
      repair: (peer) => { repaired.push(peer) },
      alert: () => {},
      random: seeded(41)
    })
    return { r, detector, probed, repaired, at: (ms: number) => { now = ms } }
  }
  /** A seeded generator (a fixed value would make helper draws repeat one member forever). */
  function seeded (seed: number): () => number {
    let x = seed
    return () => { x = (x * 1_103_515_245 + 12_345) % 2_147_483_648; return x / 2_147_483_648 }
  }
  const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve() }

  it('should probe a member found down by the clock while a connection to it is still held, until a round ends (it answers, or its connection is repaired)', async () => {
    const connected = new Set(MEMBERS)
    const answers = new Map<string, Outcome>()
    const { r, detector, probed, repaired, at } = rounds(connected, answers)
    for (const m of MEMBERS) detector.acked(m, { direct: true, rttMs: 1 })
    // two rounds of m7 unanswered before F: suspect, not yet down, so its round's end repaired nothing
    at(100)
    r.start('m7', () => {})
    await settle()
    r.start('m7', () => {})
    await settle()
    expect(detector.liveness('m7')).to.equal('suspect')
    // F passes: down by the clock, between two rounds
    at(F + 200)
    expect(detector.liveness('m7')).to.equal('dead')
    // it answers again over the connection still held: the next tick probes it (its turn in the
    // ring is up to 10 ticks away), and it is up again
    answers.set('m7', 'ack')
    probed.splice(0)
    r.tick(() => {})
    await settle()
    expect(probed).to.include('m7')
    expect(detector.liveness('m7')).to.equal('alive')
    // m9 down the same way, and still silent: probed, its round ends unanswered and its
    // connection goes to repair
    at(F + 300)
    r.start('m9', () => {})
    await settle()
    r.start('m9', () => {})
    await settle()
    at(2 * F + 400)
    expect(detector.liveness('m9')).to.equal('dead')
    repaired.splice(0)
    probed.splice(0)
    r.tick(() => {})
    await settle()
    expect(probed).to.include('m9')
    expect(repaired).to.include('m9')
    // once repaired (no connection held), a member down is probed in its turn only
    connected.delete('m9')
    const ticksProbing = []
    for (let t = 0; t < 4; t++) {
      probed.splice(0)
      r.tick(() => {})
      await settle()
      ticksProbing.push(probed.includes('m9'))
    }
    expect(ticksProbing.filter(Boolean).length).to.be.at.most(1)
  })
})
