/** Tracing (docs/operations.md, "Tracing"): OpenTelemetry spans across nodes, exported over
 * OTLP/HTTP; off unless `otlp-endpoint` is set. */
export { createTracing } from './tracing.ts'
export type { Tracing, TracingOptions } from './tracing.ts'
export { NO_SPANS } from './spans.ts'
export type { SpanAttrs, SpanOptions, SpanRole, Spans, TraceContext } from './spans.ts'
export { traceStats } from './trace-stats.ts'
export type { TraceStats } from './trace-stats.ts'
export { TraceLogFields } from './trace-log-fields.ts'
export * as tracingConstants from './constants.ts'
