import * as grpc from '@grpc/grpc-js'
import { clip } from '../../protocols/index.ts'
import { MAX_UNDECODABLE_REASON } from './constants.ts'


/** What the service's decoder hands on for a request whose bytes are not its protobuf message. */
class UndecodableRequest {
  readonly reason: string
  constructor (reason: string) {
    this.reason = reason
  }
}

/**
 * The service and its handlers such that a request protobuf cannot decode is answered
 * INVALID_ARGUMENT by the handler's side, like any other bad input. grpc-js answers a throwing
 * request decoder with INTERNAL ("Error deserializing request"), which says the server broke when
 * the client sent garbage; so the decoder here returns an UndecodableRequest instead of throwing,
 * and each unary and server-streaming handler refuses one before it runs. (Client-streaming
 * methods, which Plexi does not have, are left as they are.)
 */
export function refuseUndecodable (service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation):
{ service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation } {
  const checkedService: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  const checkedHandlers: grpc.UntypedServiceImplementation = {}
  for (const [name, method] of Object.entries(service) as Array<[string, grpc.MethodDefinition<unknown, unknown>]>) {
    const handler = handlers[name]
    if (method.requestStream || handler === undefined) {
      checkedService[name] = method
      if (handler !== undefined) checkedHandlers[name] = handler
      continue
    }
    const decode = method.requestDeserialize
    checkedService[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes)
        } catch (err) {
          return new UndecodableRequest(err instanceof Error ? err.message : String(err))
        }
      }
    }
    checkedHandlers[name] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => {
          if (call.request instanceof UndecodableRequest) call.emit('error', refusal(name, call.request))
          else (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call)
        }
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          if (call.request instanceof UndecodableRequest) callback(refusal(name, call.request))
          else (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback)
        }
  }
  return { service: checkedService, handlers: checkedHandlers }
}

function refusal (method: string, request: UndecodableRequest): Partial<grpc.StatusObject> {
  return { code: grpc.status.INVALID_ARGUMENT, details: `request: not a ${method} request (protobuf: ${clip(request.reason, MAX_UNDECODABLE_REASON)})`, metadata: new grpc.Metadata() }
}
