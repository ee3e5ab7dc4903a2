import { expect } from 'chai'
import {
  ADOPT_ASK_MS, CLAIM_SLACK_MS, LEAVE_ASK_MS, LEAVE_POLL_MS, MISPLACED_RECHECK_MS, MOVE_LIMIT_IDLE_MS, MOVE_LIMIT_INITIAL, PAUSE_TARGET_MS,
  PIN_GRACE_MS, PIN_SWEEP_MS, PRE_MOVE_MS, SETTLE_WAIT_MS, claimAskMs, migrateAskMs, moveMs
} from '../../../node/migration/index.ts'
import { MEMBER_SETTLE_MAX_MS } from '../../../node/mesh/index.ts'

describe('migration constants', () => {
  it('should give a claim time for the whole move it waits on, and an admin\'s migration time for every step it waits on', () => {
    // a move: the work before it, the busy wait, the interrupt's grace and the forced stop's, the adopt
    expect(moveMs(30_000, 2_000)).to.equal(PRE_MOVE_MS + 30_000 + 2 * 2_000 + ADOPT_ASK_MS)
    // a claim waits for the whole move it starts or joins, and an admin's migration for its claim
    expect(claimAskMs(30_000, 2_000)).to.equal(moveMs(30_000, 2_000) + CLAIM_SLACK_MS)
    expect(migrateAskMs(30_000, 2_000)).to.equal(SETTLE_WAIT_MS + claimAskMs(30_000, 2_000) + CLAIM_SLACK_MS)
    // a member that just came up settles within MEMBER_SETTLE_MAX_MS: the wait covers it with room
    expect(SETTLE_WAIT_MS).to.be.above(MEMBER_SETTLE_MAX_MS)
  })

  it('should keep the timings in the order their comments promise', () => {
    // a pin outlives a few sweeps before its entity must be active
    expect(PIN_GRACE_MS).to.be.above(PIN_SWEEP_MS)
    // the work before a move ends well before the adopt ask would
    expect(PRE_MOVE_MS).to.be.below(ADOPT_ASK_MS)
    expect(MISPLACED_RECHECK_MS).to.be.below(PIN_SWEEP_MS)
    // at most half the 50 ms p99 goal, so the tail stays under it
    expect(PAUSE_TARGET_MS).to.be.at.most(50 / 2)
    expect(MOVE_LIMIT_INITIAL).to.equal(1)
    expect(MOVE_LIMIT_IDLE_MS).to.be.above(0)
    expect(LEAVE_POLL_MS).to.be.below(LEAVE_ASK_MS)
  })
})
