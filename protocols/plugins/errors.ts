/**
 * Errors of the plugin contract, one class per failure, matched by `name`: what any part of Plexi
 * that reads a manifest or calls a tool may refuse with. They cross the wire as themselves (the
 * mesh knows every error class protocols/ exports).
 */

/** A plugin manifest breaks a rule; `field` names where (`permissions.memoryMiB`). */
export class InvalidPluginManifestError extends Error {
  override readonly name = 'InvalidPluginManifestError'
  readonly kind = 'invalid'
  readonly field: string
  constructor (field: string, why: string) {
    super(`plugin manifest: ${field}: ${why}`)
    this.field = field
  }
}

/** A tool call that is not the user's to make: the tool is not granted to them, or they turned it
 * off (ToolProvider.call). */
export class ToolDeniedError extends Error {
  override readonly name = 'ToolDeniedError'
  readonly kind = 'denied'
  readonly tool: string
  constructor (user: string, tool: string, why = 'it is not granted to them') {
    super(`${user} may not call ${tool}: ${why}`)
    this.tool = tool
  }
}

/** A malformed tool call: no such tool, arguments that are not a JSON object or too large, a bad
 * id (ToolProvider.call). */
export class InvalidToolCallError extends Error {
  override readonly name = 'InvalidToolCallError'
  readonly kind = 'invalid'
}

/** An MCP server registration that breaks a rule; `field` names where (`transport.url`). */
export class InvalidServerRegistrationError extends Error {
  override readonly name = 'InvalidServerRegistrationError'
  readonly kind = 'invalid'
  readonly field: string
  constructor (field: string, why: string) {
    super(`MCP server registration: ${field}: ${why}`)
    this.field = field
  }
}
