import { expect } from 'chai'
import { STATS_CAPACITY, STATS_INTERVAL_MS } from '../../../node/metrics/index.ts'

describe('metrics constants', () => {
  it('should sample often enough for a live chart and keep five minutes of samples', () => {
    expect(STATS_INTERVAL_MS).to.be.within(100, 5_000)
    expect(STATS_CAPACITY * STATS_INTERVAL_MS).to.equal(5 * 60_000)
  })
})
