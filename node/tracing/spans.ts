import type { TraceCarrier } from '../../protocols/index.ts'

/** A span's attributes (OpenTelemetry's primitive values). */
export type SpanAttrs = Readonly<Record<string, string | number | boolean | undefined>>

/** What a span is to its trace: OpenTelemetry's kinds, by the names the OTLP spec gives them. */
export type SpanRole = 'internal' | 'server' | 'client' | 'producer' | 'consumer'

/** A trace context captured to be resumed later (opaque outside node/tracing). */
export interface TraceContext {
  readonly __traceContext: unique symbol
}

export interface SpanOptions {
  /** @default 'internal' */
  readonly role?: SpanRole
  /** An entry point (a client's call, an admin's move, a recovery): it starts a trace, under the
   * head sampler's decision, when none is recorded here. Otherwise a span is made only inside a
   * trace being recorded, and `fn` runs plain everywhere else. @default false */
  readonly root?: boolean
  /** The parent, from a client (gRPC metadata) or the wire, instead of the trace here. */
  readonly parent?: TraceCarrier
  /** When it began (ms since the epoch), for a span made after the fact (a queue wait). */
  readonly startTime?: number
  /** When it ended (ms since the epoch), for a span made after the fact; `fn` is then not awaited. */
  readonly endTime?: number
  /** Attributes of what `fn` returned (or its promise resolved with), set as the span ends. */
  readonly resultAttrs?: (result: any) => SpanAttrs
}

/**
 * The node's spans, as the code that makes them sees them: whichever way tracing is (off: every
 * call runs `fn` plain and returns its result; node/tracing/otel-spans.ts when an OTLP endpoint is
 * set). A span's `fn` runs inside it (its log lines carry the trace id, what it sends carries the
 * trace); a promise's span ends when it settles, failed when it rejects.
 */
export interface Spans {
  /** Whether spans can be recorded at all (an OTLP endpoint is set). */
  readonly on: boolean
  /** Runs `fn` in a span named `name` (see SpanOptions for when one is made). */
  span<T> (name: string, attrs: SpanAttrs | undefined, fn: () => T, opts?: SpanOptions): T
  /** Whether a trace is being recorded here (a sampled span is active). */
  recording (): boolean
  /** The trace recorded here, to resume later with `within` (undefined: none). */
  capture (): TraceContext | undefined
  /** Runs `fn` in `ctx` (undefined: outside any trace, whatever is recorded here). */
  within<T> (ctx: TraceContext | undefined, fn: () => T): T
  /** The trace recorded here, for the wire (undefined: none, nothing is sent). */
  carrier (): TraceCarrier | undefined
  /** Runs `fn` with the trace that `carrier` names as the one recorded here (a malformed or
   * unsampled carrier: outside any trace). */
  fromCarrier<T> (carrier: TraceCarrier | undefined, fn: () => T): T
  /** The same for an actor envelope's trace field as it came off the wire (protocols/p2p): one
   * that is malformed is ignored, and counted. */
  fromField<T> (field: unknown, fn: () => T): T
  /** The ids of the trace recorded here, for a log line (empty when none). */
  logFields (): { traceId?: string, spanId?: string }
}

const NO_FIELDS = Object.freeze({})

/** Tracing off: no span, no context, `fn` as it is. */
export const NO_SPANS: Spans = Object.freeze({
  on: false,
  span: <T>(_name: string, _attrs: SpanAttrs | undefined, fn: () => T): T => fn(),
  recording: () => false,
  capture: () => undefined,
  within: <T>(_ctx: TraceContext | undefined, fn: () => T): T => fn(),
  carrier: () => undefined,
  fromCarrier: <T>(_carrier: TraceCarrier | undefined, fn: () => T): T => fn(),
  fromField: <T>(_field: unknown, fn: () => T): T => fn(),
  logFields: () => NO_FIELDS
})
