import { expect } from 'chai'
import { EnvelopeTrace } from '../../../node/mesh/envelope-trace.ts'
import { NO_SPANS } from '../../../node/tracing/index.ts'
import type { Spans } from '../../../node/tracing/index.ts'

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

/** Spans that are on, carry `carrier`, and record what fromField was given. */
function spans (carrier: { traceparent: string, tracestate?: string } | undefined): Spans & { fields: unknown[] } {
  const fields: unknown[] = []
  return { ...NO_SPANS, on: true, carrier: () => carrier, fromField: <T>(field: unknown, fn: () => T): T => { fields.push(field); return fn() }, fields }
}

describe('EnvelopeTrace', () => {
  it('should carry the trace recorded here to a peer that takes it or is not known yet, and not to one of an earlier version', () => {
    const takes = new Map<string, boolean>([['new', true], ['old', false]])
    const trace = new EnvelopeTrace(spans({ traceparent: TP, tracestate: 'a=b' }), (p) => takes.get(p))
    expect(trace.fieldFor('new')).to.deep.equal([TP, 'a=b'])
    expect(trace.fieldFor('unknown')).to.deep.equal([TP, 'a=b'])
    expect(trace.fieldFor('old')).to.equal(undefined)
  })

  it('should carry nothing outside a recorded trace, or with tracing off', () => {
    expect(new EnvelopeTrace(spans(undefined), () => true).fieldFor('p')).to.equal(undefined)
    expect(new EnvelopeTrace(NO_SPANS, () => true).fieldFor('p')).to.equal(undefined)
  })

  it('should deliver an envelope with a field in its trace, and one without (or with tracing off) as it is', () => {
    const on = spans(undefined)
    const trace = new EnvelopeTrace(on, () => true)
    let delivered = 0
    trace.deliverIn(true, TP, () => { delivered++ })
    trace.deliverIn(false, undefined, () => { delivered++ })
    new EnvelopeTrace(NO_SPANS, () => true).deliverIn(true, TP, () => { delivered++ })
    expect(delivered).to.equal(3)
    expect(on.fields).to.deep.equal([TP])
  })
})
