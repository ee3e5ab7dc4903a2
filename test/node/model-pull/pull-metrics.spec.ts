import { expect } from 'chai'
import { Registry } from 'prom-client'
import { pullMetrics } from '../../../node/model-pull/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('pullMetrics', () => {
  it('should show every series at 0 from the start, and count bytes by way and pulls by outcome', async () => {
    const registry = new Registry()
    const metrics = pullMetrics(registry)
    let text = await scrape(registry)
    for (const way of ['downloaded', 'sent', 'received']) expect(seriesValue(text, `plexi_model_pull_bytes_total{way="${way}"}`), way).to.equal(0)
    for (const outcome of ['done', 'failed', 'cancelled']) expect(seriesValue(text, `plexi_model_pulls_total{outcome="${outcome}"}`), outcome).to.equal(0)
    metrics.downloaded(1000)
    metrics.downloaded(24)
    metrics.copied('sent', 7)
    metrics.copied('received', 9)
    metrics.pulled('done')
    metrics.pulled('failed')
    metrics.pulled('failed')
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_model_pull_bytes_total{way="downloaded"}')).to.equal(1024)
    expect(seriesValue(text, 'plexi_model_pull_bytes_total{way="sent"}')).to.equal(7)
    expect(seriesValue(text, 'plexi_model_pull_bytes_total{way="received"}')).to.equal(9)
    expect(seriesValue(text, 'plexi_model_pulls_total{outcome="failed"}')).to.equal(2)
  })
})
