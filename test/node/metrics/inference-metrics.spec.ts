import { expect } from 'chai'
import { Registry } from 'prom-client'
import { inferenceMetrics, kvCacheMetrics } from '../../../node/metrics/index.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

const result = (over: Partial<GenerateResult>): GenerateResult => ({ text: '', stopReason: 'eos', promptTokens: 4, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0, ...over })

describe('inferenceMetrics', () => {
  it('should count tokens and requests by outcome, time the first token and the speed after it, when a request ends', async () => {
    const registry = new Registry()
    const inference = inferenceMetrics(registry, kvCacheMetrics(registry))
    // 11 tokens: the first after 100 ms, the other 10 in the next 500 ms (20 tokens a second)
    inference.observeInference('tiny', result({ completionTokens: 11, ttftMs: 100, durationMs: 600, stopReason: 'max-tokens' }))
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_inference_tokens_total{model="tiny"}')).to.equal(11)
    expect(seriesValue(text, 'plexi_inference_requests_total{model="tiny",outcome="max-tokens"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_inference_time_to_first_token_seconds_sum{model="tiny"}')).to.equal(0.1)
    expect(seriesValue(text, 'plexi_inference_tokens_per_second_sum{model="tiny"}')).to.equal(20)
  })

  it('should time nothing for a request with no token, and no speed for one token, when a request ends so', async () => {
    const registry = new Registry()
    const inference = inferenceMetrics(registry, kvCacheMetrics(registry))
    inference.observeInference('tiny', result({ stopReason: 'cancelled' }))
    inference.observeInference('tiny', result({ completionTokens: 1, ttftMs: 50, durationMs: 80 }))
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_inference_requests_total{model="tiny",outcome="cancelled"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_inference_time_to_first_token_seconds_count{model="tiny"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_inference_tokens_per_second_count{model="tiny"}')).to.equal(undefined)
  })

  it('should count the request\'s cache use on the KV cache metrics, and forwarded requests by direction, when observed', async () => {
    const registry = new Registry()
    const inference = inferenceMetrics(registry, kvCacheMetrics(registry))
    inference.observeInference('tiny', result({ completionTokens: 2, ttftMs: 10, durationMs: 20, cache: { source: 'memory', reusedTokens: 8, restoredBytes: 0 } }))
    inference.observeForwarded('tiny', 'sent')
    inference.observeForwarded('tiny', 'served')
    inference.inferenceRequests.inc({ model: 'tiny', outcome: 'error' })
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_kv_cache_requests_total{model="tiny",source="memory"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_kv_cache_reused_tokens_total{model="tiny"}')).to.equal(8)
    expect(seriesValue(text, 'plexi_inference_forwarded_total{model="tiny",direction="sent"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_inference_forwarded_total{model="tiny",direction="served"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_inference_requests_total{model="tiny",outcome="error"}')).to.equal(1)
  })
})
