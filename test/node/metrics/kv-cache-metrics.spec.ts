import { expect } from 'chai'
import { Registry } from 'prom-client'
import { kvCacheMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('kvCacheMetrics', () => {
  it('should count each request\'s cache use by source, the tokens and bytes it reused, and a refused saved state, when observed', async () => {
    const registry = new Registry()
    const kv = kvCacheMetrics(registry)
    kv.observeCacheUse('tiny', { source: 'disk', reusedTokens: 12, restoredBytes: 300 })
    kv.observeCacheUse('tiny', { source: 'miss', reusedTokens: 0, restoredBytes: 0, restoreFailure: 'another model' })
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_kv_cache_requests_total{model="tiny",source="disk"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_kv_cache_requests_total{model="tiny",source="miss"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_kv_cache_reused_tokens_total{model="tiny"}')).to.equal(12)
    expect(seriesValue(text, 'plexi_kv_cache_restored_bytes_total{model="tiny"}')).to.equal(300)
    expect(seriesValue(text, 'plexi_kv_cache_restore_failures_total{model="tiny"}')).to.equal(1)
  })

  it('should count the bytes saved by model and moved by direction, when the runtime and the transfer report them', async () => {
    const registry = new Registry()
    const kv = kvCacheMetrics(registry)
    kv.observeKvSaved('tiny', 100)
    kv.observeKvSaved('tiny', 50)
    kv.observeKvTransfer('sent', 7)
    kv.observeKvTransfer('received', 9)
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_kv_cache_saved_bytes_total{model="tiny"}')).to.equal(150)
    expect(seriesValue(text, 'plexi_kv_cache_moved_bytes_total{direction="sent"}')).to.equal(7)
    expect(seriesValue(text, 'plexi_kv_cache_moved_bytes_total{direction="received"}')).to.equal(9)
  })
})
