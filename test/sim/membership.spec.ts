import { expect } from 'chai'
import { runMembershipSeed } from './membership-sim.ts'

/** Seeds `npm test` runs at 30 nodes (about a second each); `npm run sim -- --membership` runs
 * 1,000 nodes and more seeds. */
const SEEDS = Number(process.env.PLEXI_MEMBERSHIP_SEEDS ?? 6)

describe('membership simulation (deterministic, seeded): the mesh\'s own failure detection at size', function () {
  this.timeout(180_000)

  it(`should boot, find crashes, hangs and a partition, heal, take a join, a leave and a restart in every view within their bounds, with no false down, over ${SEEDS} seeds of 30 nodes`, async () => {
    const failures: string[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await runMembershipSeed(seed, { nodes: 30 })
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations.join('; ')}`)
    }
    expect(failures).to.deep.equal([])
  })

  it('should send, per node, about the same while idle at 30 nodes and at 120 (probes in turn, records paced)', async () => {
    const at30 = await runMembershipSeed(7, { nodes: 30, faults: false, idleMs: 10_000 })
    const at120 = await runMembershipSeed(7, { nodes: 120, faults: false, idleMs: 10_000 })
    expect(at30.violations).to.deep.equal([])
    expect(at120.violations).to.deep.equal([])
    // messages counted, not timed: the same protocol at four times the size sends within 1.2x per node
    expect(at120.stats.idlePerNode / at30.stats.idlePerNode).to.be.within(0.8, 1.2)
    expect(at30.stats.idleByKind.ping).to.be.greaterThan(0)
  })

  it('should take a cluster started formed (every node knowing, connected to and answered by every other) through every fault step, and idle at its cold-booted rate', async () => {
    const formed = await runMembershipSeed(5, { nodes: 60, boot: 'formed' })
    expect(formed.violations).to.deep.equal([])
    // no boot step: the cluster starts converged; every other step ran
    expect(formed.stats.times).to.not.have.property('boot')
    expect(Object.keys(formed.stats.times)).to.include.members(['kill', 'hang', 'resume', 'partition', 'heal', 'join', 'leave', 'restart'])
    const cold = await runMembershipSeed(5, { nodes: 60, faults: false })
    expect(formed.stats.idlePerNode / cold.stats.idlePerNode).to.be.within(0.8, 1.2)
  })

  it('should replay a seed exactly: the same run, step for step', async () => {
    const a = await runMembershipSeed(11, { nodes: 30 })
    const b = await runMembershipSeed(11, { nodes: 30 })
    expect(b.stats).to.deep.equal(a.stats)
    expect(b.violations).to.deep.equal(a.violations)
  })

  it('should catch members that never dial a member found down again (the checks can fail)', async () => {
    const r = await runMembershipSeed(3, { nodes: 30, sabotage: 'no-redial' })
    expect(r.violations.join('\n')).to.match(/(resume|heal): not in every view/)
  })
})
