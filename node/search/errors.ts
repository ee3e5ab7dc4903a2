/**
 * Errors of search, one class per failure, matched by `name`, each with its kind
 * (protocols/errors.ts).
 */

/** A query that is not one: empty text, a filter of the wrong type, a limit out of range. */
export class InvalidSearchError extends Error {
  override readonly name = 'InvalidSearchError'
  readonly kind = 'invalid'
}

/** This node keeps no search index (search is off here, or it holds no replicas) and no member
 * that does answered. */
export class SearchUnavailableError extends Error {
  override readonly name = 'SearchUnavailableError'
  readonly kind = 'unavailable'
}

/** The index thread failed or stopped: the index is rebuilt at the next start. */
export class SearchIndexError extends Error {
  override readonly name = 'SearchIndexError'
  readonly kind = 'unavailable'
}
