import { expect } from 'chai'
import { Registry } from 'prom-client'
import { processMetrics, residentPeakBytes } from '../../../node/metrics/process-metrics.ts'

describe('processMetrics', () => {
  it('should export the peak resident memory, at least the resident memory now, where the system keeps one', async function () {
    if (process.platform !== 'linux') this.skip()
    const peak = residentPeakBytes()
    expect(peak).to.be.a('number')
    expect(peak).to.be.at.least(process.memoryUsage().rss - 1024 * 1024)
    const registry = new Registry()
    processMetrics(registry)
    const text = await registry.metrics()
    const value = Number(/^plexi_process_resident_memory_peak_bytes (\d+)/m.exec(text)?.[1])
    expect(value).to.be.at.least(peak as number)
  })
})
