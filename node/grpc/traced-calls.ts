import type * as grpc from '@grpc/grpc-js'
import { isTraceparent, isTracestate } from '../../protocols/index.ts'
import type { TraceCarrier } from '../../protocols/index.ts'
import type { Spans } from '../tracing/index.ts'

/** Calls that get no span: a Subscribe stream lives as long as its client (hours); the posts it
 * delivers are traced from their own calls, through the gateway that pushes them. */
const UNTRACED = new Set(['Subscribe'])

/** A client's trace context from its call's metadata (`traceparent`, `tracestate`): undefined when
 * it sent none or a malformed one (the call then starts its own trace, as the sampler decides). */
export function callCarrier (metadata: grpc.Metadata): TraceCarrier | undefined {
  const traceparent = metadata.get('traceparent')[0]
  if (!isTraceparent(traceparent)) return undefined
  const tracestate = metadata.get('tracestate')[0]
  return isTracestate(tracestate) && tracestate.length > 0 ? { traceparent, tracestate } : { traceparent }
}

/**
 * The handlers of `service` with a server span around each unary and server-streaming call
 * (`<package.Service>/<Method>`, OpenTelemetry's RPC conventions): a child of the client's
 * `traceparent` when it sent one (its sampled flag decides), else a new trace the head sampler
 * decides on. The span ends when the call is answered (unary) or its stream ends; a unary call's
 * answer is logged at debug inside it (its code and time, with the trace's ids: where a slow call
 * in the log leads to its trace). Tracing off: the handlers as they are.
 */
export function tracedHandlers (service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation, spans: Spans,
  log?: { debug (obj: object, msg: string): void }): grpc.UntypedServiceImplementation {
  if (!spans.on) return handlers
  const traced: grpc.UntypedServiceImplementation = {}
  for (const [name, method] of Object.entries(service) as Array<[string, grpc.MethodDefinition<unknown, unknown>]>) {
    const handler = handlers[name]
    if (handler === undefined) continue
    if (method.requestStream || UNTRACED.has(name)) {
      traced[name] = handler
      continue
    }
    const [rpcService = '', rpcMethod = name] = method.path.replace(/^\//, '').split('/')
    const attrs = { 'rpc.system': 'grpc', 'rpc.service': rpcService, 'rpc.method': rpcMethod }
    const spanName = `${rpcService}/${rpcMethod}`
    traced[name] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => {
          void spans.span(spanName, attrs, () => new Promise<void>((resolve) => {
            call.once('close', resolve)
            call.once('finish', resolve)
            ;(handler as grpc.handleServerStreamingCall<unknown, unknown>)(call)
          }), spanOptions(call.metadata))
        }
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          // the span fails with the call: a status other than OK rejects its promise (caught here)
          spans.span(spanName, attrs, () => new Promise<void>((resolve, reject) => {
            const began = performance.now()
            ;(handler as grpc.handleUnaryCall<unknown, unknown>)(call, (err, value, trailer, flags) => {
              const code = err === null || err === undefined ? 0 : err.code ?? 2
              log?.debug({ call: spanName, code, ms: Math.round((performance.now() - began) * 10) / 10 }, `${spanName} answered (code ${code}) in ${Math.round(performance.now() - began)} ms`)
              callback(err, value, trailer, flags)
              if (err === null || err === undefined) resolve()
              else reject(Object.assign(new Error(err.details ?? 'failed'), { name: `grpc status ${String(err.code)}` }))
            })
          }), spanOptions(call.metadata)).catch(() => undefined)
        }
  }
  return traced
}

function spanOptions (metadata: grpc.Metadata): { root: true, role: 'server', parent?: TraceCarrier } {
  const parent = callCarrier(metadata)
  return parent === undefined ? { root: true, role: 'server' } : { root: true, role: 'server', parent }
}
