import { expect } from 'chai'
import { NO_SPANS, TraceLogFields } from '../../../node/tracing/index.ts'
import type { Spans } from '../../../node/tracing/index.ts'

describe('TraceLogFields', () => {
  it('should add nothing until bound, nor when bound to tracing that is off', () => {
    const fields = new TraceLogFields()
    expect(fields.mixin()).to.deep.equal({})
    fields.bind(NO_SPANS)
    expect(fields.mixin()).to.deep.equal({})
  })

  it('should add the ids of the span a line is written in, once bound', () => {
    const fields = new TraceLogFields()
    const spans = { ...NO_SPANS, on: true, logFields: () => ({ traceId: 't', spanId: 's' }) } as Spans
    fields.bind(spans)
    expect(fields.mixin()).to.deep.equal({ traceId: 't', spanId: 's' })
  })
})
