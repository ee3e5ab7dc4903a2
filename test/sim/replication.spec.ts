import { expect } from 'chai'
import { runSeed } from './replication-sim.ts'

/** Seeds `npm test` runs (about 50 ms each); `npm run sim -- --seeds N` runs more. */
const SEEDS = Number(process.env.PLEXI_SIM_SEEDS ?? 300)

/** Seeds that once failed, each with what it found (run with the options it failed with). */
const REGRESSIONS: ReadonlyArray<{ seed: number, rosterFaults?: boolean, found: string }> = [
  { seed: 70778, found: 'an owner with an older view of the replica set recovered from F of its set while a node that had promised it refused its retried fence: a log missing acknowledged records was sealed in a newer epoch' },
  { seed: 50271, rosterFaults: true, found: 'a storage node lost for good with write-quorum 1 took the only copy of acknowledged records' },
  { seed: 50531, rosterFaults: true, found: 'the same, and a later owner reused their seqs' },
  { seed: 50687, rosterFaults: true, found: 'the same' }
]

describe('replication simulation (deterministic, seeded)', function () {
  this.timeout(120_000)

  it(`should keep every invariant over ${SEEDS} seeds of crashes, partitions, drops, racing owners, live hand-overs, replica sets that change, storage nodes that leave or are replaced, learners catching up, anti-entropy and damaged disks`, async () => {
    const failures: string[] = []
    let acked = 0
    let rosterChanges = 0
    let diskFaults = 0
    let handOffs = 0
    let pulled = 0
    let caughtUp = 0
    let replaced = 0
    let resumed = 0
    for (let seed = 1; seed <= SEEDS && failures.length < 3; seed++) {
      const result = await runSeed(seed)
      acked += result.stats.acked
      if (result.config.rosterChange) rosterChanges++
      if (result.config.diskFaults && result.stats.damaged > 0) diskFaults++
      handOffs += result.stats.handedOff
      pulled += result.stats.antiEntropy
      caughtUp += result.stats.caughtUp
      if (result.config.replace) replaced++
      resumed += result.stats.resumed
      if (result.violations.length > 0) {
        failures.push(`seed ${seed} ${JSON.stringify(result.config)}:\n    ${result.violations.join('\n    ')}\n  replay it: npm run sim -- --seed ${seed}`)
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([])
    // the runs did write: a simulation that acknowledged nothing would prove nothing
    expect(acked).to.be.greaterThan(SEEDS * 50)
    // and some of them changed replica sets mid-run (docs/replication.md, "Roster changes")
    expect(rosterChanges).to.be.greaterThan(SEEDS / 20)
    // and disks damaged or lost records in some, which scrub put back (issue 13)
    expect(diskFaults).to.be.greaterThan(SEEDS / 10)
    // and storage nodes left, handing off before they went for good (issue 13)
    expect(handOffs).to.be.greaterThan(SEEDS / 30)
    // and storage nodes were lost for good and replaced, their new replicas catching up as
    // learners before they counted as full ones (issue 13)
    expect(replaced).to.be.greaterThan(SEEDS / 60)
    expect(caughtUp).to.be.greaterThan(SEEDS / 30)
    // and anti-entropy moved records between replicas (fills, repairs, newer logs adopted)
    expect(pulled).to.be.greaterThan(SEEDS * 10)
    // and owners handed their logs over live, the next owner going on without a fence (issue 14)
    expect(resumed).to.be.greaterThan(SEEDS)
  })

  for (const { seed, rosterFaults, found } of REGRESSIONS) {
    it(`should pass seed ${seed}${rosterFaults === true ? ' with roster faults' : ''} (it found: ${found})`, async () => {
      const result = await runSeed(seed, { rosterFaults: rosterFaults === true })
      expect(result.violations, `replay it: npm run sim -- --seed ${seed}${rosterFaults === true ? ' --roster-faults' : ''}`).to.deep.equal([])
      expect(result.stats.acked).to.be.greaterThan(0)
    })
  }

  it('should replay a seed exactly: the same run, step for step', async () => {
    const a = await runSeed(7)
    const b = await runSeed(7)
    expect(b.stats).to.deep.equal(a.stats)
    expect(b.violations).to.deep.equal(a.violations)
  })

  it('should catch a replica that loses records it acknowledged (the checks can fail)', async () => {
    let caught = 0
    for (let seed = 1; seed <= 20; seed++) {
      const result = await runSeed(seed, { faultyDisk: true })
      if (result.violations.some((v) => /acknowledged|lost|differs/.test(v))) caught++
    }
    expect(caught).to.be.greaterThan(10)
  })

  it('should put back every record a disk damaged or lost, and catch damage left behind when nothing repairs it (the checks can fail)', async () => {
    let damaged = 0
    let caught = 0
    for (let seed = 1; seed <= 20; seed++) {
      const repaired = await runSeed(seed, { diskFaults: true, decommission: false, antiEntropy: false, catchUp: false, handOvers: false })
      expect(repaired.violations, `seed ${seed}`).to.deep.equal([])
      damaged += repaired.stats.damaged
      expect(repaired.stats.repaired, `seed ${seed}`).to.equal(repaired.stats.damaged)
      const left = await runSeed(seed, { diskFaults: true, decommission: false, antiEntropy: false, catchUp: false, scrub: false, handOvers: false })
      if (left.violations.some((v) => /damaged|differs|lost/.test(v))) caught++
    }
    expect(damaged).to.be.greaterThan(20)
    expect(caught).to.be.greaterThan(5)
  })

  it('should catch a new replica that counts itself caught up without pulling anything (the checks can fail)', async () => {
    let learners = 0
    let caught = 0
    // seeds of more than three nodes replace one (its new replicas learn), the others do not
    for (let seed = 1; seed <= 15; seed++) {
      const result = await runSeed(seed, { hollowCatchUp: true, rosterChange: true, decommission: true, replace: true })
      if (result.stats.caughtUp === 0) continue
      learners++
      if (result.violations.some((v) => /caught up without|lost|differs/.test(v))) caught++
    }
    expect(learners).to.be.greaterThan(5)
    expect(caught).to.be.greaterThan(learners / 3)
  })

  it('should catch a storage node that leaves without handing off (the checks can fail)', async () => {
    let leaving = 0
    let caught = 0
    // seeds of more than three nodes have one leave, the others do not
    for (let seed = 1; seed <= 15; seed++) {
      const result = await runSeed(seed, { handOff: false, rosterChange: true, decommission: true, replace: false })
      if (!result.config.decommission) continue
      leaving++
      if (result.violations.some((v) => /handed off|lost|differs/.test(v))) caught++
    }
    expect(leaving).to.be.greaterThan(5)
    expect(caught).to.be.greaterThan(leaving / 3)
  })

  it('should catch a hand-over ticket used twice (the checks can fail)', async () => {
    let reused = 0
    let caught = 0
    for (let seed = 1; seed <= 40; seed++) {
      const result = await runSeed(seed, { handOvers: true, reuseTickets: true })
      if (result.stats.resumed < 2) continue
      reused++
      if (result.violations.some((v) => /acknowledged|lost|differs/.test(v))) caught++
    }
    expect(reused).to.be.greaterThan(10)
    expect(caught).to.be.greaterThan(reused / 3)
  })
})
