import { expect } from 'chai'
import { Registry } from 'prom-client'
import { auditMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('auditMetrics', () => {
  it('should export the records the audit trail wrote, failed and dropped, read at each scrape, when they grow', async () => {
    const registry = new Registry()
    const stats = { written: 3, failures: 1, dropped: 0 }
    auditMetrics(registry, stats)
    let text = await scrape(registry)
    expect([seriesValue(text, 'plexi_audit_records_total'), seriesValue(text, 'plexi_audit_failures_total'), seriesValue(text, 'plexi_audit_dropped_total')]).to.deep.equal([3, 1, 0])
    stats.written = 5
    stats.dropped = 2
    text = await scrape(registry)
    expect([seriesValue(text, 'plexi_audit_records_total'), seriesValue(text, 'plexi_audit_failures_total'), seriesValue(text, 'plexi_audit_dropped_total')]).to.deep.equal([5, 1, 2])
  })
})
