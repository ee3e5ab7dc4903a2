import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace'
import { traceSampler } from '../../../node/tracing/trace-sampler.ts'

const SAMPLED = SamplingDecision.RECORD_AND_SAMPLED

function decide (ratio: number, traceId: string, parentFlags?: number): SamplingDecision {
  const ctx = parentFlags === undefined
    ? ROOT_CONTEXT
    : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'b7ad6b7169203331', traceFlags: parentFlags, isRemote: true })
  return traceSampler(ratio).shouldSample(ctx, traceId, 'x', SpanKind.SERVER, {}, []).decision
}

const ids = Array.from({ length: 2_000 }, () => randomBytes(16).toString('hex'))

describe('traceSampler', () => {
  it('should keep every new trace at 1 and none at 0', () => {
    for (const id of ids.slice(0, 50)) {
      expect(decide(1, id)).to.equal(SAMPLED)
      expect(decide(0, id)).to.equal(SamplingDecision.NOT_RECORD)
    }
  })

  it('should keep about its ratio of new traces, decided by the trace id alone (the same on every node)', () => {
    const kept = ids.filter((id) => decide(0.1, id) === SAMPLED)
    expect(kept.length).to.be.within(100, 300)
    expect(ids.filter((id) => decide(0.1, id) === SAMPLED)).to.deep.equal(kept)
  })

  it('should follow a parent: sampled is kept at 0, unsampled is dropped at 1', () => {
    expect(decide(0, ids[0] as string, TraceFlags.SAMPLED)).to.equal(SAMPLED)
    expect(decide(1, ids[0] as string, TraceFlags.NONE)).to.equal(SamplingDecision.NOT_RECORD)
  })

  it('should refuse a ratio outside 0 to 1', () => {
    for (const bad of [-0.1, 1.01, Number.NaN]) expect(() => traceSampler(bad)).to.throw(RangeError, /0 to 1/)
  })
})
