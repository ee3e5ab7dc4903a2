import { TraceFlags } from '@opentelemetry/api'
import type { Context } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import type { ExportResult } from '@opentelemetry/core'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'
import { EXPORT_BATCH_SPANS, EXPORT_DELAY_MS, EXPORT_TIMEOUT_MS, MAX_QUEUED_SPANS } from './constants.ts'
import type { TraceStats } from './trace-stats.ts'

export interface SpanQueueOptions {
  readonly exporter: SpanExporter
  readonly stats: TraceStats
  /** @default MAX_QUEUED_SPANS */
  readonly maxQueued?: number
  /** @default EXPORT_DELAY_MS */
  readonly delayMs?: number
  /** Told once per failed export (the reason); the caller logs it, bounded. */
  readonly onExportFailed?: (why: string) => void
}

/**
 * The spans waiting for export, counted: the SDK's BatchSpanProcessor does the batching and the
 * timing, and this bounds what it holds (a span past `maxQueued` waiting is dropped and counted,
 * where the SDK would drop it unseen) and counts what the exporter sent or failed to.
 */
export class SpanQueue implements SpanProcessor {
  readonly #stats: TraceStats
  readonly #max: number
  readonly #batch: BatchSpanProcessor
  /** Spans handed to the batcher whose export has not ended. */
  #pending = 0

  constructor (opts: SpanQueueOptions) {
    this.#stats = opts.stats
    this.#max = opts.maxQueued ?? MAX_QUEUED_SPANS
    const counted: SpanExporter = {
      export: (spans, done) => {
        opts.exporter.export(spans, (result: ExportResult) => {
          this.#pending = Math.max(0, this.#pending - spans.length)
          if (result.code === ExportResultCode.SUCCESS) {
            this.#stats.exported += spans.length
          } else {
            this.#stats.failed += spans.length
            this.#stats.exportFailures++
            opts.onExportFailed?.(result.error?.message ?? 'the receiver refused the spans')
          }
          done(result)
        })
      },
      shutdown: async () => { await opts.exporter.shutdown() },
      ...(opts.exporter.forceFlush !== undefined && { forceFlush: async () => { await opts.exporter.forceFlush?.() } })
    }
    this.#batch = new BatchSpanProcessor({
      exporter: counted,
      // never the batcher's own drop (unseen): this queue's bound comes first
      maxQueueSize: this.#max + EXPORT_BATCH_SPANS,
      maxExportBatchSize: EXPORT_BATCH_SPANS,
      scheduledDelayMillis: opts.delayMs ?? EXPORT_DELAY_MS,
      exportTimeoutMillis: EXPORT_TIMEOUT_MS
    })
  }

  /** Spans waiting for export or being exported. */
  get pending (): number { return this.#pending }

  onStart (span: Span, parentContext: Context): void {
    this.#batch.onStart(span, parentContext)
  }

  onEnd (span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    this.#stats.ended++
    if (this.#pending >= this.#max) {
      this.#stats.dropped++
      return
    }
    this.#pending++
    this.#batch.onEnd(span)
  }

  async forceFlush (): Promise<void> {
    await this.#batch.forceFlush()
  }

  async shutdown (): Promise<void> {
    await this.#batch.shutdown()
  }
}
