import { expect } from 'chai'
import { ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { tracedTurn } from '../../../node/inference/turn-spans.ts'
import { NO_SPANS, createTracing } from '../../../node/tracing/index.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'

const result: GenerateResult = { text: 'hi', stopReason: 'eos', promptTokens: 12, completionTokens: 5, droppedTurns: 0, ttftMs: 30, durationMs: 50, cache: { source: 'disk', reusedTokens: 8 } } as GenerateResult
const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6

describe('tracedTurn', () => {
  it('should run the turn plain with tracing off', async () => {
    expect(await tracedTurn(NO_SPANS, {}, async () => result)).to.equal(result)
  })

  it('should make the turn a span with its phases from the runtime\'s timings: queue, prompt (with the KV cache), generation', async () => {
    const exported: ReadableSpan[] = []
    const tracing = await createTracing({
      endpoint: 'http://127.0.0.1:9', sample: 1, node: 'n', roles: ['ai'], version: '0', log: { warn: () => undefined, info: () => undefined },
      exporter: { export: (s, done) => { exported.push(...s); done({ code: ExportResultCode.SUCCESS }) }, shutdown: async () => {} }
    })
    await tracedTurn(tracing.spans, { 'plexi.user': 'u' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 70))
      return result
    })
    await tracing.stop()
    const turn = exported.find((s) => s.name === 'agent.turn') as ReadableSpan
    const phase = (name: string): ReadableSpan => exported.find((s) => s.name === name) as ReadableSpan
    for (const name of ['inference.queue', 'inference.prompt', 'inference.generate']) expect(phase(name).parentSpanContext?.spanId, name).to.equal(turn.spanContext().spanId)
    expect(ms(phase('inference.queue').endTime)).to.equal(ms(phase('inference.prompt').startTime))
    expect(ms(phase('inference.prompt').endTime) - ms(phase('inference.prompt').startTime)).to.be.closeTo(30, 1)
    expect(ms(phase('inference.generate').endTime) - ms(phase('inference.generate').startTime)).to.be.closeTo(20, 1)
    expect(phase('inference.prompt').attributes).to.include({ 'plexi.kv_cache.source': 'disk', 'plexi.kv_cache.reused_tokens': 8, 'gen_ai.usage.input_tokens': 12 })
    expect(phase('inference.generate').attributes['gen_ai.usage.output_tokens']).to.equal(5)
  })
})
