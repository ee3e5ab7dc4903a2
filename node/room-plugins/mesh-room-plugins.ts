import type { PlexiMethod, PlexiRequests, RoomPluginOutcome, RoomPluginView, RoomPlugins } from '../../actors/index.ts'
import { PluginNotRunningError } from './errors.ts'
import { checkPlexiAnswer } from './plexi-answers.ts'
import type { RoomPluginMetrics } from './room-plugin-metrics.ts'
import { buildRoomPluginView } from './room-plugin-view.ts'
import type { RoomPluginInfo, ViewLog } from './room-plugin-view.ts'

/**
 * What node/room-plugins needs of the plugin host (node/plugins), bound by the composition root:
 * the plugins that run in the cluster now, and one plexi/* request to a plugin wherever it runs
 * (this node's host, or the `/plugins` actor of a member that runs it).
 */
export interface RoomPluginSource {
  /**
   * The plugins running now, on this node or any member. Called on every post: return the same
   * array while nothing changed (the view rooms read is rebuilt only when the array is another).
   */
  plugins (): readonly RoomPluginInfo[]
  /** One request; resolves with the plugin's result (any JSON: checked by the caller), rejects when
   * the plugin runs nowhere, crashed, answered an error, or did not answer within `deadlineMs`. */
  request (plugin: string, method: string, params: Readonly<Record<string, unknown>>, deadlineMs: number): Promise<unknown>
}

export interface MeshRoomPluginsOptions {
  /** The plugin host, reaching plugins wherever they run in the cluster. */
  readonly source: RoomPluginSource
  readonly metrics: RoomPluginMetrics
  readonly log: ViewLog
}

/**
 * The node's RoomPlugins (the component the room and post-hooks entities are handed): the view of
 * the cluster's plugins' commands and hooks, rebuilt when the host's list changes; each request
 * sent through the host (this node's plugin, or a member's `/plugins` actor for one that runs
 * elsewhere), held to its deadline, and its answer checked before a room sees it.
 */
export class MeshRoomPlugins implements RoomPlugins {
  readonly #opts: MeshRoomPluginsOptions
  #from: readonly RoomPluginInfo[] | undefined
  #view: RoomPluginView | undefined

  constructor (opts: MeshRoomPluginsOptions) {
    this.#opts = opts
  }

  view (): RoomPluginView {
    const plugins = this.#opts.source.plugins()
    if (this.#view === undefined || plugins !== this.#from) {
      this.#view = buildRoomPluginView(plugins, this.#opts.log)
      this.#from = plugins
    }
    return this.#view
  }

  async request<K extends PlexiMethod> (plugin: string, method: K, params: PlexiRequests[K]['params'], deadlineMs: number): Promise<PlexiRequests[K]['result']> {
    if (!this.#opts.source.plugins().some((p) => p.name === plugin)) throw new PluginNotRunningError(plugin)
    const answer = await this.#opts.source.request(plugin, method, params as unknown as Readonly<Record<string, unknown>>, deadlineMs)
    return checkPlexiAnswer(plugin, method, answer)
  }

  record (outcome: RoomPluginOutcome): void {
    this.#opts.metrics.record(outcome)
  }
}
