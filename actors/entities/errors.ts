/**
 * Errors of the entity behaviours (chat rooms, directories, agents): one class per failure,
 * matched by `name`, each with its canonical kind (protocols/errors.ts).
 */

export class UserExistsError extends Error {
  override readonly name = 'UserExistsError'
  readonly kind = 'conflict'
  constructor (user: string) { super(`user ${JSON.stringify(user)} already exists`) }
}

export class UnknownUserError extends Error {
  override readonly name = 'UnknownUserError'
  readonly kind = 'not-found'
  constructor (user: string) { super(`no user named ${JSON.stringify(user)}`) }
}

/** A user tried to reach another user's agent. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError'
  readonly kind = 'denied'
}

/** An agent already answers and holds as many waiting questions as it may. */
export class AgentBusyError extends Error {
  override readonly name = 'AgentBusyError'
  readonly kind = 'exhausted'
}

/** A request to an agent is malformed (bad persona, sampling value, model name). */
export class InvalidAgentRequestError extends Error {
  override readonly name = 'InvalidAgentRequestError'
  readonly kind = 'invalid'
}

/** The backup catalog cannot take the change: a backup id used twice, an unknown one, a backup
 * ended already, or the catalog full. */
export class BackupCatalogError extends Error {
  override readonly name = 'BackupCatalogError'
  readonly kind = 'conflict'
}

/** A user turned on a tool no admin granted them. */
export class ToolNotGrantedError extends Error {
  override readonly name = 'ToolNotGrantedError'
  readonly kind = 'denied'
}

/** A user's tool policy holds as many grants or switches as it may. */
export class ToolPolicyFullError extends Error {
  override readonly name = 'ToolPolicyFullError'
  readonly kind = 'conflict'
}

/** An admin revoked one tool that the user holds through its source's `<source>__*` grant: it
 * would stay granted, so the revoke is refused rather than silently doing nothing. */
export class ToolGrantedBySourceError extends Error {
  override readonly name = 'ToolGrantedBySourceError'
  readonly kind = 'conflict'
}
