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

/** The plugin catalog cannot take the change: a version installed again with other content, the
 * catalog full, a rollback with no previous version. */
export class PluginCatalogError extends Error {
  override readonly name = 'PluginCatalogError'
  readonly kind = 'conflict'
}

/** No plugin of that name in the catalog, or no such version of it. */
export class UnknownPluginError extends Error {
  override readonly name = 'UnknownPluginError'
  readonly kind = 'not-found'
}

/** A plugin package's bytes do not fit what was said of them: a chunk out of place, a size or a
 * digest that does not match. */
export class PluginPackageError extends Error {
  override readonly name = 'PluginPackageError'
  readonly kind = 'invalid'
}

/** A plugin package is not stored whole (its chunks are missing, or it was never stored). */
export class PluginPackageMissingError extends Error {
  override readonly name = 'PluginPackageMissingError'
  readonly kind = 'not-found'
}
