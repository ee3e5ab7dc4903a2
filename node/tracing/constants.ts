/** Tracing's defaults and bounds (node/tracing): each with its why. */

/** The tracer's name in every span's instrumentation scope. */
export const TRACER_NAME = 'plexi'

/** Where an OTLP/HTTP receiver takes spans, below the endpoint's URL (the OTLP spec's path). */
export const OTLP_TRACES_PATH = '/v1/traces'

/** Spans ended and not exported yet, at most: past it a span is dropped and counted
 * (plexi_trace_spans_dropped_total), never queued without bound while a collector is away. At
 * 100% sampling a chat post makes about ten spans, so this is a few hundred posts' worth. */
export const MAX_QUEUED_SPANS = 8_192

/** Spans in one export request (OTLP/HTTP JSON: about 1 KiB each). */
export const EXPORT_BATCH_SPANS = 512

/** ms between exports while fewer than a batch wait: a trace shows up this soon after it ends. */
export const EXPORT_DELAY_MS = 1_000

/** ms an export request may take before it is given up (its spans counted as failed). */
export const EXPORT_TIMEOUT_MS = 10_000

/** ms a stopping node waits for its last spans to be exported. */
export const SHUTDOWN_FLUSH_MS = 3_000

/** Attributes a span keeps, and the length of each value: a message's text never goes into a span,
 * but an error's message may be long. */
export const MAX_SPAN_ATTRIBUTES = 64
export const MAX_ATTRIBUTE_LENGTH = 1_024
