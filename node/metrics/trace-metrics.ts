import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What traceMetrics reads of tracing (node/tracing TraceStats and its queue), at scrape time. */
export interface TraceStatsView {
  readonly stats: {
    readonly ended: number
    readonly exported: number
    readonly dropped: number
    readonly failed: number
    readonly exportFailures: number
    readonly ignored: number
  }
  pending (): number
}

/** Tracing: sampled spans ended, exported, dropped and failed; what waits for export; trace
 * contexts ignored as malformed. (All zero while tracing is off.) */
export function traceMetrics (registry: Registry, tracing: TraceStatsView): void {
  const s = tracing.stats
  scrapedCounter(registry, 'plexi_trace_spans_ended_total', 'Sampled spans that ended on this node (each is queued for export, or dropped when the queue is full)', () => s.ended)
  scrapedCounter(registry, 'plexi_trace_spans_exported_total', 'Spans the OTLP receiver (otlp-endpoint) took', () => s.exported)
  scrapedCounter(registry, 'plexi_trace_spans_dropped_total', 'Spans dropped before export because the export queue was full (the receiver away or slower than the spans)', () => s.dropped)
  scrapedCounter(registry, 'plexi_trace_spans_failed_total', 'Spans of export requests that failed (the receiver refused them or did not answer)', () => s.failed)
  scrapedCounter(registry, 'plexi_trace_export_failures_total', 'Export requests to the OTLP receiver that failed', () => s.exportFailures)
  scrapedCounter(registry, 'plexi_trace_contexts_ignored_total', 'Trace contexts (traceparent) from a peer or a client that were malformed and ignored', () => s.ignored)
  scrapedGauge(registry, 'plexi_trace_spans_pending', 'Spans waiting for export or being exported', () => tracing.pending())
}
