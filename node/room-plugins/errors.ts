/**
 * Errors of rooms' requests to plugins: one class per failure, matched by `name`, each with its
 * canonical kind (protocols/errors.ts).
 */

/** A plugin answered one of Plexi's requests with something the protocol does not allow. */
export class PluginAnswerError extends Error {
  override readonly name = 'PluginAnswerError'
  readonly kind = 'unavailable'
  constructor (plugin: string, method: string, what: string) {
    super(`plugin ${plugin} answered ${method} with ${what}`)
  }
}

/** A room asked for a plugin that runs nowhere in the cluster now. */
export class PluginNotRunningError extends Error {
  override readonly name = 'PluginNotRunningError'
  readonly kind = 'unavailable'
  constructor (plugin: string) {
    super(`plugin ${plugin} is not running on any member now`)
  }
}
