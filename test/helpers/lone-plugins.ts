import { join } from 'node:path'
import { pluginCatalog, pluginPackage } from '../../actors/index.ts'
import type { ActorSystem } from '../../actors/index.ts'
import { CatalogClient, PackageFiles, PackageStore, PluginCallStats, PluginReconciler, PluginRegistry, spawnRegistryActor } from '../../node/plugin-registry/index.ts'
import { ServiceFailures } from '../../node/services/index.ts'
import { testManifestCheck } from './manifest-check.ts'
import { TestPluginLauncher } from './plugin-launcher.ts'

export interface LonePlugins {
  readonly registry: PluginRegistry
  readonly reconciler: PluginReconciler
  readonly launcher: TestPluginLauncher
  readonly catalog: CatalogClient
  readonly packages: PackageStore
  readonly files: PackageFiles
  /** The plugins' calls, fed by the launcher as the host's onCall feeds them. */
  readonly calls: PluginCallStats
  readonly failures: ServiceFailures
  /** Whether the node holds the plugins role (the reconciler reads it every pass). */
  role: boolean
  /** What the reconciler logged at warn. */
  readonly warnings: string[]
  /** Stops the reconciler and every plugin process. */
  close (): Promise<void>
}

/**
 * The plugin registry of a lone plugins-role node, as the composition root wires it, on `system`
 * (its entity types registered here when they are not yet): the catalog and packages, the admin
 * side, the `/plugin-registry` actor and a reconciler that runs real plugin processes through the
 * specs' launcher, unpacking under `dataDir`/plugins. `intervalMs`: its passes (@default 60 s, so
 * that a spec sees the passes that changes trigger, not the timer's).
 */
export function lonePlugins (system: ActorSystem, dataDir: string, opts: { intervalMs?: number, now?: () => number } = {}): LonePlugins {
  const types = system.entityTypes().map((t) => t.type)
  if (!types.includes(pluginCatalog.type)) system.registerEntity(pluginCatalog)
  if (!types.includes(pluginPackage.type)) system.registerEntity(pluginPackage)
  const catalog = new CatalogClient(system, opts.now)
  const packages = new PackageStore(system)
  const files = new PackageFiles(join(dataDir, 'plugins'))
  const calls = new PluginCallStats()
  const launcher = new TestPluginLauncher({ onCall: (source, outcome, seconds) => { calls.observe(source, outcome, seconds) } })
  const failures = new ServiceFailures()
  const warnings: string[] = []
  const quiet = () => undefined
  const state: LonePlugins = {
    role: true,
    warnings,
    registry: new PluginRegistry({
      system, catalog, packages, checkManifest: testManifestCheck, log: { debug: quiet },
      members: () => [{ peerId: system.node, status: 'up', roles: state.role ? ['chat', 'plugins'] : ['chat'] }]
    }),
    reconciler: new PluginReconciler({
      self: system.node, host: launcher, catalog, packages, files, holdsRole: () => state.role, failures,
      log: { info: quiet, debug: quiet, warn: (_o, msg) => { warnings.push(msg) } }, intervalMs: opts.intervalMs ?? 60_000, ...(opts.now !== undefined && { now: opts.now })
    }),
    launcher,
    catalog,
    packages,
    files,
    calls,
    failures,
    close: async () => {
      await state.reconciler.stop()
      await launcher.close()
    }
  }
  spawnRegistryActor(system, { reconciler: state.reconciler, host: launcher, calls })
  state.reconciler.start()
  return state
}
