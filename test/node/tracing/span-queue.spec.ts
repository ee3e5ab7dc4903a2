import { expect } from 'chai'
import { ExportResultCode } from '@opentelemetry/core'
import type { ExportResult } from '@opentelemetry/core'
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace'
import { SpanQueue } from '../../../node/tracing/span-queue.ts'
import { traceStats } from '../../../node/tracing/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** An exporter that answers as told: 'hold' keeps every batch waiting until release(). */
function exporter (answer: 'ok' | 'fail' | 'hold'): SpanExporter & { batches: ReadableSpan[][], release: () => void } {
  const held: Array<() => void> = []
  const batches: ReadableSpan[][] = []
  return {
    batches,
    release: () => { for (const r of held.splice(0)) r() },
    export: (spans: ReadableSpan[], done: (r: ExportResult) => void) => {
      batches.push(spans)
      const result = answer === 'fail' ? { code: ExportResultCode.FAILED, error: new Error('refused: 503') } : { code: ExportResultCode.SUCCESS }
      if (answer === 'hold') held.push(() => { done(result) })
      else done(result)
    },
    shutdown: async () => {}
  }
}

function spansThrough (queue: SpanQueue, n: number): void {
  const tracer = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [queue] }).getTracer('t')
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end()
}

describe('SpanQueue', () => {
  it('should count the spans exported', async () => {
    const stats = traceStats()
    const out = exporter('ok')
    const queue = new SpanQueue({ exporter: out, stats, delayMs: 1 })
    spansThrough(queue, 3)
    await queue.forceFlush()
    expect(stats).to.include({ ended: 3, exported: 3, dropped: 0, failed: 0 })
    expect(queue.pending).to.equal(0)
    await queue.shutdown()
  })

  it('should drop and count the spans past its bound while the receiver holds the queue, never queueing more', async () => {
    const stats = traceStats()
    const out = exporter('hold')
    const queue = new SpanQueue({ exporter: out, stats, maxQueued: 4, delayMs: 1 })
    spansThrough(queue, 10)
    expect(stats).to.include({ ended: 10, dropped: 6 })
    expect(queue.pending).to.equal(4)
    await waitFor(() => out.batches.length > 0, 'an export to begin', { timeout: 5_000 })
    out.release()
    await waitFor(() => stats.exported === 4, 'the held spans exported', { timeout: 5_000 })
    expect(queue.pending).to.equal(0)
    await queue.shutdown()
  })

  it('should count the spans of a failed export and say why, once per failure', async () => {
    const stats = traceStats()
    const why: string[] = []
    const queue = new SpanQueue({ exporter: exporter('fail'), stats, delayMs: 1, onExportFailed: (w) => why.push(w) })
    spansThrough(queue, 2)
    // (the batcher's flush rejects with the export's error)
    await queue.forceFlush().catch(() => undefined)
    expect(stats).to.include({ ended: 2, exported: 0, failed: 2, exportFailures: 1 })
    expect(why).to.deep.equal(['refused: 503'])
    await queue.shutdown()
  })
})
