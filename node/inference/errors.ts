/**
 * Errors of the node's inference service, one class per failure, matched by `name`, each with
 * its canonical kind. (A user over their limits is protocols' RateLimitedError.)
 */

/** The node has no model an agent could use. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError'
  readonly kind = 'unavailable'
}

/** A conversation's KV cache could not be moved to another node (refused, damaged, or no
 * answer); the agent's next turn evaluates its whole prompt there. */
export class KvCacheTransferError extends Error {
  override readonly name = 'KvCacheTransferError'
  readonly kind = 'unavailable'
}

/** A member asked to answer for a model it has loaded would not take the request now (it has no
 * free slot, or no longer has the model): the asking node runs it itself. */
export class ModelNotWarmError extends Error {
  override readonly name = 'ModelNotWarmError'
  readonly kind = 'unavailable'
}
