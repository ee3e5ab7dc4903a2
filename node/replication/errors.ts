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

/**
 * Too few replicas of the entity's partition answered (or are up) to take it, to acknowledge a
 * write or to read a record. Its message leads with what a client can do nothing about but wait:
 * "writes unavailable: 1 of the 2 replicas a write needs is reachable (room/r1, writing seq 2: …)".
 * Its fields cross the wire (ErrorData) for the APIs that word it themselves.
 */
export class ReplicasUnavailableError extends Error {
  override readonly name = 'ReplicasUnavailableError'
  readonly kind = 'unavailable'
  /** Replicas the operation needs (a write: the write quorum, or the fence quorum to take the entity). */
  readonly needed: number
  /** Replicas that answered, or that are up when the node refused without asking. */
  readonly answered: number
  readonly entity: string
  /** Whether writes or reads are what failed (taking the entity counts as a write). */
  readonly op: 'write' | 'read'
  constructor (entityId: string, what: string, needed: number, answered: number, why = '') {
    const op = what.startsWith('reading') ? 'read' : 'write'
    super(`${replicasUnavailable(op, needed, answered)} (${entityId}, ${what}${why === '' ? '' : `: ${why}`}); retry when more storage nodes are up`)
    this.needed = needed
    this.answered = answered
    this.entity = entityId
    this.op = op
    // a state of the cluster, not a fault of the code: the node says it once when it happens
    // (WriteQuorum), and where an activation it stopped is logged, a stack would add nothing
    this.stack = `${this.name}: ${this.message}`
  }
}

/** "writes unavailable: 1 of the 2 replicas a write needs is reachable": the one wording of a lost
 * quorum, for the error and for whoever words it from the error's fields (the OpenAI endpoint). */
export function replicasUnavailable (op: 'write' | 'read', needed: number, reachable: number): string {
  return `${op}s unavailable: ${replicasReachable(op, needed, reachable)}`
}

/** "1 of the 2 replicas a write needs is reachable" */
export function replicasReachable (op: 'write' | 'read', needed: number, reachable: number): string {
  return `${reachable} of the ${needed} replica${needed === 1 ? '' : 's'} a ${op} needs ${reachable === 1 ? 'is' : 'are'} reachable`
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
