import { expect } from 'chai'
import { Registry } from 'prom-client'
import { scrubMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('scrubMetrics', () => {
  it('should export scrub\'s passes, bytes, finds and quarantine, and the running pass\'s progress (1 between passes), when read at scrape time', async () => {
    const registry = new Registry()
    const scrub = { stats: { passes: 1, running: true, scanned: 25, expected: 100, bytes: 2048, corruptFound: 2, repaired: 1, quarantined: 1, lastPassAt: 3_000 } }
    scrubMetrics(registry, scrub)
    let text = await scrape(registry)
    expect([
      'plexi_replication_scrub_passes_total', 'plexi_replication_scrub_bytes_total', 'plexi_replication_scrub_progress_ratio',
      'plexi_replication_corrupt_records_found_total', 'plexi_replication_quarantined_values', 'plexi_replication_scrub_last_pass_seconds'
    ].map((name) => seriesValue(text, name))).to.deep.equal([1, 2048, 0.25, 2, 1, 3])
    // more scanned than expected (records written meanwhile) is still at most 1
    scrub.stats.scanned = 150
    expect(seriesValue(await scrape(registry), 'plexi_replication_scrub_progress_ratio')).to.equal(1)
    scrub.stats.running = false
    scrub.stats.scanned = 0
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_replication_scrub_progress_ratio')).to.equal(1)
  })
})
