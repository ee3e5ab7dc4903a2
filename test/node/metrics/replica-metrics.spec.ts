import { expect } from 'chai'
import { Registry } from 'prom-client'
import { replicaMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('replicaMetrics', () => {
  it('should export what this node\'s replicas answered and the journals waiting to open, read at each scrape, when they change', async () => {
    const registry = new Registry()
    const counts = { fences: 1, appends: 2, records: 3, staleRefusals: 4, mismatches: 5, rewritten: 6, trims: 7, truncated: 8, versionRefusals: 9 }
    const replicas = { replicaStats: () => counts, opensWaiting: 2 }
    replicaMetrics(registry, replicas)
    let text = await scrape(registry)
    expect([
      'plexi_replication_replica_fences_total', 'plexi_replication_replica_records_total', 'plexi_replication_stale_refusals_total',
      'plexi_replication_mismatches_total', 'plexi_replication_records_rewritten_total', 'plexi_replication_trims_total', 'plexi_replication_records_truncated_total', 'plexi_replication_version_refusals_total', 'plexi_replication_opens_waiting'
    ].map((name) => seriesValue(text, name))).to.deep.equal([1, 3, 4, 5, 6, 7, 8, 9, 2])
    counts.records = 10
    replicas.opensWaiting = 0
    text = await scrape(registry)
    expect([seriesValue(text, 'plexi_replication_replica_records_total'), seriesValue(text, 'plexi_replication_opens_waiting')]).to.deep.equal([10, 0])
  })
})
