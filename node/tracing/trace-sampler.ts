import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace'
import type { Sampler } from '@opentelemetry/sdk-trace'

/**
 * The head sampler of `trace-sample` (0 to 1): a trace that starts here (a client's call with no
 * `traceparent`, an admin's move, a recovery) is kept with that probability, decided from its trace
 * id (so every node that sees a trace id alone decides alike); a span with a parent follows it
 * (parent-based: a sampled parent's children are sampled on every node, an unsampled one's never,
 * a client's `traceparent` flags included).
 */
export function traceSampler (ratio: number): Sampler {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`trace-sample must be 0 to 1, got ${ratio}`)
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
}
