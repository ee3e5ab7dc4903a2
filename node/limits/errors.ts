/**
 * Errors of the per-client limits, one class per failure, matched by `name`, each with its kind
 * (protocols/errors.ts): every endpoint answers them as it answers other exhausted kinds
 * (RESOURCE_EXHAUSTED, 429), and a body too deep as other invalid ones (400). A client over its
 * request rate gets protocols' RateLimitedError.
 */
import { RetryLaterError } from '../../protocols/index.ts'

/** Too many failed authentications came from one client address: its attempts are refused,
 * valid tokens too, before any token is checked, until its bucket refills. */
export class AuthThrottledError extends RetryLaterError {
  override readonly name = 'AuthThrottledError'
  readonly kind = 'exhausted'
}

/** One client address holds as many open streams on this node as it may. */
export class TooManyStreamsError extends Error {
  override readonly name = 'TooManyStreamsError'
  readonly kind = 'exhausted'
}

/** A JSON request body nests arrays and objects deeper than MAX_JSON_DEPTH: refused before it is
 * parsed (json-depth.ts). */
export class BodyTooDeepError extends Error {
  override readonly name = 'BodyTooDeepError'
  readonly kind = 'invalid'
}
