import * as grpc from '@grpc/grpc-js'
import { describe } from '../../actors/index.ts'

/** What grpc-js sends as a status (for unary callbacks and stream errors). */
export interface StatusError {
  readonly code: grpc.status
  readonly details: string
  readonly metadata?: grpc.Metadata
}

export function statusError (code: grpc.status, details: string, metadata?: grpc.Metadata): StatusError {
  return { code, details, ...(metadata !== undefined && { metadata }) }
}

/**
 * Maps what the kernel and the store throw to a gRPC status with a clear message. Anything not
 * known here is INTERNAL, and its details are not shown to the client (they are logged).
 */
export function toStatus (err: unknown): { status: StatusError, internal: boolean } {
  const name = (err as { name?: unknown } | null)?.name
  const message = err instanceof Error ? err.message : String(err)
  switch (name) {
    case 'MailboxFullError': return known(grpc.status.RESOURCE_EXHAUSTED, `${message}`)
    case 'AskTimeoutError': return known(grpc.status.DEADLINE_EXCEEDED, `${message}; the node is overloaded, retry later`)
    case 'ActorStoppedError':
    case 'ActorSystemTerminatedError':
    case 'StoreClosedError':
    case 'JournalWriteError':
    case 'PeerUnreachableError':
      return known(grpc.status.UNAVAILABLE, `${message}; retry, or connect to another node`)
    case 'NoOwnerError': return known(grpc.status.UNAVAILABLE, message)
    case 'MessageTooLargeError': return known(grpc.status.RESOURCE_EXHAUSTED, message)
    case 'InvalidNameError': return known(grpc.status.INVALID_ARGUMENT, message)
    case 'UserExistsError': return known(grpc.status.ALREADY_EXISTS, message)
    case 'UnknownUserError': return known(grpc.status.NOT_FOUND, message)
    case 'PermissionDeniedError': return known(grpc.status.PERMISSION_DENIED, message)
    case 'AgentBusyError':
    case 'RateLimitedError':
    case 'InferenceQueueFullError':
    case 'ModelMemoryError':
      return known(grpc.status.RESOURCE_EXHAUSTED, message)
    case 'InvalidAgentRequestError':
    case 'PromptTooLongError':
      return known(grpc.status.INVALID_ARGUMENT, message)
    case 'UnknownModelError': return known(grpc.status.NOT_FOUND, message)
    case 'NoModelError': return known(grpc.status.FAILED_PRECONDITION, message)
    case 'InferenceUnavailableError':
    case 'InferenceWorkerError':
      return known(grpc.status.UNAVAILABLE, `${message}; retry`)
    case 'RemoteInferenceError': return known(grpc.status.UNAVAILABLE, `the model's server failed: ${message}`)
    default: return { status: statusError(grpc.status.INTERNAL, `internal error (${describe(err).split(':')[0] ?? 'Error'}); see the node's log`), internal: true }
  }
}

function known (code: grpc.status, details: string): { status: StatusError, internal: boolean } {
  return { status: statusError(code, details), internal: false }
}
