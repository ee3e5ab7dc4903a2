import * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { RETRY_AFTER_KEY, STATUS_DETAILS_KEY, encodeRetryStatus } from '../../protocols/index.ts'
import { statusError } from './grpc-status.ts'
import type { StatusError } from './grpc-status.ts'

/** A client error to send as a status, thrown inside a handler. */
export class Refusal extends Error {
  readonly status: StatusError
  constructor (status: StatusError) {
    super(status.details)
    this.status = status
  }
}

export function invalid (details: string): Refusal {
  return new Refusal(statusError(grpc.status.INVALID_ARGUMENT, details))
}

/** A status whose client should wait `retryAfterMs`: the trailer `retry-after-ms` and a
 * google.rpc.RetryInfo in grpc-status-details-bin. */
export function retryStatus (retryTypes: protobuf.Root, code: grpc.status, details: string, retryAfterMs: number): StatusError {
  const metadata = new grpc.Metadata()
  metadata.set(RETRY_AFTER_KEY, String(retryAfterMs))
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(encodeRetryStatus(retryTypes, code, details, retryAfterMs)))
  return statusError(code, details, metadata)
}

/** Authenticates a call by its `authorization: Bearer <token>` metadata; the user's name, or a
 * Refusal (UNAVAILABLE while the node does not serve, UNAUTHENTICATED). */
export async function authenticateCall (call: { metadata: grpc.Metadata }, deps: {
  readonly accepting: () => boolean
  readonly users: { authenticate (token: string): Promise<string | undefined> }
}): Promise<string> {
  if (!deps.accepting()) throw new Refusal(statusError(grpc.status.UNAVAILABLE, 'node is not serving (starting or shutting down); retry, or connect to another node'))
  const header = call.metadata.get('authorization')[0]
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
    throw new Refusal(statusError(grpc.status.UNAUTHENTICATED, 'missing token: send metadata "authorization: Bearer <token>"'))
  }
  const user = await deps.users.authenticate(header.slice('Bearer '.length).trim())
  if (user === undefined) throw new Refusal(statusError(grpc.status.UNAUTHENTICATED, 'invalid or revoked token'))
  return user
}
