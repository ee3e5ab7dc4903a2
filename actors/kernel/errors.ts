/**
 * Kernel errors: one class per failure, matched by `name`, never by message text, each with its
 * canonical kind (protocols/errors.ts).
 */
import { describe } from '../../protocols/index.ts'

export class AskTimeoutError extends Error {
  override readonly name = 'AskTimeoutError'
  readonly kind = 'timeout'
  readonly target: string
  readonly timeoutMs: number
  constructor (target: string, timeoutMs: number) {
    super(`no reply from ${target} within ${timeoutMs} ms`)
    this.target = target
    this.timeoutMs = timeoutMs
  }
}

export class MailboxFullError extends Error {
  override readonly name = 'MailboxFullError'
  readonly kind = 'exhausted'
  readonly target: string
  readonly capacity: number
  constructor (target: string, capacity: number) {
    super(`mailbox of ${target} is full (capacity ${capacity}); retry later`)
    this.target = target
    this.capacity = capacity
  }
}

/** A failure that is the cluster's state rather than a fault (its kind is `unavailable`; the
 * replicas a write needs are not reachable, say), whose message is worded for the client. */
function stateOfCluster (cause: unknown): boolean {
  return cause instanceof Error && (cause as { kind?: unknown }).kind === 'unavailable' && !isSuperseded(cause)
}

/** The target actor has stopped (or stopped while the message waited in its mailbox). */
export class ActorStoppedError extends Error {
  override readonly name = 'ActorStoppedError'
  readonly kind = 'unavailable'
  readonly target: string
  /** It stopped because a newer owner took its entity (see isSuperseded). */
  readonly superseded: boolean
  constructor (target: string, cause?: unknown) {
    super(cause === undefined
      ? `actor ${target} is stopped`
      : stateOfCluster(cause)
        // (a state of the cluster worded for the client, "writes unavailable: …", leads the message:
        // the stop is how it reached the caller, not what the caller can act on)
        ? `${(cause as Error).message} (actor ${target} stopped)`
        : `actor ${target} stopped: ${describe(cause)}`, cause === undefined ? undefined : { cause })
    this.target = target
    this.superseded = isSuperseded(cause)
  }
}

/**
 * Whether `err` says that the entity's activation that was to take the message lost the entity to
 * a newer owner (a failure, or a move that timed out into one, fenced its journal) before the
 * message took effect, or with its effect unknown: the message sent again reaches the newer owner.
 * An error says so with an own field `superseded: true` (one that crossed the wire or a worker keeps
 * it), itself or any error in its `cause` chain.
 */
export function isSuperseded (err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { superseded?: unknown }).superseded === true) return true
  }
  return false
}

/** This node's activation of the entity lost it to a newer owner a moment ago and its view has not
 * changed since: it does not take the entity back (retry: the message then reaches the newer owner,
 * or this node once its view has caught up). */
export class EntitySupersededError extends Error {
  override readonly name = 'EntitySupersededError'
  readonly kind = 'unavailable'
  readonly entity: string
  /** The kernel's mark for a message that a newer owner should get (isSuperseded). */
  readonly superseded = true
  constructor (entity: string) {
    super(`${entity}: a newer owner took it from this node a moment ago and this node's view of the cluster has not caught up yet; retry`)
    this.entity = entity
  }
}

/** This node's view of the cluster is partial (Remoting.mayActivate): it takes no entity it does not
 * already hold. */
export class PartialViewError extends Error {
  override readonly name = 'PartialViewError'
  readonly kind = 'unavailable'
  readonly entity: string
  constructor (entity: string) {
    super(`${entity}: this node hears too few members of the cluster to take it (cut off from the others, or just back and settling); retry, or connect to another node`)
    this.entity = entity
  }
}

export class ActorSystemTerminatedError extends Error {
  override readonly name = 'ActorSystemTerminatedError'
  readonly kind = 'unavailable'
  constructor () { super('the actor system is terminated') }
}

export class ActorNameTakenError extends Error {
  override readonly name = 'ActorNameTakenError'
  readonly kind = 'conflict'
  constructor (path: string) { super(`an actor named ${path} already exists`) }
}

export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError'
  readonly kind = 'invalid'
  constructor (what: string, value: string, expected: string) {
    super(`invalid ${what} ${JSON.stringify(value)}: expected ${expected}`)
  }
}

/** A supervisor saw more than `intensity` restarts within `period` ms and gave up. */
export class SupervisorIntensityError extends Error {
  override readonly name = 'SupervisorIntensityError'
  readonly kind = 'unavailable'
  readonly supervisor: string
  constructor (supervisor: string, child: string, intensity: number, periodMs: number, cause: unknown) {
    super(`${supervisor}: more than ${intensity} restarts within ${periodMs} ms (last: ${child}: ${describe(cause)})`, { cause })
    this.supervisor = supervisor
  }
}

export class UnknownEntityTypeError extends Error {
  override readonly name = 'UnknownEntityTypeError'
  readonly kind = 'not-found'
  constructor (type: string, known: readonly string[]) {
    super(`unknown entity type ${JSON.stringify(type)}; registered: ${known.length > 0 ? known.join(', ') : '(none)'}`)
  }
}

export class EntityTypeTakenError extends Error {
  override readonly name = 'EntityTypeTakenError'
  readonly kind = 'conflict'
  constructor (type: string) { super(`entity type ${JSON.stringify(type)} is already registered`) }
}

/**
 * A message for an entity breaks its type's protocol (EntityType.check): a field of the wrong type,
 * empty or too long, an unknown `type`, a malformed reply address. It is refused before the entity
 * sees it, so nothing is journaled and nothing restarts; the message names the field.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError'
  readonly kind = 'invalid'
}

/** A value that must be plain data (msgpackr round-trippable) is not. `path` names the field. */
export class NotSerializableError extends Error {
  override readonly name = 'NotSerializableError'
  readonly kind = 'invalid'
  readonly path: string
  constructor (path: string, found: string) {
    super(`${path} is not plain data: found ${found}; expected null, boolean, number, string, Uint8Array, array or plain object`)
    this.path = path
  }
}

/** The journal did not accept an entity's events; the entity crashes and recovers from disk. */
export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError'
  readonly kind = 'unavailable'
  /** A newer owner fenced the journal (see isSuperseded). */
  readonly superseded: boolean
  constructor (entity: string, cause: unknown) {
    super(`journal write for ${entity} failed: ${describe(cause)}`, { cause })
    this.superseded = isSuperseded(cause)
  }
}

export class EntityConfigError extends Error {
  override readonly name = 'EntityConfigError'
  readonly kind = 'internal'
}


/** A rewrite or a trim an entity asked of its journal (ctx.rewrite, ctx.trim) that cannot be done:
 * its journal lacks the feature, or the seqs are not durable or already trimmed. Nothing changed. */
export class JournalEditError extends Error {
  override readonly name = 'JournalEditError'
  readonly kind = 'invalid'
  constructor (entity: string, why: string) {
    super(`journal of ${entity}: ${why}`)
  }
}

/** An entity's journal skips a seq: recovery would build a wrong state, so it refuses. */
export class JournalGapError extends Error {
  override readonly name = 'JournalGapError'
  readonly kind = 'internal'
  constructor (entity: string, expected: number, found: number) {
    super(`journal of ${entity} jumps from seq ${expected - 1} to ${found}`)
  }
}

/** A live migration offered an entity to a node that already has an activation of it (it was
 * activated there meanwhile, or is itself moving): the offer is refused, nothing changes. */
export class EntityAlreadyActiveError extends Error {
  override readonly name = 'EntityAlreadyActiveError'
  readonly kind = 'conflict'
  readonly entity: string
  constructor (entity: string, why: string) {
    super(`${entity} cannot move here: ${why}`)
    this.entity = entity
  }
}
