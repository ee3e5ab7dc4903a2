/**
 * The plugin registry (docs/plugins.md, "Installed once"): the cluster's plugins installed once
 * and run on every plugins-role member. Packages are checked whole and stored in the replicated
 * registry (the `plugin-catalog` and `plugin-package` entities, actors/entities); each member's
 * reconciler fetches, checks and unpacks the active version and runs it through the plugin host
 * (bound through PluginHostPort), swapping versions with no call lost; the admin side installs,
 * lists, enables, disables, upgrades, rolls back, removes and reads logs from any node.
 */
export { isRange, satisfies } from './api-range.ts'
export { PluginCallStats } from './call-stats.ts'
export type { CallStats } from './call-stats.ts'
export { CatalogClient } from './catalog-client.ts'
export type { NewVersion } from './catalog-client.ts'
export * from './constants.ts'
export * from './errors.ts'
export type { HostedPlugin, HostedRun, HostedState, PluginHostPort } from './host-port.ts'
export { checkLogLines, checkMemberStatus } from './member-status.ts'
export { PackageFiles } from './package-files.ts'
export { readPackage } from './package-reader.ts'
export type { PackageFile, ReadPackage } from './package-reader.ts'
export { PackageStore, packageDigest } from './package-store.ts'
export { PluginReconciler } from './plugin-reconciler.ts'
export type { PluginReconcilerOptions, ReconcilerStats, StartFailure } from './plugin-reconciler.ts'
export { PluginRegistry } from './plugin-registry.ts'
export type { Installed, MemberLogs, PluginRegistryOptions } from './plugin-registry.ts'
export { pluginView } from './plugin-view.ts'
export type { MemberInfo, PluginNodeView, PluginVersionView, PluginView } from './plugin-view.ts'
export { PLUGIN_REGISTRY_PATH, checkRegistryActorMsg, registryActor, spawnRegistryActor } from './registry-actor.ts'
export type { LocalPlugins, MemberPluginStatus, PluginLogLine, PluginRunRow, RegistryActorMsg } from './registry-actor.ts'
export { registryMetrics } from './registry-metrics.ts'
export type { RegistryMetricSources } from './registry-metrics.ts'
