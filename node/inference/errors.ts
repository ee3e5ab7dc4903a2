/**
 * Errors of the node's inference service, one class per failure, matched by `name`.
 */

/** A user went over their requests or tokens per minute. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError'
  readonly kind = 'exhausted'
  readonly retryAfterMs: number
  constructor (message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

/** The node has no model an agent could use. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError'
  readonly kind = 'unavailable'
}

/** A request the OpenAI endpoint cannot serve as sent (e.g. no user message for the agent). */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError'
  readonly kind = 'invalid'
}
