import { expect } from 'chai'
import { checkCatchUp, checkHandOffStatus, checkRepairResult, checkScrubStats, checkTakeOverResult } from '../../../../node/replication/admin/inspector-replies.ts'

/** Other nodes' answers to the replication inspector are checked before a job counts them, a
 * listing shows them or a partition hand-off trusts them. */
describe('inspector replies', () => {
  it('should refuse answers from other nodes that are not a catch-up status or a take-over result', () => {
    for (const bad of [null, 7, { partitions: -1, caughtUp: 0, waiting: [], replaced: [] }, { partitions: 1, caughtUp: 0, waiting: 'x', replaced: [] }, { partitions: 1, caughtUp: 0, waiting: [], replaced: [3] }]) {
      expect(() => checkCatchUp(bad), JSON.stringify(bad)).to.throw(/not a catch-up status/)
    }
    for (const bad of [null, { records: 1, repaired: 0, divergent: 0, movedOn: 0, peerNewer: ['no slash'] }, { records: 'many', repaired: 0, divergent: 0, movedOn: 0, peerNewer: [] }]) {
      expect(() => checkTakeOverResult(bad), JSON.stringify(bad)).to.throw(/not a take-over result/)
    }
    expect(checkTakeOverResult({ records: 1, repaired: 0, divergent: 0, movedOn: 0, peerNewer: ['room/a'] })).to.deep.include({ records: 1 })
  })

  it('should refuse answers that are not a repair result, scrub statistics or a partition hand-off status', () => {
    const repair = { partitions: 1, peers: 2, records: 3, repaired: 0, bytes: 10, divergent: 0, failures: ['b: down'] }
    expect(checkRepairResult(repair)).to.deep.equal(repair)
    for (const bad of [null, [], { ...repair, peers: -1 }, { ...repair, failures: [7] }, { ...repair, records: 1.5 }]) {
      expect(() => checkRepairResult(bad), JSON.stringify(bad)).to.throw(/not a repair result/)
    }
    const scrub = { running: false, passes: 1, startedAt: 1, lastPassAt: 2, scanned: 3, expected: 3, bytes: 100, corruptFound: 0, repaired: 0, quarantined: 0 }
    expect(checkScrubStats(scrub)).to.deep.equal(scrub)
    for (const bad of [null, { ...scrub, running: 'no' }, { ...scrub, quarantined: -1 }, { ...scrub, passes: undefined }]) {
      expect(() => checkScrubStats(bad), JSON.stringify(bad)).to.throw(/not scrub statistics/)
    }
    const handOff = { state: 'handing-off', partitions: 4, done: 1, waiting: ['partition 2: its new replica b is down'], since: 5 }
    expect(checkHandOffStatus(handOff)).to.deep.equal(handOff)
    for (const bad of [null, { ...handOff, state: 'leaving' }, { ...handOff, done: -1 }, { ...handOff, waiting: [1] }, { ...handOff, waiting: new Array(100_001).fill('x') }]) {
      expect(() => checkHandOffStatus(bad), JSON.stringify(bad).slice(0, 80)).to.throw(/not a hand-off status/)
    }
  })
})
