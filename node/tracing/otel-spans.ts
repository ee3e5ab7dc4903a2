import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import type { Attributes, Context, Span, TextMapGetter, Tracer } from '@opentelemetry/api'
import type { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { MessageTrace } from '../../actors/index.ts'
import { carrierOfField, describe } from '../../protocols/index.ts'
import type { TraceCarrier } from '../../protocols/index.ts'
import type { SpanAttrs, SpanOptions, SpanRole, Spans, TraceContext } from './spans.ts'
import type { TraceStats } from './trace-stats.ts'

const KIND: Readonly<Record<SpanRole, SpanKind>> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER
}

const CARRIER_GETTER: TextMapGetter<TraceCarrier> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined
}

/** Whether `ctx` holds a span that is sampled (recorded here, or remote and sampled). */
function sampledIn (ctx: Context): boolean {
  const span = trace.getSpan(ctx)
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0
}

/**
 * Spans through an OpenTelemetry tracer, in a context manager of the node's own (no global is
 * registered: two nodes in one process keep apart): see Spans. It is also the kernel's
 * MessageTrace: a message is tagged with the sampled trace active where it is sent, and its
 * handler runs in a span of that trace named after the actor and the message's type.
 */
export class OtelSpans implements Spans, MessageTrace {
  readonly on = true
  readonly #tracer: Tracer
  readonly #contexts: AsyncLocalStorageContextManager
  readonly #propagator = new W3CTraceContextPropagator()
  readonly #stats: TraceStats
  readonly #tags = new WeakMap<object, Context>()

  constructor (tracer: Tracer, contexts: AsyncLocalStorageContextManager, stats: TraceStats) {
    this.#tracer = tracer
    this.#contexts = contexts
    this.#stats = stats
  }

  span<T> (name: string, attrs: SpanAttrs | undefined, fn: () => T, opts: SpanOptions = {}): T {
    const here = this.#contexts.active()
    let parent = here
    if (opts.parent !== undefined) {
      parent = this.#extract(opts.parent) ?? ROOT_CONTEXT
    } else if (!sampledIn(here)) {
      // inside no recorded trace: only an entry point starts one (the sampler decides)
      if (opts.root !== true) return fn()
      parent = ROOT_CONTEXT
    }
    const span = this.#tracer.startSpan(name, {
      kind: KIND[opts.role ?? 'internal'],
      ...(attrs !== undefined && { attributes: attrs as Attributes }),
      ...(opts.startTime !== undefined && { startTime: opts.startTime })
    }, parent)
    if (!span.isRecording()) {
      // not sampled: nothing downstream records (and nothing is carried); fn runs as it would
      return fn()
    }
    const ctx = trace.setSpan(parent, span)
    if (opts.endTime !== undefined) {
      const result = this.#contexts.with(ctx, fn)
      span.end(opts.endTime)
      return result
    }
    return this.#run(span, ctx, fn, opts.resultAttrs)
  }

  /** Runs `fn` in `ctx`, ending `span` when it returns, throws, settles or rejects. */
  #run<T> (span: Span, ctx: Context, fn: () => T, resultAttrs?: (result: any) => SpanAttrs): T {
    let result: T
    try {
      result = this.#contexts.with(ctx, fn)
    } catch (err) {
      failed(span, err)
      span.end()
      throw err
    }
    if (isThenable(result)) {
      result.then((value) => {
        if (resultAttrs !== undefined) span.setAttributes(resultAttrs(value) as Attributes)
        span.end()
      }, (err: unknown) => {
        failed(span, err)
        span.end()
      })
    } else {
      if (resultAttrs !== undefined) span.setAttributes(resultAttrs(result) as Attributes)
      span.end()
    }
    return result
  }

  recording (): boolean {
    return sampledIn(this.#contexts.active())
  }

  capture (): TraceContext | undefined {
    const ctx = this.#contexts.active()
    return sampledIn(ctx) ? ctx as unknown as TraceContext : undefined
  }

  within<T> (ctx: TraceContext | undefined, fn: () => T): T {
    if (ctx === undefined && this.#contexts.active() === ROOT_CONTEXT) return fn()
    return this.#contexts.with((ctx as unknown as Context | undefined) ?? ROOT_CONTEXT, fn)
  }

  carrier (): TraceCarrier | undefined {
    const span = trace.getSpan(this.#contexts.active())
    if (span === undefined) return undefined
    const sc = span.spanContext()
    if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return undefined
    const traceparent = `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`
    const state = sc.traceState?.serialize()
    return state === undefined || state.length === 0 ? { traceparent } : { traceparent, tracestate: state }
  }

  fromCarrier<T> (carrier: TraceCarrier | undefined, fn: () => T): T {
    const ctx = carrier === undefined ? undefined : this.#extract(carrier)
    if (ctx === undefined || !sampledIn(ctx)) return this.within(undefined, fn)
    return this.#contexts.with(ctx, fn)
  }

  fromField<T> (field: unknown, fn: () => T): T {
    const carrier = carrierOfField(field)
    if (carrier === undefined && field !== undefined) this.#stats.ignored++
    return this.fromCarrier(carrier, fn)
  }

  logFields (): { traceId?: string, spanId?: string } {
    const span = trace.getSpan(this.#contexts.active())
    if (span === undefined) return {}
    const sc = span.spanContext()
    if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return {}
    return { traceId: sc.traceId, spanId: sc.spanId }
  }

  /** A carrier's context (undefined: malformed, counted as ignored). */
  #extract (carrier: TraceCarrier): Context | undefined {
    const ctx = this.#propagator.extract(ROOT_CONTEXT, carrier, CARRIER_GETTER)
    if (trace.getSpan(ctx) !== undefined) return ctx
    this.#stats.ignored++
    return undefined
  }

  // ---- MessageTrace: the kernel's side ------------------------------------------------------

  tag (msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || this.#tags.has(msg)) return
    const ctx = this.#contexts.active()
    if (sampledIn(ctx)) this.#tags.set(msg, ctx)
  }

  run<T> (msg: unknown, actor: string, fn: () => T): T {
    const ctx = typeof msg === 'object' && msg !== null ? this.#tags.get(msg) : undefined
    if (ctx === undefined) return this.within(undefined, fn)
    const type = (msg as { type?: unknown }).type
    const what = typeof type === 'string' ? type : 'message'
    const entity = actor.startsWith('/entities/') ? actor.slice('/entities/'.length) : undefined
    const name = entity !== undefined ? `${entity.slice(0, entity.indexOf('/'))} ${what}` : `${actor} ${what}`
    const span = this.#tracer.startSpan(name, {
      kind: SpanKind.CONSUMER,
      attributes: entity !== undefined ? { 'plexi.entity': entity, 'plexi.message.type': what } : { 'plexi.actor': actor, 'plexi.message.type': what }
    }, ctx)
    return this.#run(span, trace.setSpan(ctx, span), fn)
  }
}

function failed (span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: describe(err) })
  const name = (err as { name?: unknown } | null)?.name
  span.setAttribute('error.type', typeof name === 'string' ? name : 'Error')
}

function isThenable<T> (value: T): value is T & PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
