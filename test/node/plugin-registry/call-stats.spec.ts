import { expect } from 'chai'
import { MAX_TRACKED_SOURCES, PluginCallStats, RECENT_CALLS } from '../../../node/plugin-registry/index.ts'

describe('PluginCallStats', () => {
  it('should count each plugin\'s calls and failures, and average its recent latencies', () => {
    const stats = new PluginCallStats()
    expect(stats.of('clock')).to.deep.equal({ calls: 0, errors: 0, latencyMs: null })
    stats.observe('clock', 'ok', 0.001)
    stats.observe('clock', 'unavailable', 0.003)
    stats.observe('clock', 'ok', Number.NaN)
    expect(stats.of('clock')).to.deep.equal({ calls: 3, errors: 1, latencyMs: 4 / 3 })
    // only the last RECENT_CALLS latencies count
    for (let i = 0; i < RECENT_CALLS; i++) stats.observe('clock', 'ok', 0.010)
    expect(stats.of('clock').latencyMs).to.be.closeTo(10, 1e-9)
    expect(stats.of('clock').calls).to.equal(RECENT_CALLS + 3)
  })

  it('should forget the least recently called source past MAX_TRACKED_SOURCES', () => {
    const stats = new PluginCallStats()
    for (let i = 0; i <= MAX_TRACKED_SOURCES; i++) stats.observe(`p${i}`, 'ok', 0.001)
    expect(stats.of('p0').calls).to.equal(0)
    expect(stats.of(`p${MAX_TRACKED_SOURCES}`).calls).to.equal(1)
  })
})
