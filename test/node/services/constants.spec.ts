import { expect } from 'chai'
import { SERVICE_BACKOFF_FIRST_MS, SERVICE_BACKOFF_MAX_MS, SERVICE_STOP_WAIT_MS } from '../../../node/services/index.ts'
import { PART_STOP_MS } from '../../../node/lifecycle.ts'

describe('services constants', () => {
  it('should back off from a second up to a minute, and wait for a run at stop within a part\'s stop', () => {
    expect(SERVICE_BACKOFF_FIRST_MS).to.be.lessThan(SERVICE_BACKOFF_MAX_MS)
    expect(SERVICE_BACKOFF_MAX_MS).to.equal(60_000)
    // a service's stop must end before the lifecycle gives up on its part
    expect(SERVICE_STOP_WAIT_MS).to.be.lessThan(PART_STOP_MS)
  })
})
