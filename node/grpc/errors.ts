/**
 * Errors of the gRPC services, one class per failure, matched by `name`, each with its kind.
 */

/** A Subscribe asked to resume after a seq the room never had (gRPC OUT_OF_RANGE). */
export class SeqOutOfRangeError extends Error {
  override readonly name = 'SeqOutOfRangeError'
  readonly kind = 'invalid'
}

/** One user holds as many open Subscribe streams on this node as it allows. */
export class StreamLimitError extends Error {
  override readonly name = 'StreamLimitError'
  readonly kind = 'exhausted'
}

/** The node was started without a tool policy for agents (gRPC UNIMPLEMENTED). */
export class ToolsNotSetUpError extends Error {
  override readonly name = 'ToolsNotSetUpError'
  readonly kind = 'unavailable'
}
