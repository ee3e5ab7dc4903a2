/** Plugins and tools (docs/plugins.md): the manifest, the tool contract every provider meets, and
 * what Plexi adds to MCP for chat commands and hooks. Types and checks only: light to import. */
export * from './constants.ts'
export { checkPluginManifest } from './plugin-manifest.ts'
export type { CheckManifestOptions, PluginManifest, PluginPermissions } from './plugin-manifest.ts'
export { InvalidPluginManifestError, InvalidServerRegistrationError, InvalidToolCallError, ToolDeniedError } from './errors.ts'
export { checkServerRegistration, serverView } from './server-registration.ts'
export type { HttpServerSpec, McpServerRegistration, McpServerView, ServerAuth, StdioServerSpec } from './server-registration.ts'
export { compareSemver, isSemver, isSemverRange, parseSemver, satisfiesRange } from './semver-range.ts'
export type { Semver } from './semver-range.ts'
export { qualifiedToolName } from './tools.ts'
export type { ToolCall, ToolChoice, ToolProvider, ToolResult, ToolSource, ToolSpec } from './tools.ts'
export { PLEXI_METHODS } from './plexi-extension.ts'
export type { AfterPostParams, BeforePostParams, BeforePostResult, CommandParams, CommandResult, PlexiCapability } from './plexi-extension.ts'
