import { expect } from 'chai'
import { DRAIN_LINGER_MAX_MS, DRAIN_QUIET_MS, INTERRUPT_GRACE_MS, WAIT_FOR_CLUSTER_LOG_MS } from '../../../node/root/index.ts'
import { PART_STOP_MS } from '../../../node/lifecycle.ts'

describe('root constants', () => {
  it('should let a drain linger less than a part may take to stop, and quiet moments be shorter than the linger', () => {
    expect(DRAIN_QUIET_MS).to.be.lessThan(DRAIN_LINGER_MAX_MS)
    expect(DRAIN_LINGER_MAX_MS).to.be.lessThan(PART_STOP_MS)
    expect(INTERRUPT_GRACE_MS).to.be.lessThan(PART_STOP_MS)
    expect(WAIT_FOR_CLUSTER_LOG_MS).to.be.at.least(1_000)
  })
})
