/**
 * Errors of the MCP endpoint, one class per failure, matched by `name`, each with its kind. They
 * are answered on this node (a tool's error result, an HTTP status): none crosses the wire.
 */

/** A room no one ever posted in: it has no history to read. */
export class UnknownRoomError extends Error {
  override readonly name = 'UnknownRoomError'
  readonly kind = 'not-found'
}

/** No session can be opened now: the node holds as many as it allows, or every one of the
 * user's is busy. */
export class McpSessionLimitError extends Error {
  override readonly name = 'McpSessionLimitError'
  readonly kind = 'exhausted'
}

/** A request whose Host or Origin is not one this endpoint answers (DNS-rebinding protection). */
export class ForbiddenHostError extends Error {
  override readonly name = 'ForbiddenHostError'
  readonly kind = 'denied'
}
