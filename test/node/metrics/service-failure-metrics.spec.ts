import { expect } from 'chai'
import { Registry } from 'prom-client'
import { serviceFailureMetrics } from '../../../node/metrics/index.ts'
import { PeriodicService, ServiceFailures } from '../../../node/services/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

describe('serviceFailureMetrics', () => {
  it('should export each service\'s failed runs by name, when a real PeriodicService fails', async () => {
    const registry = new Registry()
    const failures = new ServiceFailures()
    serviceFailureMetrics(registry, failures)
    expect(families(await scrape(registry)).get('plexi_service_failures_total')?.type).to.equal('counter')
    const service = new PeriodicService({ name: 'scrub', run: () => { throw new Error('disk gone') }, intervalMs: 0, failures, log: quiet })
    await service.trigger()
    await service.trigger()
    failures.add('anti-entropy')
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_service_failures_total{service="scrub"}')).to.equal(2)
    expect(seriesValue(text, 'plexi_service_failures_total{service="anti-entropy"}')).to.equal(1)
    await service.stop()
  })
})
