import * as grpc from '@grpc/grpc-js'
import { InvalidRequestError, clip } from '../../protocols/index.ts'
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
 * and each unary and server-streaming handler refuses one before it runs. A client-streaming
 * handler (Import) reads its messages by iterating the call: an undecodable one makes that iteration
 * throw InvalidRequestError (kind invalid) before the handler sees it, so it stops having written
 * nothing, as on any other bad chunk.
 */
export function refuseUndecodable (service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation):
{ service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation } {
  const checkedService: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  const checkedHandlers: grpc.UntypedServiceImplementation = {}
  for (const [name, method] of Object.entries(service) as Array<[string, grpc.MethodDefinition<unknown, unknown>]>) {
    const handler = handlers[name]
    if ((method.requestStream && method.responseStream) || handler === undefined) {
      checkedService[name] = method
      if (handler !== undefined) checkedHandlers[name] = handler
      continue
    }
    checkedService[name] = { ...method, requestDeserialize: tolerant(method.requestDeserialize) }
    if (method.requestStream) {
      checkedHandlers[name] = (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const streaming = handler as grpc.handleClientStreamingCall<unknown, unknown>
        refuseInIteration(name, call)
        streaming(call, callback)
      }
      continue
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

/** The decoder that hands on an UndecodableRequest instead of throwing. */
function tolerant (decode: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return decode(bytes)
    } catch (err) {
      return new UndecodableRequest(err instanceof Error ? err.message : String(err))
    }
  }
}

/** The call's messages, as its handler iterates them, end in InvalidRequestError at an undecodable one. */
function refuseInIteration (method: string, call: grpc.ServerReadableStream<unknown, unknown>): void {
  const iterate = call[Symbol.asyncIterator].bind(call)
  Object.defineProperty(call, Symbol.asyncIterator, {
    value: async function * () {
      for await (const message of { [Symbol.asyncIterator]: iterate }) {
        if (message instanceof UndecodableRequest) throw new InvalidRequestError(`request: not a ${method} message (protobuf: ${clip(message.reason, MAX_UNDECODABLE_REASON)})`)
        yield message
      }
    }
  })
}

function refusal (method: string, request: UndecodableRequest): Partial<grpc.StatusObject> {
  return { code: grpc.status.INVALID_ARGUMENT, details: `request: not a ${method} request (protobuf: ${clip(request.reason, MAX_UNDECODABLE_REASON)})`, metadata: new grpc.Metadata() }
}
