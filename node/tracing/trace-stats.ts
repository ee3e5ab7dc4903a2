/** What tracing did on this node, for /metrics (plexi_trace_*): plain counts. */
export interface TraceStats {
  /** Sampled spans that ended here (each is queued for export or dropped). */
  ended: number
  /** Spans the OTLP receiver took. */
  exported: number
  /** Spans dropped before export: the queue was full (a receiver away or slower than the spans). */
  dropped: number
  /** Spans of export requests that failed (the receiver refused them, or did not answer). */
  failed: number
  /** Export requests that failed. */
  exportFailures: number
  /** Trace contexts that came malformed from a peer or a client, and were ignored. */
  ignored: number
}

export function traceStats (): TraceStats {
  return { ended: 0, exported: 0, dropped: 0, failed: 0, exportFailures: 0, ignored: 0 }
}
