import { join } from 'node:path'
import type { PluginManifest } from '../../protocols/plugins/index.ts'
import { memberOf } from '../mesh/index.ts'
import {
  CatalogClient, PLUGINS_DIR, PackageFiles, PackageStore, PluginReconciler, PluginRegistry, registryMetrics, spawnRegistryActor
} from '../plugin-registry/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * The plugin registry (node/plugin-registry): on every node, the admin side (install, list, change,
 * logs) and `/plugin-registry`; on a node with a plugin host, the reconciler that runs the
 * catalog's plugins here while the node holds the plugins role, unpacking packages under
 * `<data-dir>/plugins`. `checkManifest` is the host's manifest check (checkPluginManifest).
 */
export function pluginRegistryPart (checkManifest: (value: unknown) => PluginManifest): PartSpec<NodeComponents> {
  return {
    id: 'plugin-registry',
    needs: ['config', 'log', 'roles', 'system', 'cluster', 'metrics', 'serviceFailures', 'pluginHost', 'pluginCalls'],
    gives: ['pluginRegistry', 'pluginReconciler'],
    start: (c: C) => {
      const system = c.get('system')
      const cluster = c.get('cluster')
      const roles = c.get('roles')
      const host = c.get('pluginHost')
      const log = c.get('log').child({ component: 'plugins' })
      const catalog = new CatalogClient(system)
      const packages = new PackageStore(system)
      const registry = new PluginRegistry({
        system,
        catalog,
        packages,
        checkManifest,
        members: () => [
          { peerId: system.node, status: 'up', roles: roles.current },
          ...cluster.members().map(memberOf).map((m) => ({ peerId: m.peerId, status: m.status, roles: m.roles }))
        ],
        log
      })
      const reconciler = host === undefined
        ? undefined
        : new PluginReconciler({
          self: system.node,
          host,
          catalog,
          packages,
          files: new PackageFiles(join(c.get('config').dataDir, PLUGINS_DIR)),
          holdsRole: () => roles.has('plugins'),
          failures: c.get('serviceFailures'),
          log
        })
      spawnRegistryActor(system, host === undefined || reconciler === undefined ? undefined : { reconciler, host, calls: c.get('pluginCalls') })
      registryMetrics(c.get('metrics').registry, { registry, packages, reconciler })
      reconciler?.start()
      c.provide('pluginRegistry', registry, 'plugin-registry')
      c.provide('pluginReconciler', reconciler, 'plugin-registry')
      return { stop: async () => { await reconciler?.stop() } }
    }
  }
}
