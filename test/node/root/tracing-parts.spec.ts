import { expect } from 'chai'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('tracing part', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should be off without otlp-endpoint, its metrics at zero', async () => {
    node = await startPartsUpTo('tracing')
    const tracing = node.c.get('tracing')
    expect(tracing.spans.on).to.equal(false)
    expect(tracing.messages).to.equal(undefined)
    const text = await scrape(node.c.get('metrics').registry)
    expect(text).to.contain('plexi_trace_spans_exported_total 0').and.to.contain('plexi_trace_spans_dropped_total 0')
  })

  it('should record spans with an endpoint, and bind the log\'s trace ids', async () => {
    node = await startPartsUpTo('tracing', { flags: { 'otlp-endpoint': 'http://127.0.0.1:9', 'trace-sample': 1 } })
    const { spans, messages } = node.c.get('tracing')
    expect(spans.on).to.equal(true)
    expect(messages).to.not.equal(undefined)
    const fields = spans.span('probe', undefined, () => node?.c.get('traceLog').mixin(), { root: true }) as { traceId?: string }
    expect(fields.traceId).to.match(/^[0-9a-f]{32}$/)
  })
})
