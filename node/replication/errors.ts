/**
 * Errors of replication, one class per failure, matched by `name`.
 */

/** The entity's replicas have promised a newer epoch: another activation owns it now. Nothing this
 * owner wrote but did not see acknowledged counts; it stops. */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpochError'
  readonly kind = 'unavailable'
  /** The kernel's mark for a message that a newer owner should get (actors/kernel isSuperseded). */
  readonly superseded = true
  readonly epoch: number
  readonly promised: number
  constructor (entityId: string, epoch: number, promised: number) {
    super(`${entityId}: epoch ${epoch} is stale, its replicas promised epoch ${promised} to a newer owner`)
    this.epoch = epoch
    this.promised = promised
  }
}

/** Too few replicas of the entity's partition answered to take it or to acknowledge a write. */
export class ReplicasUnavailableError extends Error {
  override readonly name = 'ReplicasUnavailableError'
  readonly kind = 'unavailable'
  readonly needed: number
  readonly answered: number
  constructor (entityId: string, what: string, needed: number, answered: number, why = '') {
    super(`${entityId}: ${what} needs ${needed} replicas, ${answered} answered${why === '' ? '' : ` (${why})`}; retry when more storage nodes are up`)
    this.needed = needed
    this.answered = answered
  }
}

/** An owner could not take an entity: other activations kept promising newer epochs. */
export class FenceContendedError extends Error {
  override readonly name = 'FenceContendedError'
  readonly kind = 'unavailable'
  constructor (entityId: string, attempts: number) {
    super(`${entityId}: another activation took it ${attempts} times in a row (placement disagrees between nodes); retry`)
  }
}

/** A request to a replica that breaks the protocol (from a peer holding the key, or a bug). */
export class InvalidReplicaRequestError extends Error {
  override readonly name = 'InvalidReplicaRequestError'
  readonly kind = 'invalid'
}

/** A replica on another node answered something that is not a reply of the protocol. */
export class InvalidReplicaReplyError extends Error {
  override readonly name = 'InvalidReplicaReplyError'
  readonly kind = 'invalid'
}

/** A live move's journal ticket (log-ticket.ts) that no correct owner could have handed over. */
export class InvalidLogTicketError extends Error {
  override readonly name = 'InvalidLogTicketError'
  readonly kind = 'invalid'
  constructor (why: string) { super(`journal ticket: ${why}`) }
}

/** The owner's log closed (the entity stopped) while a write waited. */
export class EntityLogClosedError extends Error {
  override readonly name = 'EntityLogClosedError'
  readonly kind = 'unavailable'
  constructor (entityId: string) { super(`${entityId}: its journal was closed (the entity stopped)`) }
}

/** The data dir's cluster was created with another partition count than the one configured. */
export class PartitionsMismatchError extends Error {
  override readonly name = 'PartitionsMismatchError'
  readonly kind = 'invalid'
  constructor (dir: string, recorded: number, configured: number) {
    super(`the store in ${dir} was created with ${recorded} partitions, and partitions is set to ${configured}: the partition count of a cluster is fixed when it is created; remove the setting or set it to ${recorded}`)
  }
}

/** A partition number past the cluster's partitions. */
export class UnknownPartitionError extends Error {
  override readonly name = 'UnknownPartitionError'
  readonly kind = 'not-found'
  constructor (partition: number, partitions: number) {
    super(`no partition ${partition}: the cluster has partitions 0-${partitions - 1}`)
  }
}

/** A replica that handed its partition off (its node left the storage nodes) takes no more writes:
 * an owner whose view is older retries elsewhere (kind unavailable) until it learns the new set. */
export class ReplicaRetiredError extends Error {
  override readonly name = 'ReplicaRetiredError'
  readonly kind = 'unavailable'
  constructor (entityId: string) { super(`${entityId}: this replica was handed off (its node is leaving the storage nodes) and takes no more writes`) }
}
