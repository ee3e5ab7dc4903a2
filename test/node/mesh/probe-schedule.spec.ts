import { expect } from 'chai'
import { PROBE_FANOUT } from '../../../node/mesh/constants.ts'
import { ProbeSchedule } from '../../../node/mesh/probe-schedule.ts'
import { prng } from '../../sim/sim-world.ts'

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`)
const none = (): boolean => false

describe('ProbeSchedule (which members a tick probes)', () => {
  it(`should probe every member every tick in a cluster of up to ${PROBE_FANOUT + 1} members`, () => {
    const s = new ProbeSchedule({ random: prng(1) })
    const members = names(PROBE_FANOUT)
    for (let tick = 0; tick < 20; tick++) expect(s.next(members, none)).to.have.members(members)
  })

  it('should probe a bounded number of members a tick in a large cluster, each within two passes of the ring', () => {
    const s = new ProbeSchedule({ random: prng(2) })
    const members = names(29)
    const last = new Map<string, number>(members.map((m) => [m, 0]))
    const passTicks = Math.ceil(members.length / PROBE_FANOUT)
    for (let tick = 1; tick <= 200; tick++) {
      const picked = s.next(members, none)
      expect(picked).to.have.length(PROBE_FANOUT)
      expect(new Set(picked).size).to.equal(PROBE_FANOUT)
      for (const m of picked) last.set(m, tick)
      // SWIM's round-robin bound: never more than two passes between two probes of a member
      for (const [m, at] of last) expect(tick - at, `${m} at tick ${tick}`).to.be.at.most(2 * passTicks)
    }
  })

  it('should probe the members in focus on every tick, besides the turn of the others', () => {
    const s = new ProbeSchedule({ random: prng(3) })
    const members = names(40)
    const focus = new Set(['m3', 'm17', 'm39'])
    for (let tick = 0; tick < 30; tick++) {
      const picked = s.next(members, (p) => focus.has(p))
      expect(picked).to.include.members([...focus])
      expect(picked.filter((p) => !focus.has(p))).to.have.length(PROBE_FANOUT)
      expect(new Set(picked).size).to.equal(picked.length)
    }
  })

  it('should take in a member that joins within the pass, and drop one that left', () => {
    const s = new ProbeSchedule({ random: prng(4) })
    let members = names(20)
    s.next(members, none)
    members = [...members.filter((m) => m !== 'm5'), 'late']
    const seen = new Set<string>()
    for (let tick = 0; tick < Math.ceil(members.length / PROBE_FANOUT) + 1; tick++) for (const m of s.next(members, none)) seen.add(m)
    expect(seen.has('late')).to.equal(true)
    expect(seen.has('m5')).to.equal(false)
  })

  it('should refuse a fanout that is not a whole number of at least 1', () => {
    expect(() => new ProbeSchedule({ fanout: 0 })).to.throw(RangeError, /fanout/)
    expect(() => new ProbeSchedule({ fanout: 1.5 })).to.throw(RangeError, /fanout/)
  })
})
