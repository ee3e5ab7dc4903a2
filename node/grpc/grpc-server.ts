import * as grpc from '@grpc/grpc-js'
import type { PackageDefinition } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { formatHostPort } from '../../config/index.ts'
import type { HostPort } from '../../config/index.ts'
import { MAX_RECEIVE_BYTES } from './constants.ts'
import { statusGuard } from './status-guard.ts'
import { refuseUndecodable } from './undecodable-request.ts'
import { tracedHandlers } from './traced-calls.ts'
import { NO_SPANS } from '../tracing/index.ts'
import type { Spans } from '../tracing/index.ts'


export interface GrpcService {
  readonly service: grpc.ServiceDefinition
  readonly handlers: grpc.UntypedServiceImplementation
}

/** A PEM certificate chain and its private key: the server then speaks TLS only. */
export interface GrpcTls {
  readonly cert: Buffer
  readonly key: Buffer
}

/**
 * A gRPC server with the given services, bound and started. Only node/ calls this. Given the
 * package definition the services come from, it also answers server reflection (grpc.reflection
 * v1 and v1alpha), so that generic clients can discover them. Given `tls`, it serves TLS only
 * (no client certificate asked: callers authenticate with their token). `interceptors` run on
 * every call, reflection's too (clientInterceptor: the limits per client address). Every call is
 * answered: a status grpc-js could not send (a lone surrogate in its message) is made sendable
 * first (statusGuard). With tracing on (`tracing`), each call but a Subscribe is a server span, a
 * child of the client's `traceparent` metadata when it sent one (tracedHandlers).
 */
export async function startGrpcServer (address: HostPort, services: readonly GrpcService[], reflection?: PackageDefinition, tls?: GrpcTls,
  interceptors: readonly grpc.ServerInterceptor[] = [], tracing: { readonly spans: Spans, readonly log?: { debug (obj: object, msg: string): void } } = { spans: NO_SPANS }): Promise<{ server: grpc.Server, address: HostPort }> {
  // the status guard innermost: every status of every call, the other interceptors' too, passes it
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES, interceptors: [...interceptors, statusGuard()] })
  for (const checked of servedServices(services, tracing)) server.addService(checked.service, checked.handlers)
  if (reflection !== undefined) new ReflectionService(reflection).addToServer(server)
  const port = await new Promise<number>((resolve, reject) => {
    const credentials = tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
    server.bindAsync(formatHostPort(address), credentials, (err, bound) => {
      if (err !== null) reject(new Error(`cannot listen for gRPC on ${formatHostPort(address)}: ${err.message}`, { cause: err }))
      else resolve(bound)
    })
  })
  return { server, address: { host: address.host, port } }
}

/**
 * The services as a server serves them, the same for every transport (grpc-js here, gRPC-Web in
 * node/web): a request protobuf cannot decode is refused (INVALID_ARGUMENT), not grpc-js's
 * INTERNAL (refuseUndecodable); with tracing on, each call but a Subscribe is a server span
 * (tracedHandlers). The handlers are the ones given: one set of calls, whatever carries them.
 */
export function servedServices (services: readonly GrpcService[], tracing: { readonly spans: Spans, readonly log?: { debug (obj: object, msg: string): void } } = { spans: NO_SPANS }): GrpcService[] {
  return services.map(({ service, handlers }) => refuseUndecodable(service, tracedHandlers(service, handlers, tracing.spans, tracing.log)))
}

/** Stops taking calls, lets in-flight unary calls finish for at most `timeoutMs`, then cuts the
 * rest. Resolves true when it finished in time. */
export function stopGrpcServer (server: grpc.Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown()
      resolve(false)
    }, timeoutMs)
    server.tryShutdown(() => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}
