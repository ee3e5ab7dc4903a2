import type { PluginHooks } from '../plugins/index.ts'
import { PluginNotRunningError } from '../room-plugins/index.ts'
import type { RoomPluginInfo, RoomPluginSource } from '../room-plugins/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import { ROOM_PLUGINS_REFRESH_MS } from './constants.ts'

/** What the tools part binds: the cluster's plugins (node/plugins ClusterPlugins). */
export interface RoomPluginsBinding {
  capabilities (): Promise<readonly PluginHooks[]>
  request (plugin: string, method: string, params: unknown, deadlineMs: number): Promise<unknown>
}

/**
 * The plugins' commands and hooks for the rooms (RoomPluginSource): the rooms are registered with
 * the entities, before the mesh, and read their plugins on every post, synchronously, while the
 * plugins are reached through the mesh. This port keeps the last list read (the same array while it
 * does not change, as the rooms' view is rebuilt only for another array), reads it anew every
 * ROOM_PLUGINS_REFRESH_MS once the tools part bound it, and sends requests through what it bound.
 * Until then there are no plugins and a request is refused.
 */
export class RoomPluginsPort implements RoomPluginSource {
  #binding: RoomPluginsBinding | undefined
  #list: readonly RoomPluginInfo[] = []
  #signature = '[]'
  #refresh: PeriodicService | undefined
  #log: ServiceLog | undefined

  /** Binds the cluster's plugins and starts reading them (once). */
  bind (binding: RoomPluginsBinding, opts: { readonly failures: ServiceFailures, readonly log: ServiceLog, readonly intervalMs?: number }): void {
    if (this.#binding !== undefined) throw new Error('the room plugins port is bound already')
    this.#binding = binding
    this.#log = opts.log
    this.#refresh = new PeriodicService({ name: 'room-plugins', intervalMs: opts.intervalMs ?? ROOM_PLUGINS_REFRESH_MS, runAtStart: true, run: async () => { await this.refresh() }, failures: opts.failures, log: opts.log })
    this.#refresh.start()
  }

  /** Reads the list now (the refresh's run; a test's too). */
  async refresh (): Promise<void> {
    const binding = this.#binding
    if (binding === undefined) return
    const hooks = await binding.capabilities()
    const list = hooks.map((h): RoomPluginInfo => ({
      name: h.plugin,
      capability: h.capability,
      ...(h.beforePost !== undefined && { beforePost: h.beforePost }),
      // a command's answer is waited for as long as the plugin's manifest says its calls take
      ...(h.callDeadlineMs !== undefined && { callDeadlineMs: h.callDeadlineMs })
    }))
    const signature = JSON.stringify(list)
    if (signature === this.#signature) return
    this.#signature = signature
    this.#list = list
    // said once per change: when a plugin's commands and hooks start (or stop) acting in rooms here
    this.#log?.info({ plugins: list.map((p) => p.name) }, `rooms here see the plugins' commands and hooks: ${hooks.length === 0 ? 'none' : hooks.map(described).join(', ')}`)
  }

  plugins (): readonly RoomPluginInfo[] {
    return this.#list
  }

  async request (plugin: string, method: string, params: Readonly<Record<string, unknown>>, deadlineMs: number): Promise<unknown> {
    // the node is still starting: no plugin is reachable yet
    if (this.#binding === undefined) throw new PluginNotRunningError(plugin)
    return await this.#binding.request(plugin, method, params, deadlineMs)
  }

  async stop (): Promise<void> {
    await this.#refresh?.stop()
  }
}

/** A plugin as the log line names it: `dice (/roll)`, `mod (before-post)`. */
function described (p: PluginHooks): string {
  const what = [
    ...(p.capability.commands ?? []).map((c) => `/${c.name}`),
    ...(p.capability.hooks?.beforePost === true ? ['before-post'] : []),
    ...(p.capability.hooks?.afterPost === true ? ['after-post'] : [])
  ]
  return `${p.plugin} (${what.join(', ')})`
}
