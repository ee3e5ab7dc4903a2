import * as grpc from '@grpc/grpc-js'
import type { PackageDefinition } from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { formatHostPort } from '../../config/index.ts'
import type { HostPort } from '../../config/index.ts'

/** Largest request a client may send (a post is limited far lower by max-message-bytes; this
 * bounds what grpc-js buffers before our validation runs). */
const MAX_RECEIVE_BYTES = 4 * 1024 * 1024

export interface GrpcService {
  readonly service: grpc.ServiceDefinition
  readonly handlers: grpc.UntypedServiceImplementation
}

/**
 * A gRPC server with the given services, bound and started. Only node/ calls this. Given the
 * package definition the services come from, it also answers server reflection (grpc.reflection
 * v1 and v1alpha), so that generic clients can discover them.
 */
export async function startGrpcServer (address: HostPort, services: readonly GrpcService[], reflection?: PackageDefinition): Promise<{ server: grpc.Server, address: HostPort }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES })
  for (const { service, handlers } of services) server.addService(service, handlers)
  if (reflection !== undefined) new ReflectionService(reflection).addToServer(server)
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(address), grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err !== null) reject(new Error(`cannot listen for gRPC on ${formatHostPort(address)}: ${err.message}`, { cause: err }))
      else resolve(bound)
    })
  })
  return { server, address: { host: address.host, port } }
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
