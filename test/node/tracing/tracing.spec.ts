import { expect } from 'chai'
import { ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace'
import { createTracing } from '../../../node/tracing/index.ts'
import type { Tracing } from '../../../node/tracing/index.ts'

const quiet = { warn: () => undefined, info: () => undefined }

/** Tracing to an in-memory exporter; `finish` stops it and returns every span it ended. */
async function traced (sample: number): Promise<{ tracing: Tracing, finish: () => Promise<ReadableSpan[]> }> {
  const exported: ReadableSpan[] = []
  const exporter: SpanExporter = {
    export: (spans, done) => {
      exported.push(...spans)
      done({ code: ExportResultCode.SUCCESS })
    },
    shutdown: async () => {}
  }
  const tracing = await createTracing({ endpoint: 'http://127.0.0.1:1', sample, node: 'n1', roles: ['chat'], version: '0', log: quiet, exporter, delayMs: 5 })
  return {
    tracing,
    finish: async () => {
      // (stop exports what is left first)
      await tracing.stop()
      return exported
    }
  }
}

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId

describe('createTracing', () => {
  it('should be off without an endpoint: spans run their work plain, nothing is carried, no message trace', async () => {
    const tracing = await createTracing({ endpoint: undefined, sample: 1, node: 'n', roles: [], version: '0', log: quiet })
    expect(tracing.spans.on).to.equal(false)
    expect(tracing.messages).to.equal(undefined)
    expect(tracing.spans.span('x', undefined, () => 42, { root: true })).to.equal(42)
    expect(tracing.spans.carrier()).to.equal(undefined)
    expect(tracing.spans.logFields()).to.deep.equal({})
    await tracing.stop()
  })

  it('should start a trace at an entry point and nest spans inside it, carrying its ids to log lines and the wire', async () => {
    const { tracing, finish } = await traced(1)
    const { spans } = tracing
    let fields: object = {}
    let carrier: { traceparent: string } | undefined
    await spans.span('entry', { a: 1 }, async () => {
      await spans.span('inner', undefined, async () => {
        fields = spans.logFields()
        carrier = spans.carrier()
      })
    }, { root: true, role: 'server' })
    expect(spans.logFields(), 'outside any span').to.deep.equal({})
    const ended = await finish()
    const entry = ended.find((s) => s.name === 'entry') as ReadableSpan
    const inner = ended.find((s) => s.name === 'inner') as ReadableSpan
    expect(parentOf(inner)).to.equal(entry.spanContext().spanId)
    expect(inner.spanContext().traceId).to.equal(entry.spanContext().traceId)
    expect(fields).to.deep.equal({ traceId: inner.spanContext().traceId, spanId: inner.spanContext().spanId })
    expect(carrier?.traceparent).to.equal(`00-${inner.spanContext().traceId}-${inner.spanContext().spanId}-01`)
    expect(entry.attributes.a).to.equal(1)
  })

  it('should make no span outside a recorded trace unless it is an entry point, and none at sample 0', async () => {
    const { tracing, finish } = await traced(0)
    expect(tracing.spans.span('lone', undefined, () => 'ran')).to.equal('ran')
    expect(tracing.spans.span('entry', undefined, () => tracing.spans.recording(), { root: true })).to.equal(false)
    expect(await finish()).to.deep.equal([])
  })

  it('should follow a parent\'s sampled flag whatever the ratio (parent-based), from a carrier', async () => {
    const { tracing, finish } = await traced(0)
    const sampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const unsampled = '00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'
    tracing.spans.span('kept', undefined, () => undefined, { root: true, parent: { traceparent: sampled } })
    tracing.spans.span('not kept', undefined, () => undefined, { root: true, parent: { traceparent: unsampled } })
    tracing.spans.fromCarrier({ traceparent: sampled }, () => { tracing.spans.span('remote child', undefined, () => undefined) })
    const ended = await finish()
    expect(ended.map((s) => s.name).sort()).to.deep.equal(['kept', 'remote child'])
    for (const s of ended) {
      expect(s.spanContext().traceId).to.equal('0af7651916cd43dd8448eb211c80319c')
      expect(parentOf(s)).to.equal('b7ad6b7169203331')
    }
  })

  it('should mark a span failed when its work rejects, keep the rejection, and set attributes of a result', async () => {
    const { tracing, finish } = await traced(1)
    const failing = tracing.spans.span('fails', undefined, async () => { throw new RangeError('no') }, { root: true })
    let caught: unknown
    await failing.catch((err: unknown) => { caught = err })
    expect(caught).to.be.instanceOf(RangeError)
    expect(() => tracing.spans.span('throws', undefined, () => { throw new TypeError('sync') }, { root: true })).to.throw(TypeError)
    tracing.spans.span('result', undefined, () => ({ n: 3 }), { root: true, resultAttrs: (r: { n: number }) => ({ got: r.n }) })
    const ended = await finish()
    const fails = ended.find((s) => s.name === 'fails') as ReadableSpan
    expect(fails.status.code).to.equal(2)
    expect(fails.attributes['error.type']).to.equal('RangeError')
    expect(ended.find((s) => s.name === 'throws')?.status.code).to.equal(2)
    expect(ended.find((s) => s.name === 'result')?.attributes.got).to.equal(3)
  })

  it('should record a span after the fact with the times given', async () => {
    const { tracing, finish } = await traced(1)
    // times as the node gives them: ms since the epoch (a small number would be taken by the SDK
    // for a time since the process's start)
    const start = Math.floor(Date.now()) - 5_000
    tracing.spans.span('turn', undefined, () => {
      tracing.spans.span('waited', undefined, () => undefined, { startTime: start, endTime: start + 250 })
    }, { root: true })
    const waited = (await finish()).find((s) => s.name === 'waited') as ReadableSpan
    expect(waited.startTime[0] * 1000 + waited.startTime[1] / 1e6).to.be.closeTo(start, 0.001)
    expect(waited.endTime[0] * 1000 + waited.endTime[1] / 1e6).to.be.closeTo(start + 250, 0.001)
  })

  it('should keep a message in the trace it was sent in, and run an untagged one outside any trace', async () => {
    const { tracing, finish } = await traced(1)
    const trace = tracing.messages
    if (trace === undefined) throw new Error('no message trace')
    const tagged = { type: 'post' }
    const untagged = { type: 'tick' }
    let sender = ''
    tracing.spans.span('send', undefined, () => {
      sender = tracing.spans.logFields().spanId ?? ''
      trace.tag(tagged)
    }, { root: true })
    let inHandler: object = {}
    let inUntagged: object = { not: 'run' }
    // whatever trace schedules the turn, each message runs in its own
    tracing.spans.span('scheduler', undefined, () => {
      trace.run(tagged, '/entities/room/general', () => { inHandler = tracing.spans.logFields() })
      trace.run(untagged, '/ticker', () => { inUntagged = tracing.spans.logFields() })
    }, { root: true })
    trace.tag(7)
    trace.tag(null)
    const ended = await finish()
    const handled = ended.find((s) => s.name === 'room post') as ReadableSpan
    expect(parentOf(handled)).to.equal(sender)
    expect(handled.attributes['plexi.entity']).to.equal('room/general')
    expect(handled.kind, 'CONSUMER').to.equal(4)
    expect(inHandler).to.deep.equal({ traceId: handled.spanContext().traceId, spanId: handled.spanContext().spanId })
    expect(inUntagged).to.deep.equal({})
  })

  it('should ignore a malformed trace field off the wire, counting it, and run the work outside any trace', async () => {
    const { tracing, finish } = await traced(1)
    expect(tracing.spans.fromField('garbage', () => tracing.spans.recording())).to.equal(false)
    expect(tracing.spans.fromField([1, 2], () => 'ran')).to.equal('ran')
    expect(tracing.spans.fromField(undefined, () => 'ran')).to.equal('ran')
    expect(tracing.stats.ignored).to.equal(2)
    await finish()
  })

  it('should count the spans it ended and exported', async () => {
    const { tracing, finish } = await traced(1)
    tracing.spans.span('one', undefined, () => undefined, { root: true })
    await finish()
    expect(tracing.stats.ended).to.equal(1)
    expect(tracing.stats.exported).to.equal(1)
    expect(tracing.pending()).to.equal(0)
  })
})
