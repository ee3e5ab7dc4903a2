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

/** A before-post hook refused a post: nothing was stored. */
export class PostRefusedError extends Error {
  override readonly name = 'PostRefusedError'
  readonly kind = 'denied'
  readonly plugin: string
  readonly reason: string
  constructor (plugin: string, reason: string) {
    super(`post refused by plugin ${plugin}: ${reason}`)
    this.plugin = plugin
    this.reason = reason
  }
}

/** A before-post hook gave no verdict in its budget (a timeout, a crash, an answer that is not one)
 * and its policy refuses posts then: nothing was stored; a retry may pass. */
export class PostHookUnavailableError extends Error {
  override readonly name = 'PostHookUnavailableError'
  readonly kind = 'unavailable'
  readonly plugin: string
  constructor (plugin: string, why: string) {
    super(`post refused: plugin ${plugin}'s before-post hook gave no verdict (${why}) and its policy refuses posts then; retry`)
    this.plugin = plugin
  }
}

/** A room holds as many posts waiting for hooks, or commands waiting for answers, as it may. */
export class RoomBacklogError extends Error {
  override readonly name = 'RoomBacklogError'
  readonly kind = 'exhausted'
}

/** A plugin did not answer one of Plexi's requests in time. */
export class PluginDeadlineError extends Error {
  override readonly name = 'PluginDeadlineError'
  readonly kind = 'timeout'
  constructor (plugin: string, method: string, deadlineMs: number) {
    super(`plugin ${plugin} did not answer ${method} within ${deadlineMs} ms`)
  }
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

/** An ask that forces a tool could not be checked: the tools its user may use were not listed in
 * time (a source or a member that does not answer). Nothing was journaled; asking again may work. */
export class AgentToolsUnavailableError extends Error {
  override readonly name = 'AgentToolsUnavailableError'
  readonly kind = 'unavailable'
}

/** `redact` named a seq the room does not hold: past its last message, or below its retained
 * history (retention dropped it). */
export class UnknownPostError extends Error {
  override readonly name = 'UnknownPostError'
  readonly kind = 'not-found'
}

/** `redact` named a seq that is not a post (a join, a leave or a redaction). */
export class NotAPostError extends Error {
  override readonly name = 'NotAPostError'
  readonly kind = 'invalid'
}

/** A user tried to redact a post that is neither theirs nor their agent's. */
export class NotYourPostError extends Error {
  override readonly name = 'NotYourPostError'
  readonly kind = 'denied'
}

/** The erasure log holds as many entries as it may (erasure-log-protocol.ts). */
export class ErasureLogFullError extends Error {
  override readonly name = 'ErasureLogFullError'
  readonly kind = 'exhausted'
}

/** As many rooms have a retention setting of their own as may (retention-policy-protocol.ts). */
export class RetentionSettingsFullError extends Error {
  override readonly name = 'RetentionSettingsFullError'
  readonly kind = 'exhausted'
}

/** A room or an agent already keeps MAX_IMPORT_SOURCES import watermarks: an import from one more
 * source is refused. */
export class ImportSourcesFullError extends Error {
  override readonly name = 'ImportSourcesFullError'
  readonly kind = 'exhausted'
}
