import * as grpc from '@grpc/grpc-js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type protobuf from 'protobufjs'
import type { GrpcService } from '../grpc/index.ts'
import { MAX_RECEIVE_BYTES, sendableStatus, statusOf } from '../grpc/index.ts'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import { InvalidRequestError } from '../../protocols/index.ts'
import { BINARY_TYPES, NOT_METADATA, TEXT_TYPES, textBodyLimit } from './constants.ts'
import { decodeText, requestMessage } from './grpc-web-frame.ts'
import { WebCall } from './web-call.ts'
import type { WebMetrics } from './web-metrics.ts'

export interface GrpcWebRoutesDeps {
  /** The services as the gRPC server serves them (node/grpc servedServices): the same handlers. */
  readonly services: readonly GrpcService[]
  readonly retryTypes: protobuf.Root
  /** The node's limits per client address (absent: none). */
  readonly clients?: ClientLimits | undefined
  readonly metrics: WebMetrics
  /** Headers every answer carries (CORS, for the request's origin). */
  readonly headersFor: (request: FastifyRequest) => Record<string, string>
  /** Calls open now (the listener's close ends them UNAVAILABLE). */
  readonly open: Set<WebCall>
}

type Method = grpc.MethodDefinition<unknown, unknown>

/**
 * Every method of `services` at its gRPC path (`POST /plexi.chat.v1.Chat/Post`, ...), as
 * gRPC-Web: the request is one length-prefixed frame (binary, or base64 in text mode), decoded
 * with the method's own protobuf decoder, and handed with its metadata (the HTTP headers: the
 * token in `authorization`) to the method's handler, the one the gRPC server calls. Before it:
 * the node's limits per client address, as the gRPC server's interceptor applies them. Every
 * refusal is a gRPC status in the trailers frame. Client streaming (Import) is not in gRPC-Web:
 * UNIMPLEMENTED.
 */
export function grpcWebRoutes (deps: GrpcWebRoutesDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    // every gRPC-Web type is read whole as bytes; the route checks which it is
    app.addContentTypeParser(/^application\/grpc-web/, { parseAs: 'buffer', bodyLimit: textBodyLimit(MAX_RECEIVE_BYTES) }, (_request, body, done) => { done(null, body) })
    for (const { service, handlers } of deps.services) {
      for (const [name, method] of Object.entries(service) as Array<[string, Method]>) {
        const handler = handlers[name]
        if (handler === undefined) continue
        app.post(method.path, async (request, reply) => { serve(deps, method, handler, request, reply) })
      }
    }
  }
}

function serve (deps: GrpcWebRoutesDeps, method: Method, handler: grpc.UntypedHandleCall, request: FastifyRequest, reply: FastifyReply): void {
  const mode = contentMode(request.headers['content-type'])
  const presented = request.headers.authorization !== undefined
  const address = clientAddress(request.ip)
  let release: (() => void) | undefined
  reply.hijack()
  const call: WebCall = new WebCall(reply.raw, {
    metadata: metadataOf(request),
    peer: address,
    serialize: method.responseSerialize as (message: unknown) => Buffer,
    text: mode === 'text',
    headers: deps.headersFor(request),
    onEnd: (status) => {
      deps.open.delete(call)
      if (release !== undefined) {
        release()
        deps.metrics.streamClosed()
      }
      if (status.code === grpc.status.UNAUTHENTICATED && presented) deps.clients?.failedAuthentication('web', address)
      deps.metrics.ended(method.path, status.code)
    }
  })
  deps.open.add(call)
  try {
    if (mode === undefined) {
      throw new InvalidRequestError(`content-type: expected ${[...BINARY_TYPES, ...TEXT_TYPES].join(', ')}; got ${JSON.stringify(String(request.headers['content-type'] ?? '').slice(0, 80))}`)
    }
    deps.clients?.request('web', address)
    if (presented) deps.clients?.checkAuthentication('web', address)
    if (method.requestStream) throw Object.assign(new Error(`${method.path} streams requests from the client, which gRPC-Web cannot carry: call it over gRPC`), { name: 'Unimplemented' })
    const body = request.body
    if (!Buffer.isBuffer(body)) throw new InvalidRequestError('request: no body (a gRPC-Web call sends one message frame)')
    const message = requestMessage(mode === 'text' ? decodeText(body) : body)
    if (message.length > MAX_RECEIVE_BYTES) throw Object.assign(new Error(`request: ${message.length} bytes is over the limit of ${MAX_RECEIVE_BYTES}`), { name: 'RequestTooLarge' })
    // the served decoder never throws: what protobuf cannot decode, the handler refuses INVALID_ARGUMENT
    call.request = method.requestDeserialize(message)
    if (method.responseStream) {
      release = deps.clients?.openStream('web', address) ?? (() => undefined)
      deps.metrics.streamOpened()
    }
  } catch (err) {
    call.emit('error', refusal(err, deps.retryTypes))
    return
  }
  if (method.responseStream) (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call as never)
  else (handler as grpc.handleUnaryCall<unknown, unknown>)(call as never, call.respond)
}

/** A refusal before the handler as a status: the transport's own (client streaming, a request over
 * the size limit) by name; the rest by kind, as the gRPC server answers them. */
function refusal (err: unknown, retryTypes: protobuf.Root): grpc.StatusObject {
  const name = (err as { name?: unknown }).name
  const message = err instanceof Error ? err.message : String(err)
  if (name === 'Unimplemented') return sendableStatus({ code: grpc.status.UNIMPLEMENTED, details: message })
  if (name === 'RequestTooLarge') return sendableStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: message })
  return sendableStatus(statusOf(err, retryTypes).status)
}

/** binary or text, by the request's content type (parameters ignored); undefined for any other. */
export function contentMode (header: string | undefined): 'binary' | 'text' | undefined {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return BINARY_TYPES.has(type) ? 'binary' : TEXT_TYPES.has(type) ? 'text' : undefined
}

/** The request's headers as the call's metadata, as grpc-js gives a call its metadata: a `-bin`
 * header's base64 value as bytes; HTTP's own headers and ones metadata cannot hold left out. */
function metadataOf (request: FastifyRequest): grpc.Metadata {
  const metadata = new grpc.Metadata()
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined || NOT_METADATA.has(key) || key.startsWith(':') || key.startsWith('access-control-')) continue
    for (const one of Array.isArray(value) ? value : [value]) {
      try {
        if (key.endsWith('-bin')) metadata.add(key, Buffer.from(one, 'base64'))
        else metadata.add(key, one)
      } catch {
        // a header name metadata cannot hold (grpc-js's rule is narrower than HTTP's) is no metadata
      }
    }
  }
  return metadata
}
