import type { Registry } from 'prom-client'
import { scrapedCounter } from '../metrics/index.ts'
import type { ReconcilerStats } from './plugin-reconciler.ts'

/** What the registry's metrics read: the admin side (every node), the packages fetched, and the
 * reconciler (plugins-role members with a host; absent elsewhere: exported as 0). */
export interface RegistryMetricSources {
  readonly registry: { readonly stats: { readonly installs: number, readonly changes: number } }
  readonly packages: { readonly fetchedBytes: number }
  readonly reconciler?: { readonly stats: ReconcilerStats } | undefined
}

/** `plexi_plugin_registry_*`: installs and changes made through this node, and what its reconciler
 * did to make the plugins it runs match the catalog, read at scrape time. */
export function registryMetrics (registry: Registry, sources: RegistryMetricSources): void {
  const r = (): ReconcilerStats | undefined => sources.reconciler?.stats
  scrapedCounter(registry, 'plexi_plugin_registry_installs_total', 'Plugin versions installed through this node\'s admin API (a package already installed is not counted)', () => sources.registry.stats.installs)
  scrapedCounter(registry, 'plexi_plugin_registry_changes_total', 'Enables, disables, upgrades, rollbacks and removals of plugins made through this node\'s admin API', () => sources.registry.stats.changes)
  scrapedCounter(registry, 'plexi_plugin_registry_fetched_bytes_total', 'Bytes of plugin packages this node read from the registry (each checked against its digest)', () => sources.packages.fetchedBytes)
  scrapedCounter(registry, 'plexi_plugin_registry_passes_total', 'Passes of this node\'s reconciler (what runs here compared with the catalog)', () => r()?.passes ?? 0)
  scrapedCounter(registry, 'plexi_plugin_registry_starts_total', 'Plugin versions this node\'s reconciler started', () => r()?.starts ?? 0)
  scrapedCounter(registry, 'plexi_plugin_registry_start_failures_total', 'Plugin versions that could not start here (package, unpacking or process), each tried again later', () => r()?.failedStarts ?? 0)
  scrapedCounter(registry, 'plexi_plugin_registry_stops_total', 'Plugin versions this node\'s reconciler stopped (disabled, removed, or replaced)', () => r()?.stops ?? 0)
  scrapedCounter(registry, 'plexi_plugin_registry_swaps_total', 'Upgrades and rollbacks done here: a version started beside the one it replaced, which was stopped once it was up', () => r()?.swaps ?? 0)
}
