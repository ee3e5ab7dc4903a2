/**
 * Errors of the admin endpoint's own checks, one class per failure, matched by `name`.
 */

/** A drain, decommission or role change that would leave fewer storage nodes up than a write needs
 * (409 WRITE_QUORUM_LOSS): refused unless forced. */
export class WriteQuorumLossError extends Error {
  override readonly name = 'WriteQuorumLossError'
  readonly kind = 'conflict'
  /** Storage nodes (or a partition's replicas) that would be up, and how many a write needs. */
  readonly up: number
  readonly needed: number
  constructor (message: string, up: number, needed: number) {
    super(message)
    this.up = up
    this.needed = needed
  }
}

/** The API's description (`/docs`, `/docs/json`) could not be built: its modules failed to load
 * (503; the next request tries again). */
export class DocsUnavailableError extends Error {
  override readonly name = 'DocsUnavailableError'
  readonly kind = 'unavailable'
}
