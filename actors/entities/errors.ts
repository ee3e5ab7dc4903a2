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

/** An MCP server of that name is registered already (replace it explicitly). */
export class McpServerExistsError extends Error {
  override readonly name = 'McpServerExistsError'
  readonly kind = 'conflict'
  constructor (name: string) { super(`an MCP server named ${JSON.stringify(name)} is registered already (remove it first, or replace it)`) }
}

/** The cluster holds as many registered MCP servers as it keeps. */
export class McpServerRegistryFullError extends Error {
  override readonly name = 'McpServerRegistryFullError'
  readonly kind = 'exhausted'
  constructor (max: number) { super(`the cluster holds ${max} registered MCP servers, the most it keeps: remove one first`) }
}
