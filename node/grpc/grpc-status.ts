import * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { RETRY_AFTER_KEY, STATUS_DETAILS_KEY, encodeRetryStatus } from '../../protocols/grpc/index.ts'
import { clipBytes, describe, kindOf } from '../../protocols/index.ts'
import type { ErrorKind } from '../../protocols/index.ts'
import { MAX_DETAILS } from './constants.ts'
import { UNSENDABLE_STATUS, sendableStatus } from './status-guard.ts'

/** What grpc-js sends as a status (for unary callbacks and stream errors). */
export interface StatusError {
  readonly code: grpc.status
  readonly details: string
  readonly metadata?: grpc.Metadata
}

/** Each kind of failure as a gRPC status (protocols/errors.ts): the one table of this protocol. */
const CODE_OF: Readonly<Record<ErrorKind, grpc.status>> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  denied: grpc.status.PERMISSION_DENIED,
  conflict: grpc.status.ALREADY_EXISTS,
  exhausted: grpc.status.RESOURCE_EXHAUSTED,
  timeout: grpc.status.DEADLINE_EXCEEDED,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL
}

/** gRPC has a status more precise than the kind for these. */
const CODE_BY_NAME: Readonly<Record<string, grpc.status>> = {
  SeqOutOfRangeError: grpc.status.OUT_OF_RANGE,
  ToolsNotSetUpError: grpc.status.UNIMPLEMENTED
}

/** What a client should do, where the message alone does not say it. */
const ADVICE: Partial<Readonly<Record<ErrorKind, string>>> = {
  // (a timeout is a node or a member it asked that was too slow, or a member it could not reach in
  // time: after a network cut heals, say; "overloaded" alone misled)
  timeout: 'no answer in time (a node overloaded, or a member it asked not reachable yet); retry',
  unavailable: 'retry, or connect to another node'
}

/** A message that advises a retry itself ("…; retry when more storage nodes are up", "…: retry,
 * or send to …"): after a separator, so that a name in the message ("room retry-1") is not taken
 * for advice. */
const OWN_ADVICE = /[;:,] retry\b/i


/**
 * A thrown value as a gRPC status with a clear message: its kind picks the code; a `retryAfterMs`
 * becomes the trailer `retry-after-ms` and a google.rpc.RetryInfo in grpc-status-details-bin.
 * Internal failures say only that (their details may name internals): `internal` tells the caller
 * to log it.
 */
export function statusOf (err: unknown, retryTypes: protobuf.Root): { status: StatusError, internal: boolean } {
  const kind = kindOf(err)
  const name = (err as { name?: unknown } | null)?.name
  if (kind === 'internal') {
    return { status: { code: grpc.status.INTERNAL, details: `internal error (${typeof name === 'string' ? name : 'Error'}); see the node's log` }, internal: true }
  }
  // a message may name what the client sent: never at length (a 200 KB room name echoed back would
  // pass HTTP/2's header limits, and the client would see the stream reset, not the error), and
  // never with a lone surrogate (which grpc-js cannot send: see sendableStatus)
  const message = clipBytes((err instanceof Error ? err.message : String(err)).toWellFormed(), MAX_DETAILS)
  const code = (typeof name === 'string' ? CODE_BY_NAME[name] : undefined) ?? CODE_OF[kind]
  // (a message that gives its own advice to retry, "…; retry when more storage nodes are up", is
  // not given a second)
  const advice = OWN_ADVICE.test(message) ? undefined : ADVICE[kind]
  const details = advice === undefined ? message : `${message}; ${advice}`
  const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs
  if (typeof retryAfterMs !== 'number' || !(retryAfterMs >= 0)) return { status: { code, details }, internal: false }
  const metadata = new grpc.Metadata()
  metadata.set(RETRY_AFTER_KEY, String(Math.ceil(retryAfterMs)))
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(encodeRetryStatus(retryTypes, code, details, Math.ceil(retryAfterMs))))
  return { status: { code, details, metadata }, internal: false }
}

/** How one service's calls fail: the status for the client; an internal failure is logged with
 * its details, which the client does not see. Never throws: a thrown value no status can be made of
 * (a message or name whose getter throws) is logged, and the call answered UNSENDABLE_STATUS. */
export function failureOf (service: string, deps: { readonly retryTypes: protobuf.Root, readonly log: { error (obj: object, msg: string): void } }):
(call: string, err: unknown) => StatusError {
  return (call, err) => {
    try {
      const { status, internal } = statusOf(err, deps.retryTypes)
      if (internal) deps.log.error({ call, err }, `${service} ${call} failed: ${describe(err)}`)
      return sendableStatus(status)
    } catch (failed) {
      try {
        deps.log.error({ call, err: failed }, `${service} ${call} failed, and no status could be made of its error`)
      } catch {
        // a logger that throws must not leave the call unanswered
      }
      return UNSENDABLE_STATUS
    }
  }
}

/** A unary handler from an async body: its result is the response, its rejection a status. Every
 * call is answered, with UNSENDABLE_STATUS should answering with its own status throw. */
export function unaryCall<Req, Res> (name: string, body: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  failure: (call: string, err: unknown) => StatusError): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const fail = (err: unknown): void => {
      try {
        callback(failure(name, err) as grpc.ServiceError)
      } catch {
        callback(UNSENDABLE_STATUS as grpc.ServiceError)
      }
    }
    body(call).then((res) => { callback(null, res) }, fail)
  }
}
