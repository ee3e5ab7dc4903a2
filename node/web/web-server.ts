import * as grpc from '@grpc/grpc-js'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type protobuf from 'protobufjs'
import type { GrpcService } from '../grpc/index.ts'
import { MAX_RECEIVE_BYTES } from '../grpc/index.ts'
import { clientAddress, trusting } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S, CORS_REQUEST_HEADERS, textBodyLimit } from './constants.ts'
import { contentMode, grpcWebRoutes } from './grpc-web-routes.ts'
import { WebCall } from './web-call.ts'
import { NO_WEB_METRICS } from './web-metrics.ts'
import type { WebMetrics } from './web-metrics.ts'
import { pageRoutes } from './web-page.ts'

export interface WebServerDeps {
  /** The services as the gRPC server serves them (node/grpc servedServices). */
  readonly services: readonly GrpcService[]
  readonly retryTypes: protobuf.Root
  /** pino (the node's), or false for none. */
  readonly logger: FastifyBaseLogger | false
  /** Origins whose pages may call cross-origin (config web-cors-origin; none: no CORS at all). */
  readonly corsOrigins?: readonly string[]
  /** The cluster's members' web origins (MemberOrigins): their chat pages may call this node too,
   * and this node's page may call those up (its connect-src), to move there when this node stops
   * answering. Absent: none. */
  readonly memberOrigins?: { has (origin: string): boolean, up (): readonly string[] }
  /** A PEM certificate chain and its key: HTTPS only (absent: plain HTTP). */
  readonly https?: { readonly cert: Buffer, readonly key: Buffer }
  readonly clients?: ClientLimits
  readonly proxies?: TrustedProxies
  readonly metrics?: WebMetrics
}

/**
 * The user listener, built but not listening (node/ listens on `--web-listen`): gRPC-Web for the
 * Chat and Agent services at their gRPC paths (grpcWebRoutes: the gRPC server's handlers, its
 * limits and statuses), and the page at `/`. No proxy in front is needed: this is the server side
 * of PROTOCOL-WEB.md. Cross-origin calls only from `corsOrigins` and the members' pages
 * (`memberOrigins`; a preflight from any other is refused 403, and without the CORS headers a
 * browser never sends the call). Closing it ends every
 * open call UNAVAILABLE, so that a client reconnects elsewhere and resumes.
 */
export async function buildWebServer (deps: WebServerDeps): Promise<FastifyInstance> {
  const configured = new Set(deps.corsOrigins ?? [])
  const members = deps.memberOrigins
  const origins = { has: (origin: string): boolean => configured.has(origin) || members?.has(origin) === true }
  const open = new Set<WebCall>()
  const options = {
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    // a line per call would drown the log (a chat page posts and subscribes all day)
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: textBodyLimit(MAX_RECEIVE_BYTES),
    // close() ends the open calls first (preClose), then drops idle connections at once
    forceCloseConnections: true,
    ...(deps.proxies !== undefined && deps.proxies.size > 0 && { trustProxy: trusting(deps.proxies) })
  }
  // with TLS, HTTP/2 (ALPN) beside HTTP/1.1: a browser then carries every call and stream of a page
  // on one connection, where HTTP/1.1 gives it at most 6 per origin (each stream holds one)
  const app = deps.https === undefined
    ? Fastify(options)
    // (no session timeout: Fastify's own, 72 s without a frame, would cut a Subscribe to a quiet room,
    // which HTTP/1.1 and the gRPC server keep open)
    : Fastify({ ...options, http2: true, http2SessionTimeout: 0, https: { allowHTTP1: true, cert: deps.https.cert, key: deps.https.key } }) as unknown as FastifyInstance
  const headersFor = (request: FastifyRequest): Record<string, string> => {
    const origin = request.headers.origin
    return typeof origin === 'string' && origins.has(origin)
      ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_EXPOSED_HEADERS, vary: 'Origin' }
      : {}
  }
  app.options('*', async (request, reply) => {
    const origin = request.headers.origin
    if (typeof origin !== 'string' || !origins.has(origin)) {
      return await reply.code(403).type('text/plain; charset=utf-8').send('cross-origin calls are refused: the node\'s web-cors-origin names the origins that may make them, besides the pages of the cluster\'s members\n')
    }
    return await reply.code(204).headers({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': CORS_REQUEST_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_S),
      vary: 'Origin'
    }).send()
  })
  const services = deps.services
  // a request Fastify refused before any route (a body over the limit, a type no parser takes) and
  // a method no service has: a gRPC status, as a gRPC-Web client reads one (set before the routes'
  // plugins, which keep the handler they were registered under)
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const code = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? grpc.status.RESOURCE_EXHAUSTED : err.statusCode !== undefined && err.statusCode < 500 ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL
    const details = code === grpc.status.RESOURCE_EXHAUSTED ? `request: over the limit of ${MAX_RECEIVE_BYTES} bytes of message` : code === grpc.status.INTERNAL ? 'internal error; see the node\'s log' : `request: ${err.message}`
    if (code === grpc.status.INTERNAL) request.log.error({ err }, `gRPC-Web ${request.url} failed`)
    answer(request, reply, { code, details }, headersFor(request))
  })
  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'POST') return reply.code(404).type('text/plain; charset=utf-8').send(`not found: ${request.method} ${request.url.split('?')[0] ?? ''}\n`)
    answer(request, reply, { code: grpc.status.UNIMPLEMENTED, details: `unknown method ${(request.url.split('?')[0] ?? '').slice(0, 200)}: this node serves ${services.map(({ service }) => Object.values(service)[0]?.path.split('/')[1]).join(' and ')}` }, headersFor(request))
  })
  await app.register(pageRoutes(undefined, () => members?.up() ?? []))
  await app.register(grpcWebRoutes({ services, retryTypes: deps.retryTypes, clients: deps.clients, metrics: deps.metrics ?? NO_WEB_METRICS, headersFor, open }))
  app.addHook('preClose', async () => {
    for (const call of [...open]) call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the node is shutting down; reconnect (to another node) and resume' })
  })
  return app
}

/** A status alone (no message), in the request's mode (binary when it named none). */
function answer (request: FastifyRequest, reply: FastifyReply, status: { code: grpc.status, details: string }, headers: Record<string, string>): void {
  reply.hijack()
  const call = new WebCall(reply.raw, {
    metadata: new grpc.Metadata(),
    peer: clientAddress(request.ip),
    serialize: () => Buffer.alloc(0),
    text: contentMode(request.headers['content-type']) === 'text',
    headers,
    onEnd: () => undefined
  })
  call.emit('error', status)
}
