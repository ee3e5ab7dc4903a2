import { expect } from 'chai'
import { DEFAULT_SUPERVISOR_TIMINGS } from '../../../node/plugins/supervisor-timings.ts'

describe('supervisor timings', () => {
  it('should ping more often than a plugin is given to answer one, and back off within its bounds', () => {
    const t = DEFAULT_SUPERVISOR_TIMINGS
    expect(t.pingTimeoutMs).to.be.below(t.pingIntervalMs)
    expect(t.restartFirstMs).to.be.below(t.restartMaxMs)
    expect(t.restartMaxMs).to.be.below(t.stableMs)
    expect(t.stopGraceMs).to.be.below(5_000)
  })
})
