import { expect } from 'chai'
import { Registry } from 'prom-client'
import { replicationMetrics } from '../../../node/metrics/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('replicationMetrics', () => {
  it('should export what the journal counts in the stats object it is given, and its quorum latency in seconds, when the journal writes them', async () => {
    const registry = new Registry()
    const stats = replicationMetrics(registry)
    expect(seriesValue(await scrape(registry), 'plexi_replication_appends_total')).to.equal(0)
    stats.appendedRecords = 7
    stats.appends = 3
    stats.opens = 2
    stats.recoveries = 1
    stats.staleEpochs = 4
    stats.handOvers = 5
    stats.handOversRefused = 6
    stats.failures = 8
    stats.observeQuorum(3)
    const text = await scrape(registry)
    expect([
      'plexi_journal_appends_total', 'plexi_replication_appends_total', 'plexi_replication_opens_total', 'plexi_replication_recoveries_total',
      'plexi_replication_stale_epoch_total', 'plexi_replication_handovers_total', 'plexi_replication_handover_refusals_total', 'plexi_replication_failures_total'
    ].map((name) => seriesValue(text, name))).to.deep.equal([7, 3, 2, 1, 4, 5, 6, 8])
    expect(seriesValue(text, 'plexi_replication_quorum_seconds_count')).to.equal(1)
    expect(seriesValue(text, 'plexi_replication_quorum_seconds_sum')).to.equal(0.003)
    expect(seriesValue(text, 'plexi_replication_quorum_seconds_bucket{le="0.0025"}')).to.equal(0)
    expect(seriesValue(text, 'plexi_replication_quorum_seconds_bucket{le="0.005"}')).to.equal(1)
    expect(families(text).get('plexi_replication_quorum_seconds')?.type).to.equal('histogram')
  })
})
