import { expect } from 'chai'
import { Registry } from 'prom-client'
import { migrationMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('migrationMetrics', () => {
  it('should count moves by trigger and outcome, time the pause of those that moved, and read what waits now, when moves end', async () => {
    const registry = new Registry()
    const now = { entities: 2, messages: 9, pending: 4, concurrency: 3 }
    const onMove = migrationMetrics(registry, { buffered: () => now, pending: () => now.pending, concurrency: () => now.concurrency })
    onMove({ outcome: 'moved', pauseMs: 12 }, 'drain')
    onMove({ outcome: 'moved', pauseMs: 3 }, 'drain')
    onMove({ outcome: 'failed', pauseMs: 40 }, 'admin')
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_migrations_total{trigger="drain",outcome="moved"}')).to.equal(2)
    expect(seriesValue(text, 'plexi_migrations_total{trigger="admin",outcome="failed"}')).to.equal(1)
    // only moves that ended moved are timed
    expect(seriesValue(text, 'plexi_migration_pause_seconds_count')).to.equal(2)
    expect(seriesValue(text, 'plexi_migration_pause_seconds_bucket{le="0.003"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_migration_pause_seconds_bucket{le="0.0125"}')).to.equal(2)
    expect(['plexi_migration_buffered_messages', 'plexi_migration_buffered_entities', 'plexi_migrations_pending', 'plexi_migration_concurrency']
      .map((name) => seriesValue(text, name))).to.deep.equal([9, 2, 4, 3])
  })
})
