/**
 * Errors of the plugin host, one class per failure, matched by `name`; they cross the wire as
 * themselves (the composition root hands this folder to the mesh's WireErrors), so a call that a
 * member running the plugin failed reads the same on the node that asked.
 */

/** The plugin (or registered server) cannot answer now: starting, restarting after it crashed,
 * hung or ran out of memory, or stopping; its calls in flight failed with this at once. */
export class PluginUnavailableError extends Error {
  override readonly name = 'PluginUnavailableError'
  readonly kind = 'unavailable'
  readonly plugin: string
  constructor (plugin: string, why: string) {
    super(`plugin ${plugin} is unavailable: ${why}`)
    this.plugin = plugin
  }
}

/** A call or request to a plugin got no answer within its deadline. */
export class PluginTimeoutError extends Error {
  override readonly name = 'PluginTimeoutError'
  readonly kind = 'timeout'
  readonly plugin: string
  readonly deadlineMs: number
  constructor (plugin: string, what: string, deadlineMs: number) {
    super(`plugin ${plugin} did not answer ${what} within ${deadlineMs} ms`)
    this.plugin = plugin
    this.deadlineMs = deadlineMs
  }
}

/** No plugin, version or registered server by that name here. */
export class PluginNotFoundError extends Error {
  override readonly name = 'PluginNotFoundError'
  readonly kind = 'not-found'
}

/** That plugin version (or server) is running already. */
export class PluginAlreadyRunningError extends Error {
  override readonly name = 'PluginAlreadyRunningError'
  readonly kind = 'conflict'
}

/** Too many calls in flight on one plugin (MAX_PLUGIN_IN_FLIGHT): refused at once, not queued. */
export class PluginBusyError extends Error {
  override readonly name = 'PluginBusyError'
  readonly kind = 'exhausted'
}

/** A plugin's first start failed (it did not spawn, initialize and list its tools in time, or
 * declared a malformed capability); nothing of it is left running. */
export class PluginStartError extends Error {
  override readonly name = 'PluginStartError'
  readonly kind = 'unavailable'
}

/** A plugin answered something its protocol does not allow (a malformed capability or result):
 * refused like any bad input, the call fails. */
export class PluginProtocolError extends Error {
  override readonly name = 'PluginProtocolError'
  readonly kind = 'unavailable'
}

/** A plugin answered a request with an error of its own (a JSON-RPC error): `said` is its message. */
export class PluginFailedError extends Error {
  override readonly name = 'PluginFailedError'
  readonly kind = 'unavailable'
  readonly plugin: string
  readonly said: string
  constructor (plugin: string, what: string, said: string) {
    const clipped = said.length > 1_000 ? `${said.slice(0, 999)}…` : said
    super(`plugin ${plugin} failed ${what}: ${clipped}`)
    this.plugin = plugin
    this.said = clipped
  }
}

/** A request to the host (from this node's API or another member's `/plugins` ask) breaks a rule
 * of its protocol; the message names the field. */
export class InvalidPluginRequestError extends Error {
  override readonly name = 'InvalidPluginRequestError'
  readonly kind = 'invalid'
}

/** No MCP server of that name is registered for the cluster (the admin API's). */
export class UnknownMcpServerError extends Error {
  override readonly name = 'UnknownMcpServerError'
  readonly kind = 'not-found'
  constructor (name: string) { super(`no MCP server named ${JSON.stringify(name)} is registered (plexi admin mcp-servers ls)`) }
}
