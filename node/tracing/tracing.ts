import type { MessageTrace } from '../../actors/index.ts'
import { EXPORT_TIMEOUT_MS, MAX_ATTRIBUTE_LENGTH, MAX_SPAN_ATTRIBUTES, OTLP_TRACES_PATH, SHUTDOWN_FLUSH_MS, TRACER_NAME } from './constants.ts'
import { NO_SPANS } from './spans.ts'
import type { Spans } from './spans.ts'
import { traceStats } from './trace-stats.ts'
import type { TraceStats } from './trace-stats.ts'

export interface TracingOptions {
  /** config `otlp-endpoint`: the OTLP/HTTP receiver's base URL (spans go to URL/v1/traces);
   * undefined: tracing is off. */
  readonly endpoint: string | undefined
  /** config `trace-sample`: the head sampler's ratio (0 to 1). */
  readonly sample: number
  /** The resource's `service.instance.id`: this node's peer id. */
  readonly node: string
  /** The node's roles (resource attribute `plexi.roles`). */
  readonly roles: readonly string[]
  readonly version: string
  readonly log: { warn (obj: object, msg: string): void, info (obj: object, msg: string): void }
  /** @default the SDK's OTLP/HTTP JSON exporter; tests hand in their own */
  readonly exporter?: import('@opentelemetry/sdk-trace').SpanExporter
  /** ms between exports while fewer than a batch wait. @default EXPORT_DELAY_MS */
  readonly delayMs?: number
}

/** The node's tracing: its spans, the kernel's message trace, its counts, and its stop. */
export interface Tracing {
  readonly spans: Spans
  /** For the actor system (undefined: off, messages carry no trace). */
  readonly messages: MessageTrace | undefined
  readonly stats: TraceStats
  /** Spans waiting for export now. */
  pending (): number
  /** Exports what is left (at most SHUTDOWN_FLUSH_MS) and stops. */
  stop (): Promise<void>
}

/** The exporter's complaints, at most this often (a collector that is down fails every export). */
const FAILURE_LOG_MS = 60_000

/**
 * Tracing for a node from its configuration: off without an endpoint (nothing is loaded: the SDK
 * is imported only when an endpoint is set), otherwise an OpenTelemetry tracer provider with the
 * head sampler of `trace-sample`, spans batched to the endpoint's `/v1/traces` over OTLP/HTTP
 * (JSON), and a context manager of its own.
 */
export async function createTracing (opts: TracingOptions): Promise<Tracing> {
  const stats = traceStats()
  if (opts.endpoint === undefined) return { spans: NO_SPANS, messages: undefined, stats, pending: () => 0, stop: async () => {} }
  const [{ AsyncLocalStorageContextManager }, { TracerProvider }, { resourceFromAttributes }, { OtelSpans }, { SpanQueue }, { traceSampler }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('./otel-spans.ts'),
    import('./span-queue.ts'),
    import('./trace-sampler.ts')
  ])
  const url = `${opts.endpoint.replace(/\/+$/, '')}${OTLP_TRACES_PATH}`
  const exporter = opts.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url, timeoutMillis: EXPORT_TIMEOUT_MS - 1_000 })
  let lastComplaint = -Infinity
  const queue = new SpanQueue({
    exporter,
    stats,
    ...(opts.delayMs !== undefined && { delayMs: opts.delayMs }),
    onExportFailed: (why) => {
      const now = performance.now()
      if (now - lastComplaint < FAILURE_LOG_MS) return
      lastComplaint = now
      opts.log.warn({ endpoint: url }, `exporting spans to ${url} failed: ${why} (said at most once a minute; plexi_trace_spans_failed_total counts them)`)
    }
  })
  const provider = new TracerProvider({
    sampler: traceSampler(opts.sample),
    resource: resourceFromAttributes({ 'service.name': 'plexi', 'service.version': opts.version, 'service.instance.id': opts.node, 'plexi.roles': opts.roles.join(',') }),
    spanLimits: { attributeCountLimit: MAX_SPAN_ATTRIBUTES, attributeValueLengthLimit: MAX_ATTRIBUTE_LENGTH },
    spanProcessors: [queue]
  })
  const contexts = new AsyncLocalStorageContextManager()
  contexts.enable()
  const spans = new OtelSpans(provider.getTracer(TRACER_NAME, opts.version), contexts, stats)
  opts.log.info({ endpoint: url, sample: opts.sample }, `tracing: spans to ${url} (OTLP/HTTP), ${opts.sample * 100}% of new traces sampled`)
  return {
    spans,
    messages: spans,
    stats,
    pending: () => queue.pending,
    stop: async () => {
      const flush = provider.forceFlush({ timeoutMillis: SHUTDOWN_FLUSH_MS }).catch(() => undefined)
      await flush
      await provider.shutdown().catch(() => undefined)
      contexts.disable()
    }
  }
}
