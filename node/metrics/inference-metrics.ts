import { Counter, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { GenerateResult } from '../../runtimes/index.ts'
import type { KvCacheMetrics } from './kv-cache-metrics.ts'

/** Inference on this node: tokens, requests by outcome, time to the first token, speed, and
 * requests forwarded to or served for a member with the model loaded; counted as each request
 * ends, through the observers the inference parts are given. */
export interface InferenceMetrics {
  readonly inferenceTokens: Counter<'model'>
  readonly inferenceRequests: Counter<'model' | 'outcome'>
  readonly timeToFirstToken: Histogram<'model'>
  readonly tokensPerSecond: Histogram<'model'>
  readonly inferenceForwarded: Counter<'model' | 'direction'>
  /** For ModelManagerOptions.onResult. */
  readonly observeInference: (model: string, result: GenerateResult) => void
  /** For WarmForwardingOptions.onForward. */
  readonly observeForwarded: (model: string, direction: 'sent' | 'served') => void
}

/** `kvCache`: where a request's use of its KV cache is counted. */
export function inferenceMetrics (registry: Registry, kvCache: Pick<KvCacheMetrics, 'observeCacheUse'>): InferenceMetrics {
  const registers = [registry]
  const inferenceTokens = new Counter({ name: 'plexi_inference_tokens_total', help: 'Tokens generated, by model', labelNames: ['model'], registers })
  const inferenceForwarded = new Counter({
    name: 'plexi_inference_forwarded_total',
    help: 'Requests for a model this node had not loaded that a member with it loaded answered (sent), and requests this node answered for another member (served)',
    labelNames: ['model', 'direction'],
    registers
  })
  const inferenceRequests = new Counter({
    name: 'plexi_inference_requests_total',
    help: 'Inference requests by model and how they ended: eos, max-tokens, cancelled, context-full, tool-calls, or error',
    labelNames: ['model', 'outcome'],
    registers
  })
  const timeToFirstToken = new Histogram({
    name: 'plexi_inference_time_to_first_token_seconds',
    help: 'Time from a request reaching its runtime to its first token, by model',
    labelNames: ['model'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers
  })
  const tokensPerSecond = new Histogram({
    name: 'plexi_inference_tokens_per_second',
    help: 'Generation speed of each request after its first token, by model',
    labelNames: ['model'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers
  })
  return {
    inferenceTokens,
    inferenceRequests,
    timeToFirstToken,
    tokensPerSecond,
    inferenceForwarded,
    observeInference: (model, result) => {
      inferenceTokens.inc({ model }, result.completionTokens)
      inferenceRequests.inc({ model, outcome: result.stopReason })
      if (result.cache !== undefined) kvCache.observeCacheUse(model, result.cache)
      if (result.completionTokens > 0) {
        timeToFirstToken.observe({ model }, result.ttftMs / 1000)
        const generating = (result.durationMs - result.ttftMs) / 1000
        if (result.completionTokens > 1 && generating > 0) tokensPerSecond.observe({ model }, (result.completionTokens - 1) / generating)
      }
    },
    observeForwarded: (model, direction) => { inferenceForwarded.inc({ model, direction }) }
  }
}
