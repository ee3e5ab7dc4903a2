import { expect } from 'chai'
import { Registry } from 'prom-client'
import { antiEntropyMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('antiEntropyMetrics', () => {
  it('should export anti-entropy\'s passes, divergence, bytes and failures, and the records repaired by kind with scrub\'s, when read at scrape time', async () => {
    const registry = new Registry()
    const ae = { stats: { passes: 2, lastPassAt: 4_000, partitionsDiffering: 1, recordsFilled: 5, recordsRepaired: 3, bytes: 900, divergent: 1, failures: 2 } }
    let scrubbed = 4
    antiEntropyMetrics(registry, ae, () => scrubbed)
    let text = await scrape(registry)
    expect([
      'plexi_replication_anti_entropy_passes_total', 'plexi_replication_divergence_found_total', 'plexi_replication_records_repaired_total{kind="missed"}',
      'plexi_replication_records_repaired_total{kind="damaged"}', 'plexi_replication_records_repaired_total{kind="scrub"}', 'plexi_replication_bytes_moved_total',
      'plexi_replication_divergent_entities_total', 'plexi_replication_anti_entropy_failures_total', 'plexi_replication_last_full_pass_seconds'
    ].map((name) => seriesValue(text, name))).to.deep.equal([2, 1, 5, 3, 4, 900, 1, 2, 4])
    ae.stats.recordsFilled = 6
    scrubbed = 7
    text = await scrape(registry)
    expect([seriesValue(text, 'plexi_replication_records_repaired_total{kind="missed"}'), seriesValue(text, 'plexi_replication_records_repaired_total{kind="scrub"}')]).to.deep.equal([6, 7])
  })

  it('should count no scrub repairs, when no scrub runs', async () => {
    const registry = new Registry()
    antiEntropyMetrics(registry, { stats: { passes: 0, lastPassAt: 0, partitionsDiffering: 0, recordsFilled: 0, recordsRepaired: 0, bytes: 0, divergent: 0, failures: 0 } })
    expect(seriesValue(await scrape(registry), 'plexi_replication_records_repaired_total{kind="scrub"}')).to.equal(0)
  })
})
