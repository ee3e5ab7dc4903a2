import { PLUGIN_CATALOG, PLUGIN_CATALOG_KEY } from '../../actors/index.ts'
import type { ActorSystem, InstallOutcome, MemberReport, PluginCatalogMsg, PluginCatalogView, PluginEntry, ReplyTo } from '../../actors/index.ts'
import type { PluginManifest } from '../../protocols/plugins/index.ts'
import { CATALOG_ASK_MS } from './constants.ts'

/** What a new version is, as the catalog keeps it. */
export interface NewVersion {
  readonly name: string
  readonly version: string
  readonly manifest: PluginManifest
  readonly digest: string
  readonly size: number
  /** The admin principal who installs it. */
  readonly by: string
}

/** The plugin catalog (`plugin-catalog/cluster`) as the registry and the members ask it: each
 * change answered once durable, each refusal the catalog's own error. */
export class CatalogClient {
  readonly #system: ActorSystem
  readonly #now: () => number

  constructor (system: ActorSystem, now: () => number = Date.now) {
    this.#system = system
    this.#now = now
  }

  async list (signal?: AbortSignal): Promise<PluginCatalogView> {
    return await this.#ask((replyTo) => ({ type: 'list', replyTo }), signal)
  }

  async get (name: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'get', name, replyTo }))
  }

  async install (v: NewVersion): Promise<InstallOutcome> {
    return await this.#ask((replyTo) => ({ type: 'install', ...v, ts: this.#now(), replyTo }))
  }

  async activate (name: string, version: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'activate', name, version, ts: this.#now(), replyTo }))
  }

  async rollback (name: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'rollback', name, ts: this.#now(), replyTo }))
  }

  async setEnabled (name: string, enabled: boolean): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'set-enabled', name, enabled, ts: this.#now(), replyTo }))
  }

  async remove (name: string): Promise<PluginEntry> {
    return await this.#ask((replyTo) => ({ type: 'remove', name, replyTo }))
  }

  /** A member's report; false when the plugin is gone from the catalog. */
  async report (name: string, node: string, report: Omit<MemberReport, 'at'>, signal?: AbortSignal): Promise<boolean> {
    return await this.#ask((replyTo) => ({ type: 'report', name, node, report: { ...report, at: this.#now() }, replyTo }), signal)
  }

  async #ask<T> (msg: (replyTo: ReplyTo<T>) => PluginCatalogMsg, signal?: AbortSignal): Promise<T> {
    return await this.#system.entity(PLUGIN_CATALOG, PLUGIN_CATALOG_KEY).ask<T>(msg as (replyTo: ReplyTo<T>) => PluginCatalogMsg, { timeout: CATALOG_ASK_MS, ...(signal !== undefined && { signal }) })
  }
}
