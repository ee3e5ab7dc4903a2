/**
 * Errors of the mesh, one class per failure, matched by `name`.
 */

/** No member that is up holds the role an entity type needs. */
export class NoOwnerError extends Error {
  override readonly name = 'NoOwnerError'
  readonly kind = 'unavailable'
  readonly role: string
  constructor (type: string, role: string) {
    super(`no member that is up holds the ${role} role, which ${type} entities need; start a node with --role ${role} or add the role to one (plexi admin roles set PEER LIST)`)
    this.role = role
  }
}

/** The peer a message or ask went to cannot be reached (down, or its stream closed). */
export class PeerUnreachableError extends Error {
  override readonly name = 'PeerUnreachableError'
  readonly kind = 'unavailable'
  readonly peer: string
  constructor (peer: string, why: string) {
    super(`peer ${peer} is unreachable: ${why}`)
    this.peer = peer
  }
}

/** A message too large for one frame of the actor protocol. */
export class MessageTooLargeError extends Error {
  override readonly name = 'MessageTooLargeError'
  readonly kind = 'exhausted'
  constructor (bytes: number, max: number) {
    super(`a message of ${bytes} bytes is over the ${max}-byte frame limit of the mesh`)
  }
}

/** A role list that cannot be applied. */
export class InvalidRolesError extends Error {
  override readonly name = 'InvalidRolesError'
  readonly kind = 'invalid'
}

/** A request from another member that is malformed (a system actor refuses it; nothing changes). */
export class InvalidPeerRequestError extends Error {
  override readonly name = 'InvalidPeerRequestError'
  readonly kind = 'invalid'
}

/** Not a member this node knows (the admin named a peer id that is not in the view). */
export class UnknownPeerError extends Error {
  override readonly name = 'UnknownPeerError'
  readonly kind = 'not-found'
}

/** A cluster key file that cannot be read or is not one (`plexi cluster keygen` makes them). */
export class ClusterKeyError extends Error {
  override readonly name = 'ClusterKeyError'
  readonly kind = 'invalid'
}

/** A member record off gossipsub that is malformed: it is refused, never half-used. */
export class InvalidMemberRecordError extends Error {
  override readonly name = 'InvalidMemberRecordError'
  readonly kind = 'invalid'
}

/** An admin's migration to a node that holds as many pinned entities as it may announce. */
export class PinLimitError extends Error {
  override readonly name = 'PinLimitError'
  readonly kind = 'exhausted'
  constructor (entity: string, max: number) {
    super(`${entity} cannot be pinned here: this node already holds ${max} entities an admin moved to it (the most a member announces); wait for some to passivate, or move them elsewhere`)
  }
}
