import * as grpc from '@grpc/grpc-js'
import { clipBytes } from '../../protocols/index.ts'
import { MAX_STATUS_BYTES } from './constants.ts'

/** What is sent when a status cannot be: plain ASCII, so that sending it cannot fail in turn. */
export const UNSENDABLE_STATUS: grpc.StatusObject = Object.freeze({
  code: grpc.status.INTERNAL,
  details: 'internal error: the answer to this call could not be made or sent',
  metadata: new grpc.Metadata()
})

/**
 * `status` as grpc-js can always send it: its message well-formed Unicode (grpc-js's encodeURI
 * throws a URIError on a lone surrogate, and the call is then never answered: a unary callback
 * throws inside our promise, a stream's trailers inside an event listener) and within
 * MAX_STATUS_BYTES; its code a gRPC status. Never throws: a status that cannot be read is
 * UNSENDABLE_STATUS.
 */
export function sendableStatus (status: { readonly code?: unknown, readonly details?: unknown, readonly metadata?: unknown }): grpc.StatusObject {
  try {
    const code = typeof status.code === 'number' && Number.isInteger(status.code) && status.code >= 0 && status.code <= 16 ? status.code : grpc.status.UNKNOWN
    const raw = typeof status.details === 'string' ? status.details : ''
    const details = clipBytes(raw.toWellFormed(), MAX_STATUS_BYTES)
    const metadata = status.metadata instanceof grpc.Metadata ? status.metadata : new grpc.Metadata()
    return { code, details, metadata }
  } catch {
    return UNSENDABLE_STATUS
  }
}

/**
 * Every call is answered: a server interceptor, innermost (startGrpcServer puts it last), through
 * which every status of every handler, interceptor and service passes on its way out, made
 * sendable (sendableStatus). Should sending it throw all the same, UNSENDABLE_STATUS goes instead:
 * an error path never throws inside a gRPC callback.
 */
export function statusGuard (): grpc.ServerInterceptor {
  return (_method, call) => new grpc.ServerInterceptingCall(call, {
    sendStatus: (status, next) => {
      try {
        next(sendableStatus(status))
      } catch {
        next(UNSENDABLE_STATUS)
      }
    }
  })
}
