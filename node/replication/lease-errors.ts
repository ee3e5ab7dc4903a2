/**
 * Errors of owners' leases (docs/replication.md, "Leases"), matched by `name` as the others in
 * errors.ts.
 */

/** A new activation waited out another owner's lease several times and it was renewed each time:
 * that owner is alive and holds the entity (placement disagrees between the two nodes). */
export class EntityLeaseHeldError extends Error {
  override readonly name = 'EntityLeaseHeldError'
  readonly kind = 'unavailable'
  readonly waitedMs: number
  constructor (entityId: string, waitedMs: number) {
    super(`${entityId}: another owner keeps renewing its lease on it (waited ${Math.round(waitedMs)} ms); it is alive and serving: retry, or send to the node that owns it`)
    this.waitedMs = waitedMs
  }
}
