/**
 * Errors of the jobs registry, one class per failure, matched by `name`.
 */

/** A job started or reported with values it cannot take (a bad kind, a negative count). */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError'
  readonly kind = 'invalid'
}

/** No member that answered has a job with this id. */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError'
  readonly kind = 'not-found'
  readonly id: string
  constructor (id: string, message: string) {
    super(message)
    this.id = id
  }
}

/** The reason a cancelled job's signal carries. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError'
  readonly kind = 'conflict'
  constructor (id: string) {
    super(`job ${id} was cancelled`)
  }
}
