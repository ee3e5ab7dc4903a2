import { ENTITY_KEY_FORBIDDEN, ENTITY_KEY_MAX_LENGTH } from './constants.ts'
import { InvalidNameError } from './errors.ts'

/**
 * Checks an actor name or an entity key: both are one segment of a path (`/entities/room/<key>`)
 * and of storage keys, so they share one rule (constants.ts, ENTITY_KEY_FORBIDDEN). Throws
 * InvalidNameError naming `what` and the rule.
 */
export function checkPathSegment (what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > ENTITY_KEY_MAX_LENGTH || ENTITY_KEY_FORBIDDEN.test(value)) {
    throw new InvalidNameError(what, String(value), `1-${ENTITY_KEY_MAX_LENGTH} characters, no '/', no control characters, not starting with '$'`)
  }
}
