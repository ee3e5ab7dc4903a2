/**
 * How a client call of the scenarios ended, when it failed. The goal of issue 35 is 0 unanswered
 * calls: every call gets an answer, an error being one (UNAVAILABLE, 503 and the like: the client
 * was told). A call the client gave up on at its own deadline got none.
 */

/** How long a scenario's HTTP call may go unanswered (its gRPC calls have the test client's
 * deadline, 15 s). */
export const CALL_DEADLINE_MS = 15_000

/** Whether `err` is a call that got no answer before the client's deadline: gRPC's own
 * DEADLINE_EXCEEDED ("Deadline exceeded after …", not a node's DEADLINE_EXCEEDED with its own
 * message), or an HTTP request aborted by its timeout. */
export function unanswered (err: unknown): boolean {
  const e = err as { code?: unknown, details?: unknown, message?: unknown, name?: unknown }
  if (e.code === 4 && typeof e.details === 'string') return e.details.startsWith('Deadline exceeded')
  // as ChatLoad keeps a failed post: the code, and grpc-js's message ('4 DEADLINE_EXCEEDED: …')
  if (e.code === 4 && typeof e.message === 'string') return e.message.includes('DEADLINE_EXCEEDED: Deadline exceeded')
  return e.name === 'TimeoutError'
}

/** One line for a failed call: its gRPC code or HTTP status, and its message. */
export function shownError (err: unknown): string {
  const e = err as { code?: unknown, details?: unknown, message?: unknown }
  const text = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : String(err)
  return `${e.code === undefined ? '' : `${String(e.code)} `}${text}`.slice(0, 300)
}
