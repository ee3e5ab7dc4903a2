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

/** The activation that was taking the entity let it go before it had it: placement gave the entity
 * to another node meanwhile (a view that changed while it waited out a lease). Marked superseded:
 * what waited for this activation is sent again, and reaches the owner placement names now. */
export class TakeAbandonedError extends Error {
  override readonly name = 'TakeAbandonedError'
  readonly kind = 'unavailable'
  /** The kernel's mark for a message that another owner should get (actors/kernel isSuperseded). */
  readonly superseded = true
  constructor (entityId: string) {
    super(`${entityId}: it moved to another node while this one was taking it; retry`)
    this.stack = `${this.name}: ${this.message}`
  }
}

/** The storage roster changed while the activation was taking the entity (docs/replication.md,
 * "Roster changes": a take re-plans): what it fenced was planned on a view it no longer holds, so
 * it lets its promises go before it takes anything. Thrown by a take once (the journal takes it
 * again under the new view) and, when the roster changed at every one of REPLAN_ATTEMPTS tries,
 * by the open. */
export class RosterChangedError extends Error {
  override readonly name = 'RosterChangedError'
  readonly kind = 'unavailable'
  readonly times: number
  constructor (entityId: string, times = 1) {
    super(`${entityId}: the storage roster changed ${times === 1 ? 'while it was being taken' : `each of the ${times} times it was being taken`} (what it fenced was planned on an older view); retry`)
    this.times = times
  }
}

/** A take of an entity could not be planned under its partition's configuration version
 * (docs/replication.md, "Roster versions"): this node does not know its partitions' versions yet
 * (it skipped roster versions and reads them from a member), or a replica holds a newer one than
 * this node applied and the node did not catch up in time (a keeper out of reach). Retryable. */
export class VersionBehindError extends Error {
  override readonly name = 'VersionBehindError'
  readonly kind = 'unavailable'
  constructor (entityId: string, why: string, waitedMs: number) {
    super(`${entityId}: ${why} (waited ${Math.round(waitedMs)} ms for this node to catch up with the roster's versions); retry`)
  }
}

/** An open journal stopped because its partition moved to a newer configuration version on this
 * node and it could not follow (journal/log-move.ts), or the node does not know the new one yet
 * (docs/replication.md, "Hand-overs and open logs"): its entity is taken again under the new one;
 * its writes in flight fail with their effect unknown, retried by whoever sent them. Retryable. */
export class ConfigurationMovedError extends Error {
  override readonly name = 'ConfigurationMovedError'
  readonly kind = 'unavailable'
  constructor (entityId: string, partition: number, from: number, to: number, why?: string) {
    super(`${entityId}: partition ${partition} moved from configuration version ${from} to ${to} on this node${why === undefined ? '' : ` and its journal could not follow (${why})`}; it is taken again under the new one, retry`)
  }
}
