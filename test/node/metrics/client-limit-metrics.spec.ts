import { expect } from 'chai'
import { Registry } from 'prom-client'
import { ClientLimits } from '../../../node/limits/index.ts'
import { clientLimitMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('clientLimitMetrics', () => {
  it('should export every endpoint and reason at zero from the start, then a real ClientLimits\' refusals, failed authentications and open streams, when clients meet the limits', async () => {
    let now = 0
    const limits = new ClientLimits({ rate: 1, burst: 1, authFailures: 5, streams: 1, now: () => now })
    const registry = new Registry()
    clientLimitMetrics(registry, limits.stats)
    let text = await scrape(registry)
    for (const endpoint of ['grpc', 'admin', 'metrics', 'openai', 'web']) {
      for (const reason of ['rate', 'auth-failures', 'streams', 'user-rate']) expect(seriesValue(text, `plexi_client_refusals_total{endpoint="${endpoint}",reason="${reason}"}`)).to.equal(0)
      expect(seriesValue(text, `plexi_auth_failures_total{endpoint="${endpoint}"}`)).to.equal(0)
    }
    limits.request('admin', '10.0.0.1')
    expect(() => { limits.request('admin', '10.0.0.1') }).to.throw()
    limits.failedAuthentication('grpc', '10.0.0.2')
    const release = limits.openStream('openai', '10.0.0.3')
    expect(() => limits.openStream('grpc', '10.0.0.3')).to.throw()
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_client_refusals_total{endpoint="admin",reason="rate"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_client_refusals_total{endpoint="grpc",reason="streams"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_auth_failures_total{endpoint="grpc"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_client_streams_open')).to.equal(1)
    release()
    now += 10_000
    expect(seriesValue(await scrape(registry), 'plexi_client_streams_open')).to.equal(0)
  })
})
