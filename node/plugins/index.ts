/**
 * The plugin host (docs/plugins.md, "The host"): plugins and admin-registered MCP servers as
 * sandboxed, supervised tool sources that speak MCP, the `/plugins` actor that answers their calls
 * for the cluster, and the node's ToolProvider.
 */
export { PluginHost } from './plugin-host.ts'
export { readPluginManifest } from './plugin-manifest-file.ts'
export type { PluginHooks, PluginHostOptions, PluginToStart, RunningSource } from './plugin-host.ts'
export type { CallOutcome } from './source-set.ts'
export type { ExitReason, SourceState, SourceStats } from './source-supervisor.ts'
export type { SupervisorTimings } from './supervisor-timings.ts'
export { ClusterTools } from './cluster-tools.ts'
export type { ClusterToolsOptions, ToolPolicy } from './cluster-tools.ts'
export { ClusterPlugins } from './cluster-plugins.ts'
export type { ClusterPluginsOptions } from './cluster-plugins.ts'
export type { ToolMember } from './plugin-runners.ts'
export { McpServers } from './mcp-servers.ts'
export { ServerSync } from './server-sync.ts'
export type { ServerFailure, ServerSyncOptions } from './server-sync.ts'
export { ServerStatus, checkServerFailures, checkServerRows } from './server-status.ts'
export type { ServerNodeState, ServerNodeStateName, ServerRow, ServerStates, ServerStatusOptions, StatusMember } from './server-status.ts'
export { PLUGINS_PATH, pluginsActor, sourceRow } from './plugins-actor.ts'
export type { PluginsMsg, SourceRow } from './plugins-actor.ts'
export { probeNetworkIsolation } from './network-isolation.ts'
export type { NetworkIsolation } from './network-isolation.ts'
export * from './errors.ts'
export * from './constants.ts'
