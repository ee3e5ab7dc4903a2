import { expect } from 'chai'
import { Registry } from 'prom-client'
import { traceMetrics } from '../../../node/metrics/index.ts'
import { traceStats } from '../../../node/tracing/index.ts'
import { scrape } from '../../helpers/metric-text.ts'

describe('traceMetrics', () => {
  it('should follow tracing\'s counts and what waits for export', async () => {
    const registry = new Registry()
    const stats = traceStats()
    let pending = 3
    traceMetrics(registry, { stats, pending: () => pending })
    Object.assign(stats, { ended: 10, exported: 6, dropped: 2, failed: 1, exportFailures: 1, ignored: 4 })
    let text = await scrape(registry)
    for (const line of ['plexi_trace_spans_ended_total 10', 'plexi_trace_spans_exported_total 6', 'plexi_trace_spans_dropped_total 2', 'plexi_trace_spans_failed_total 1',
      'plexi_trace_export_failures_total 1', 'plexi_trace_contexts_ignored_total 4', 'plexi_trace_spans_pending 3']) expect(text).to.contain(line)
    stats.exported = 9
    pending = 0
    text = await scrape(registry)
    expect(text).to.contain('plexi_trace_spans_exported_total 9').and.to.contain('plexi_trace_spans_pending 0')
  })
})
